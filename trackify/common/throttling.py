"""Throttles: 429 with Retry-After, counters in the cache (Redis when CACHE_URL is set, else local memory).

Rates are "<count>/<second|minute|hour|day>" in settings.TRACKIFY_THROTTLE_RATES (each from an
environment variable, see docs/configuration.md), read at each request so that they can change
without a restart of the class definitions:

- `public_address` and `public_token`: anonymous calls to the public endpoints (gateway info,
  create-session, status, sandbox completion), per client address and per invoice token presented;
- `public_miss`: answers of 404 on those endpoints (a wrong token or an unknown id), per address,
  whoever the caller;
- `user`: every API call of a signed-in user (session or API token), per user, in place of the two
  public buckets: an owner's script is held to its own rate, not to that of one anonymous address;
- `webhook_rejected`: rejected webhook deliveries, per config (per address on the shared URL);
- `login`: failed logins, per address and per user name (the admin's and the user pages').
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.http.request import HttpHeaders
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

_DURATIONS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@functools.cache
def parse_rate(rate: str) -> tuple[int, int]:
    """"10/min" → (10, 60)."""
    count, period = rate.split("/")
    return int(count), _DURATIONS[period.strip()[0]]


def client_address(request: HttpRequest | Request) -> str:
    """The caller's address: REMOTE_ADDR, or the address TRACKIFY_NUM_PROXIES proxies in front saw."""
    return BaseThrottle().get_ident(request)  # type: ignore[arg-type]


class _EnvironOnly:
    """What `BaseThrottle.get_ident` reads of a request (its headers and META), from a WSGI environ."""

    def __init__(self, meta: Mapping[str, Any]):
        self.META = meta
        self.headers = HttpHeaders(meta)


def client_address_of(meta: Mapping[str, Any]) -> str:
    """`client_address`, from a request's WSGI environ (the webhook lane has no request object)."""
    return client_address(_EnvironOnly(meta))  # type: ignore[arg-type]  # duck-typed as get_ident reads it


_COUNTED_HERE: dict[str, set[str]] = {}


class FailureCounter:
    """Counts events (failures) per identity in a sliding window; `wait()` says how long until allowed."""

    # With the local-memory cache (no CACHE_URL), counts live in this process alone: an identity
    # this process never counted has none, and `wait` answers without reading the cache (a webhook
    # delivery's check cost some 40 Python calls; docs/performance.md). Up to this many identities.
    _LOCAL_LIMIT = 10_000

    def __init__(self, scope: str):
        self.scope = scope
        self._counted_here = _COUNTED_HERE.setdefault(scope, set())  # one per scope, whichever instance counts

    def _key(self, ident: str) -> str:
        digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"trackify:throttle:{self.scope}:{digest}"

    def _never_counted(self, ident: str) -> bool:
        """True only when the cache is this process's own memory and this process never counted `ident`."""
        local = settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
        return local and ident not in self._counted_here and len(self._counted_here) < self._LOCAL_LIMIT

    def _history(self, ident: str) -> tuple[list[float], int, int]:
        limit, duration = parse_rate(settings.TRACKIFY_THROTTLE_RATES[self.scope])
        now = time.time()
        history = [moment for moment in cache.get(self._key(ident), []) if moment > now - duration]
        return history, limit, duration

    def wait(self, ident: str) -> int | None:
        if self._never_counted(ident):
            return None
        history, limit, duration = self._history(ident)
        if len(history) < limit:
            return None
        return max(1, math.ceil(duration - (time.time() - history[-1])))

    def record(self, ident: str) -> None:
        self._counted_here.add(ident)
        history, limit, duration = self._history(ident)
        cache.set(self._key(ident), [time.time(), *history][: limit + 1], duration)

    def clear(self, ident: str) -> None:
        cache.delete(self._key(ident))


# -- DRF throttles for the public endpoints -----------------------------------------------------


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self) -> str:
        return str(settings.TRACKIFY_THROTTLE_RATES[str(self.scope)])


def _signed_in(request: Request) -> bool:
    return bool(request.user and request.user.is_authenticated)


class UserThrottle(_SettingsRateThrottle):
    """A signed-in user's API calls, on every API view (the REST_FRAMEWORK default and the public ones)."""

    scope = "user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not _signed_in(request):
            return None  # anonymous callers are counted by the public throttles
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class ClientAddressThrottle(_SettingsRateThrottle):
    """Anonymous callers per address; a signed-in user is counted by `UserThrottle` instead."""

    scope = "public_address"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if _signed_in(request):
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class InvoiceTokenThrottle(_SettingsRateThrottle):
    """However many addresses share a pay link, it gets so many anonymous requests."""

    scope = "public_token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if _signed_in(request):
            return None  # counted by `UserThrottle`
        token = request.headers.get("X-Invoice-Token") or request.query_params.get("token")
        if not token and request.content_type.startswith("application/json"):
            data = request.data
            token = data.get("invoice_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            return None
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}


class FailureThrottle(BaseThrottle):
    """Refuses an identity that met too many failures; the API's exception handler records them.

    Subclasses say which statuses count as failures and whose they are.
    """

    scope = ""
    failure_statuses: frozenset[int] = frozenset()
    _wait: int | None = None

    def identity(self, request: Request, view: Any) -> str:
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        self._wait = FailureCounter(self.scope).wait(self.identity(request, view))
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait

    def record_failure(self, request: Request, view: Any, status: int) -> None:
        if status in self.failure_statuses:
            FailureCounter(self.scope).record(self.identity(request, view))


class ClientMissThrottle(FailureThrottle):
    """An address that met too many 404s (wrong tokens, unknown ids) on public endpoints waits."""

    scope = "public_miss"
    failure_statuses = frozenset({404})

    def identity(self, request: Request, view: Any) -> str:
        return self.get_ident(request)


# Rejected webhook deliveries (400, 404), per config on its own URL, per gateway and address on the
# shared one: past the `webhook_rejected` rate, deliveries are answered 429 unverified. A real gateway
# retries a 429 later (Stripe for three days), and the status refresh asks the provider anyway.
# Counted by the webhook view itself (trackify/payments/api/webhooks.py), which is not a DRF view.
webhook_rejections = FailureCounter("webhook_rejected")


def record_failure(request: Any, view: Any, status: int) -> None:
    """Called by the API's exception handler for every error answer."""
    for throttle in view.get_throttles() if hasattr(view, "get_throttles") else ():
        if isinstance(throttle, FailureThrottle):
            throttle.record_failure(request, view, status)


PUBLIC_THROTTLES = [ClientMissThrottle, ClientAddressThrottle, InvoiceTokenThrottle, UserThrottle]


# -- logins ---------------------------------------------------------------------------------------

login_failures = FailureCounter("login")


def too_many_requests(wait: int) -> HttpResponse:
    response = HttpResponse(
        f"Too many failed attempts. Try again in {wait} seconds.\n", status=429, content_type="text/plain"
    )
    response["Retry-After"] = str(wait)
    return response


def login_throttled(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap a login view (Django's LoginView or the admin's): failed POSTs count per address and user name.

    A failed login re-displays the form (200); a successful one redirects and clears the user
    name's count. Past the `login` rate, POSTs are answered 429 with Retry-After, unchecked.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        username = str(request.POST.get("username", ""))[:150].lower()
        idents = [f"address:{client_address(request)}", f"user:{username}"]
        waits = [wait for wait in map(login_failures.wait, idents) if wait]
        if waits:
            return too_many_requests(max(waits))
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            for ident in idents:
                login_failures.record(ident)
        elif 300 <= response.status_code < 400:
            login_failures.clear(idents[1])
        return response

    return wrapped

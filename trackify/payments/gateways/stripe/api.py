"""The one module of Trackify that imports the Stripe SDK.

It builds a `StripeClient` for one secret key (pointed at `settings.STRIPE_API_BASE` when set,
with explicit retries and timeouts), makes the few calls the gateway needs, and hands back plain
dicts. Every Stripe error leaves this module as one of our `GatewayError`s; the log gets Stripe's
request id and error code, never a key. Webhook signatures are checked here too, with the SDK.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any, cast

import stripe
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from trackify.common.untrusted import InputError, finite_float, load_json, parse_signature_header
from trackify.payments.gateways.errors import (
    GatewayConfigurationError,
    GatewayError,
    GatewayUnavailable,
    InvalidGatewayRequest,
    PaymentDeclined,
    WebhookVerificationError,
    translated,
)

# A charge's refunds (a PaymentIntent's disputes) are listed 100 at a time (Stripe's maximum), at most 10,000 in all.
_PAGE_SIZE = 100
_MAX_PAGES = 100

#: Seconds a signed webhook stays acceptable after Stripe signed it.
WEBHOOK_TOLERANCE_SECONDS = 300

# Anything shaped like a Stripe key or signing secret, masked ("sk_test_***4242") or not.
_SECRET_PATTERN = re.compile(r"\b(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9*]+|\bwhsec_[A-Za-z0-9+/=*_-]+")


def redact(text: str) -> str:
    """Remove anything that looks like a Stripe key from a message before it is logged or shown."""
    return _SECRET_PATTERN.sub("[redacted]", text)


def _translate(exc: stripe.StripeError, operation: str) -> GatewayError:
    """One of our errors for one of Stripe's, with a message fit for the person paying."""
    stripe_message = redact(exc.user_message or "")
    request_id = exc.request_id or ""
    detail = f"{type(exc).__name__} during {operation}: http={exc.http_status} code={exc.code} {stripe_message}"
    kwargs: dict[str, Any] = {"detail": detail[:1000], "request_id": request_id}
    if isinstance(exc, stripe.CardError):
        # Stripe writes card errors for the card holder ("Your card was declined.").
        return PaymentDeclined(stripe_message or "The card was declined.", **kwargs)
    if isinstance(exc, stripe.AuthenticationError):
        return GatewayConfigurationError(
            "Stripe rejected the secret key of this payment configuration; the merchant has to replace it.",
            **kwargs,
        )
    if isinstance(exc, stripe.PermissionError):
        return GatewayConfigurationError(
            "The Stripe key of this payment configuration lacks a permission this action needs.",
            **kwargs,
        )
    if isinstance(exc, stripe.RateLimitError):
        retry_after = _retry_after(exc)
        when = f"in {retry_after} seconds" if retry_after else "shortly"
        return GatewayUnavailable(
            f"Stripe is receiving too many requests right now. Please try again {when}.",
            retry_after=retry_after,
            **kwargs,
        )
    if isinstance(exc, stripe.APIConnectionError):
        return GatewayUnavailable(**kwargs)
    if isinstance(exc, stripe.IdempotencyError):
        return GatewayError(
            "Stripe refused a repeated request that did not match the first one.",
            code="gateway_idempotency_conflict",
            **kwargs,
        )
    if isinstance(exc, stripe.InvalidRequestError):
        return InvalidGatewayRequest(f"Stripe refused the request: {stripe_message}".rstrip(": "), **kwargs)
    if isinstance(exc, stripe.APIError):
        return GatewayUnavailable("Stripe had a problem with this request. Please try again shortly.", **kwargs)
    return GatewayError("Stripe could not complete the request.", **kwargs)


def _retry_after(exc: stripe.StripeError) -> int | None:
    """Seconds from a `Retry-After` header (delta-seconds form), capped at an hour; else None."""
    value = (exc.headers or {}).get("retry-after") or (exc.headers or {}).get("Retry-After")
    try:
        seconds = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return min(seconds, 3600) if seconds > 0 else None


_translated = functools.partial(translated, "Stripe", stripe.StripeError, _translate)


def _build_client(secret_key: str) -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": base} if base else None,
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=float(settings.STRIPE_TIMEOUT_SECONDS)),
    )


class StripeApi:
    """The Stripe calls of one account (one secret key). Every POST carries our idempotency key."""

    def __init__(self, secret_key: str):
        self._client = _build_client(secret_key)

    def _call(self, operation: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        with _translated(operation):
            result = method(*args, **kwargs)
        return cast(dict[str, Any], result.to_dict())

    @staticmethod
    def _post_options(idempotency_key: str) -> Any:
        if not idempotency_key:
            raise ValueError("every POST to Stripe needs our own idempotency key")
        return {"idempotency_key": idempotency_key}

    def create_checkout_session(self, params: Mapping[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        return self._call(
            "checkout session create",
            self._client.v1.checkout.sessions.create,
            params=cast(Any, dict(params)),
            options=self._post_options(idempotency_key),
        )

    def retrieve_checkout_session(self, session_id: str, *, expand: tuple[str, ...] = ()) -> dict[str, Any]:
        params: Any = {"expand": list(expand)} if expand else None
        return self._call(
            "checkout session retrieve", self._client.v1.checkout.sessions.retrieve, session_id, params=params
        )

    def expire_checkout_session(self, session_id: str, *, idempotency_key: str) -> dict[str, Any]:
        return self._call(
            "checkout session expire",
            self._client.v1.checkout.sessions.expire,
            session_id,
            options=self._post_options(idempotency_key),
        )

    def cancel_payment_intent(self, payment_intent_id: str, *, idempotency_key: str) -> dict[str, Any]:
        return self._call(
            "payment intent cancel",
            self._client.v1.payment_intents.cancel,
            payment_intent_id,
            options=self._post_options(idempotency_key),
        )

    def create_payment_intent(self, params: Mapping[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        return self._call(
            "payment intent create",
            self._client.v1.payment_intents.create,
            params=cast(Any, dict(params)),
            options=self._post_options(idempotency_key),
        )

    def retrieve_payment_intent(self, payment_intent_id: str) -> dict[str, Any]:
        return self._call("payment intent retrieve", self._client.v1.payment_intents.retrieve, payment_intent_id)

    def retrieve_charge(self, charge_id: str) -> dict[str, Any]:
        return self._call("charge retrieve", self._client.v1.charges.retrieve, charge_id)

    def list_refunds(self, *, charge_id: str) -> list[dict[str, Any]]:
        """Every refund of one charge, newest first, following Stripe's pages to the end."""
        return self._list_all("refund list", self._client.v1.refunds.list, {"charge": charge_id}, "refunds")

    def list_disputes(self, *, payment_intent_id: str) -> list[dict[str, Any]]:
        """Every dispute of one PaymentIntent, newest first, following Stripe's pages to the end."""
        return self._list_all(
            "dispute list", self._client.v1.disputes.list, {"payment_intent": payment_intent_id}, "disputes"
        )

    def _list_all(
        self, operation: str, method: Callable[..., Any], filters: dict[str, Any], what: str
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {**filters, "limit": _PAGE_SIZE}
        for _ in range(_MAX_PAGES):
            page = self._call(operation, method, params=cast(Any, params))
            data = [item for item in page.get("data") or [] if isinstance(item, dict)]
            found.extend(data)
            if not page.get("has_more") or not data:
                return found
            params = {**params, "starting_after": data[-1]["id"]}
        raise GatewayError(f"Stripe listed more than {_PAGE_SIZE * _MAX_PAGES} {what} for one payment.")

    def create_refund(self, params: Mapping[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        return self._call(
            "refund create",
            self._client.v1.refunds.create,
            params=cast(Any, dict(params)),
            options=self._post_options(idempotency_key),
        )

    def retrieve_balance(self) -> dict[str, Any]:
        return self._call("balance retrieve", self._client.v1.balance.retrieve)


@sensitive_variables()  # the signing secret never reaches an error page
def construct_event(body: bytes, signature_header: str, secret: str) -> dict[str, Any]:
    """Verify a delivery's `Stripe-Signature` with the SDK; return the event exactly as signed.

    Raises `WebhookVerificationError` for a missing or wrong signature, a timestamp older than
    the tolerance, or a body that is not a JSON event. The header and the body are parsed
    strictly and bounded first: the SDK's own parsing is not total (a deeply nested body raises
    RecursionError, a 5,000-digit timestamp ValueError from int()).
    """
    if not secret:
        raise WebhookVerificationError(
            "This Stripe configuration has no webhook signing secret yet, so no delivery can be verified."
        )
    try:
        parse_signature_header(signature_header)
    except InputError as exc:
        raise WebhookVerificationError(f"Stripe signature verification failed: {exc}") from exc
    try:
        payload = load_json(body, parse_float=finite_float, keep_text=True)  # stored as delivered
    except InputError as exc:
        raise WebhookVerificationError(f"The body is not a Stripe event: {exc}") from exc
    try:
        # The SDK's own check (what `Webhook.construct_event` runs first), without building a
        # StripeObject tree we would not use: the body is already parsed above, bounded.
        stripe.WebhookSignature.verify_header(body, signature_header, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as exc:
        raise WebhookVerificationError(
            f"Stripe signature verification failed: {redact(exc.user_message or '')}"
        ) from exc
    except (ValueError, TypeError, AttributeError) as exc:  # not UTF-8, not JSON, not a v1 event
        raise WebhookVerificationError("The body is not a Stripe event.") from exc
    if not isinstance(payload, dict):
        raise WebhookVerificationError("The body is not a Stripe event.")
    return payload

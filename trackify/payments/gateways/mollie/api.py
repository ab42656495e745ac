"""The one module of Trackify that imports the Mollie SDK: a `Client` per API key (at `MOLLIE_API_BASE` when
set), plain dicts back, every SDK error one of our `GatewayError`s, never a key in a log. The SDK sends our key
as `Idempotency-Key` (else a random one); `_call` retries lost answers with it, and Mollie replays the first."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.views.decorators.debug import sensitive_variables
from mollie.api.client import Client
from mollie.api.error import Error, IdentifierError, RequestError, RequestSetupError, ResponseHandlingError
from mollie.api.objects.payment import Payment

from trackify.payments.gateways.errors import (
    GatewayConfigurationError,
    GatewayError,
    GatewayUnavailable,
    InvalidGatewayRequest,
    for_http_status,
    translated,
)

#: The code of the InvalidGatewayRequest raised for a 404: Mollie has no such object for this key.
NOT_FOUND = "mollie_not_found"
_KEY = re.compile(r"\b(?:live|test|access)_\w+")


def _translate(exc: Error, operation: str) -> GatewayError:
    """One of our errors for one of the SDK's, with a message fit for the person paying."""
    status = getattr(exc, "status", None)
    message = _KEY.sub("[redacted]", str(exc))[:300]  # Mollie's `detail`
    detail = f"{type(exc).__name__} during {operation}: status={status} field={getattr(exc, 'field', None)} {message}"
    if isinstance(exc, IdentifierError):
        return InvalidGatewayRequest("This payment has no Mollie reference to look up.", detail=detail)
    if isinstance(exc, RequestSetupError):  # the key's form; the SDK's message repeats the key, and stays the cause
        exc.args = (message,)
        return GatewayConfigurationError("The Mollie API key of this payment configuration is not valid.")
    if isinstance(exc, (RequestError, ResponseHandlingError)):  # network, time-out, an answer not JSON
        return GatewayUnavailable(detail=detail)
    if status == 404:
        return InvalidGatewayRequest("Mollie has no such payment for this account.", code=NOT_FOUND, detail=detail)
    if isinstance(status, int):
        return for_http_status(status, "Mollie", credentials="the API key", refused=message.rstrip("."), detail=detail)
    return GatewayError("Mollie could not complete the request.", detail=detail)


_translated = functools.partial(translated, "Mollie", Error, _translate)


class MollieApi:
    """The Mollie calls of one account (one API key). Every POST and DELETE carries our key."""

    @sensitive_variables()
    def __init__(self, api_key: str):
        self._client = Client(api_endpoint=settings.MOLLIE_API_BASE, timeout=(5, settings.MOLLIE_TIMEOUT_SECONDS))
        with _translated("client setup"):
            self._client.set_api_key(api_key)

    def _call(self, operation: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        for retries_left in range(settings.MOLLIE_MAX_NETWORK_RETRIES, -1, -1):
            try:
                with _translated(operation):
                    return dict(method(*args, **kwargs))
            except GatewayUnavailable as exc:
                if not retries_left or not isinstance(exc.__cause__, RequestError):
                    raise
        raise AssertionError("unreachable")

    def _of(self, payment_id: str) -> Payment:  # a handle on its refunds, captures…: nothing fetched
        return Payment({"id": payment_id}, self._client)

    def create_payment(self, data: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        return self._call("payment create", self._client.payments.create, data, idempotency_key=idempotency_key)

    def get_payment(self, payment_id: str) -> dict[str, Any]:
        """The payment with its refunds and chargebacks embedded."""
        return self._call("payment get", self._client.payments.get, payment_id, embed="refunds,chargebacks")

    def cancel_payment(self, payment_id: str, *, idempotency_key: str) -> dict[str, Any]:
        return self._call("payment cancel", self._client.payments.delete, payment_id, idempotency_key=idempotency_key)

    def create_refund(self, payment_id: str, data: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        return self._call("refund create", self._of(payment_id).refunds.create, data, idempotency_key=idempotency_key)

    def create_capture(self, payment_id: str, data: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        return self._call("capture create", self._of(payment_id).captures.create, data, idempotency_key=idempotency_key)

    def list_chargebacks(self, payment_id: str) -> list[dict[str, Any]]:
        return _items(self._call("chargeback list", self._of(payment_id).chargebacks.list, limit=250), "chargebacks")

    def list_methods(self) -> list[dict[str, Any]]:
        return _items(self._call("method list", self._client.methods.list), "methods")


def _items(page: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [item for item in (page.get("_embedded") or {}).get(name) or [] if isinstance(item, dict)]

"""The one module of Trackify that imports PayPal's server SDK (`paypal-server-sdk`).

One `PayPalApi` per REST app (client id and secret) and base URL, kept in a small module-level cache:
the SDK keeps its OAuth token on the client object, so reusing the client reuses the token until it
nears its expiry. Answers are PayPal's own JSON (plain dicts); every PayPal error leaves as one of our
`GatewayError`s with PayPal's `debug_id` as the request id. No token or secret is ever logged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests
from apimatic_core.exceptions.auth_validation_exception import AuthValidationException
from django.conf import settings
from paypalserversdk.configuration import Configuration, Environment, Server
from paypalserversdk.exceptions.api_exception import ApiException
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

from trackify.payments.gateways import errors

logger = logging.getLogger(__name__)

# Orders v2 issues that mean the payer's funding was refused (Orders v2 errors reference).
_DECLINED_ISSUES = {"INSTRUMENT_DECLINED", "TRANSACTION_REFUSED", "PAYER_CANNOT_PAY", "CARD_EXPIRED"}
_clients: dict[tuple[str, bool, str, str], PayPalApi] = {}
_clients_lock = threading.Lock()


class _Configuration(Configuration):
    """The SDK's configuration with our base URL: SDK 2.4 takes none, it knows only PayPal's two."""

    def __init__(self, *, base_url: str, **kwargs: Any):
        self._base_url = base_url
        super().__init__(**kwargs)

    def get_base_uri(self, server: Server = Server.DEFAULT) -> str:
        return self._base_url or str(super().get_base_uri(server))


def _json(text: str | None) -> dict[str, Any]:
    try:
        body = json.loads(text or "{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def issue_of(exc: ApiException) -> str:
    """The first `details[].issue` of a PayPal error body (ORDER_ALREADY_CAPTURED, …), or ""."""
    details = _json(exc.response.text).get("details")
    first = details[0] if isinstance(details, list) and details and isinstance(details[0], dict) else {}
    return str(first.get("issue") or "")


def _translate(exc: Exception, operation: str) -> errors.GatewayError:
    if not isinstance(exc, ApiException):  # time-outs, refused connections; AuthValidationException: no token
        if isinstance(exc, AuthValidationException):
            return errors.GatewayConfigurationError("PayPal gave no access token for this configuration.")
        return errors.GatewayUnavailable(detail=f"{type(exc).__name__} during {operation}")
    # Shapes: https://developer.paypal.com/api/rest/responses/ ({name, message, debug_id, details});
    # the token endpoint answers OAuth's {error, error_description} instead.
    status, body, issue = exc.response_code, _json(exc.response.text), issue_of(exc)
    name = str(body.get("name") or body.get("error") or "")
    detail = f"PayPal {operation}: http={status} name={name} issue={issue}"[:1000]
    kwargs: dict[str, Any] = {"detail": detail, "request_id": str(body.get("debug_id") or "")}
    if status in (401, 403):
        return errors.GatewayConfigurationError(
            "PayPal refused the client id and secret of this configuration (or a permission is missing).", **kwargs
        )
    if status == 429 or status >= 500:
        return errors.GatewayUnavailable(**kwargs)
    if issue in _DECLINED_ISSUES:
        return errors.PaymentDeclined("PayPal declined the payment method. Please choose another one.", **kwargs)
    if status in (400, 404, 422):
        return errors.InvalidGatewayRequest(f"PayPal refused the request ({issue or name or 'invalid'}).", **kwargs)
    return errors.GatewayError("PayPal could not complete the request.", **kwargs)


@contextmanager
def _translated(operation: str) -> Iterator[None]:
    try:
        yield
    except (ApiException, AuthValidationException, requests.RequestException) as exc:
        error = _translate(exc, operation)
        logger.warning("PayPal %s failed: %s (debug id %s)", operation, error.detail, error.request_id or "none")
        raise error from exc


class PayPalApi:
    """The PayPal calls of one REST app. Every POST that changes something carries PayPal-Request-Id."""

    def __init__(self, *, client_id: str, client_secret: str, base_url: str, test_mode: bool):
        self.base_url = base_url or ("https://api-m.sandbox.paypal.com" if test_mode else "https://api-m.paypal.com")
        self._token_lock = threading.Lock()
        self._token: Any = None
        credentials = ClientCredentialsAuthCredentials(
            client_id, client_secret, o_auth_token_provider=self._provide_token, o_auth_clock_skew=300
        )
        config = _Configuration(
            base_url=base_url,
            environment=Environment.SANDBOX if test_mode else Environment.PRODUCTION,
            timeout=settings.PAYPAL_TIMEOUT_SECONDS,
            max_retries=settings.PAYPAL_MAX_NETWORK_RETRIES,
            backoff_factor=settings.PAYPAL_RETRY_BACKOFF,
            retry_methods=["GET", "POST"],  # each POST carries its PayPal-Request-Id (the token's changes nothing)
            client_credentials_auth_credentials=credentials,
        )
        self._client = PaypalServersdkClient(config=config)

    def _provide_token(self, _last: Any, manager: Any) -> Any:
        """The SDK's token hook: one token per app until five minutes before its expiry. Errors leave
        translated (the SDK's own fetch would swallow them and say only "token undefined")."""
        with self._token_lock:
            if self._token is None or manager.is_token_expired(self._token):
                with _translated("token request"):
                    self._token = manager.fetch_token()
            return self._token

    def access_token(self) -> str:
        return str(self._provide_token(None, self._client.auth_managers["Oauth2"]).access_token)

    def _call(self, operation: str, method: Callable[..., Any], **options: Any) -> dict[str, Any]:
        with _translated(operation):
            return _json(method({**options, "prefer": "return=representation"}).text)

    def create_order(self, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        return self._call(
            "order create", self._client.orders.create_order, body=dict(body), paypal_request_id=request_id
        )

    def get_order(self, order_id: str) -> dict[str, Any]:
        return self._call("order get", self._client.orders.get_order, id=order_id)

    def capture_order(self, order_id: str, *, request_id: str) -> dict[str, Any]:
        """Capture an approved order; one captured already (ORDER_ALREADY_CAPTURED) is read instead."""
        options = {"id": order_id, "paypal_request_id": request_id, "prefer": "return=representation"}
        try:
            return _json(self._client.orders.capture_order(options).text)
        except ApiException as exc:
            if issue_of(exc) != "ORDER_ALREADY_CAPTURED":
                with _translated("order capture"):
                    raise
        return self.get_order(order_id)

    def refund_capture(self, capture_id: str, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        refund = self._client.payments.refund_captured_payment
        return self._call(
            "capture refund", refund, capture_id=capture_id, body=dict(body), paypal_request_id=request_id
        )

    def verify_webhook_signature(self, body: Mapping[str, Any]) -> str:
        """POST /v1/notifications/verify-webhook-signature (the SDK lacks it); PayPal's verdict."""
        with _translated("webhook verification"):
            response = requests.post(
                f"{self.base_url}/v1/notifications/verify-webhook-signature",
                json=dict(body),
                headers={"Authorization": f"Bearer {self.access_token()}"},
                timeout=settings.PAYPAL_TIMEOUT_SECONDS,
            )
        if response.status_code in (401, 403):
            raise errors.GatewayConfigurationError("PayPal refused the access token of this configuration.")
        if response.status_code >= 500 or response.status_code == 429:
            raise errors.GatewayUnavailable(detail=f"PayPal webhook verification: http={response.status_code}")
        return str(_json(response.text).get("verification_status") or "FAILURE")


def api_for(*, client_id: str, client_secret: str, test_mode: bool) -> PayPalApi:
    """The cached `PayPalApi` of one app, so its OAuth token is reused across requests and threads."""
    base = settings.PAYPAL_API_BASE
    key = (base, test_mode, client_id, hashlib.sha256(client_secret.encode()).hexdigest())
    with _clients_lock:
        if key not in _clients:
            if len(_clients) >= 256:
                _clients.clear()  # rare (many apps): each rebuilds its client and token on next use
            _clients[key] = PayPalApi(
                client_id=client_id, client_secret=client_secret, base_url=base, test_mode=test_mode
            )
        return _clients[key]

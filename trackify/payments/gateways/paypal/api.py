"""The one module of Trackify that imports PayPal's server SDK (`paypal-server-sdk`).

One `PayPalApi` per REST app (client id and secret) and base URL, kept in a small module-level
cache: the SDK keeps its OAuth token on the client object, so reusing the client reuses the token
until it nears its expiry (PayPal's tokens live about nine hours). Answers come back as PayPal's own
JSON (plain dicts); every PayPal error leaves this module as one of our `GatewayError`s, with
PayPal's `debug_id` as the request id. No token or secret is ever logged.
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

from trackify.payments.gateways.errors import (
    GatewayConfigurationError,
    GatewayError,
    GatewayUnavailable,
    InvalidGatewayRequest,
    PaymentDeclined,
)

logger = logging.getLogger(__name__)

# Orders v2 issues that mean the payer's funding was refused (Orders v2 errors reference).
_DECLINED_ISSUES = {"INSTRUMENT_DECLINED", "TRANSACTION_REFUSED", "PAYER_CANNOT_PAY", "CARD_EXPIRED"}
_MAX_CLIENTS = 256
_clients: dict[tuple[str, bool, str, str], PayPalApi] = {}
_clients_lock = threading.Lock()


class _Configuration(Configuration):
    """The SDK's configuration with our base URL: SDK 2.4 takes none, it only knows PayPal's two."""

    def __init__(self, *, base_url: str, **kwargs: Any):
        self._base_url = base_url
        super().__init__(**kwargs)

    def get_base_uri(self, server: Server = Server.DEFAULT) -> str:
        return self._base_url or str(super().get_base_uri(server))


def _error_body(exc: ApiException) -> dict[str, Any]:
    try:
        body = json.loads(exc.response.text or "{}")
    except (ValueError, AttributeError):
        return {}
    return body if isinstance(body, dict) else {}


def issue_of(exc: ApiException) -> str:
    """The first `details[].issue` of a PayPal error body (ORDER_ALREADY_CAPTURED, …), or ""."""
    details = _error_body(exc).get("details")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        return str(details[0].get("issue") or "")
    return ""


def _translate(exc: Exception, operation: str) -> GatewayError:
    if isinstance(exc, (requests.Timeout, requests.ConnectionError)):
        return GatewayUnavailable(detail=f"{type(exc).__name__} during {operation}")
    if isinstance(exc, AuthValidationException):
        return GatewayConfigurationError("PayPal gave no access token for this configuration's client id and secret.")
    assert isinstance(exc, ApiException)
    status, body, issue = exc.response_code, _error_body(exc), issue_of(exc)
    # Shapes: https://developer.paypal.com/api/rest/responses/ ({name, message, debug_id, details});
    # the token endpoint answers OAuth's {error, error_description} instead.
    name = str(body.get("name") or body.get("error") or "")
    kwargs: dict[str, Any] = {
        "detail": f"PayPal {operation}: http={status} name={name} issue={issue}"[:1000],
        "request_id": str(body.get("debug_id") or ""),
    }
    if status == 401 or name == "invalid_client":
        return GatewayConfigurationError(
            "PayPal rejected the client id and secret of this configuration; the merchant has to replace them.",
            **kwargs,
        )
    if status == 403:
        return GatewayConfigurationError("The PayPal app of this configuration lacks a permission.", **kwargs)
    if status == 429 or status >= 500:
        return GatewayUnavailable(**kwargs)
    if issue in _DECLINED_ISSUES:
        return PaymentDeclined("PayPal declined the payment method. Please choose another one.", **kwargs)
    if status in (400, 404, 422):
        reason = issue or name or "invalid request"
        return InvalidGatewayRequest(f"PayPal refused the request ({reason}).", **kwargs)
    return GatewayError("PayPal could not complete the request.", **kwargs)


@contextmanager
def _translated(operation: str) -> Iterator[None]:
    try:
        yield
    except (ApiException, AuthValidationException, requests.RequestException) as exc:
        error = _translate(exc, operation)
        logger.warning("PayPal %s failed: %s (debug id %s)", operation, error.detail, error.request_id or "none")
        raise error from exc


def _body(response: Any) -> dict[str, Any]:
    try:
        body = json.loads(response.text or "{}")
    except ValueError as exc:
        raise GatewayError("PayPal answered with something that is not JSON.") from exc
    if not isinstance(body, dict):
        raise GatewayError("PayPal answered with something that is not a JSON object.")
    return body


class PayPalApi:
    """The PayPal calls of one REST app. Every POST that changes something carries PayPal-Request-Id."""

    def __init__(self, *, client_id: str, client_secret: str, base_url: str, test_mode: bool):
        self.base_url = base_url or ("https://api-m.sandbox.paypal.com" if test_mode else "https://api-m.paypal.com")
        self._token_lock = threading.Lock()
        self._token: Any = None
        credentials = ClientCredentialsAuthCredentials(
            o_auth_client_id=client_id,
            o_auth_client_secret=client_secret,
            o_auth_token_provider=self._provide_token,
            o_auth_clock_skew=300,  # renew five minutes early
        )
        config = _Configuration(
            base_url=base_url,
            environment=Environment.SANDBOX if test_mode else Environment.PRODUCTION,
            timeout=settings.PAYPAL_TIMEOUT_SECONDS,
            max_retries=settings.PAYPAL_MAX_NETWORK_RETRIES,
            backoff_factor=settings.PAYPAL_RETRY_BACKOFF,
            # POSTs are safe to retry: each carries its PayPal-Request-Id (the token POST changes nothing).
            retry_methods=["GET", "POST"],
            client_credentials_auth_credentials=credentials,
        )
        self._client = PaypalServersdkClient(config=config)

    def _provide_token(self, _last: Any, manager: Any) -> Any:
        """The SDK's token hook: one token per app until it nears expiry; errors leave translated
        (the SDK's own fetch would swallow them and report only "token undefined")."""
        with self._token_lock:
            if self._token is None or manager.is_token_expired(self._token):
                with _translated("token request"):
                    self._token = manager.fetch_token()
            return self._token

    def access_token(self) -> str:
        return str(self._provide_token(None, self._client.auth_managers["Oauth2"]).access_token)

    def _call(self, operation: str, method: Callable[..., Any], options: Mapping[str, Any]) -> dict[str, Any]:
        with _translated(operation):
            return _body(method(dict(options)))

    def create_order(self, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        options = {"body": dict(body), "paypal_request_id": request_id, "prefer": "return=representation"}
        return self._call("order create", self._client.orders.create_order, options)

    def get_order(self, order_id: str) -> dict[str, Any]:
        return self._call("order get", self._client.orders.get_order, {"id": order_id})

    def capture_order(self, order_id: str, *, request_id: str) -> dict[str, Any]:
        """Capture an approved order; an order captured already (ORDER_ALREADY_CAPTURED) is read instead."""
        options = {"id": order_id, "paypal_request_id": request_id, "prefer": "return=representation"}
        try:
            return _body(self._client.orders.capture_order(options))
        except ApiException as exc:
            if issue_of(exc) != "ORDER_ALREADY_CAPTURED":
                with _translated("order capture"):
                    raise
        return self.get_order(order_id)

    def refund_capture(self, capture_id: str, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        options = {
            "capture_id": capture_id,
            "body": dict(body),
            "paypal_request_id": request_id,
            "prefer": "return=representation",
        }
        return self._call("capture refund", self._client.payments.refund_captured_payment, options)

    def verify_webhook_signature(self, body: Mapping[str, Any]) -> str:
        """POST /v1/notifications/verify-webhook-signature (not in the SDK); PayPal's verdict."""
        with _translated("webhook verification"):
            response = requests.post(
                f"{self.base_url}/v1/notifications/verify-webhook-signature",
                json=dict(body),
                headers={"Authorization": f"Bearer {self.access_token()}"},
                timeout=settings.PAYPAL_TIMEOUT_SECONDS,
            )
        if response.status_code == 401:
            raise GatewayConfigurationError("PayPal refused the access token of this configuration.")
        if response.status_code >= 500 or response.status_code == 429:
            raise GatewayUnavailable(detail=f"PayPal webhook verification: http={response.status_code}")
        try:
            verdict = response.json().get("verification_status")
        except (ValueError, AttributeError):
            verdict = None
        return str(verdict or "FAILURE")


def api_for(*, client_id: str, client_secret: str, test_mode: bool) -> PayPalApi:
    """The cached `PayPalApi` of one app, so its OAuth token is reused across requests and threads."""
    base = settings.PAYPAL_API_BASE
    key = (base, test_mode, client_id, hashlib.sha256(client_secret.encode()).hexdigest())
    with _clients_lock:
        api = _clients.get(key)
        if api is None:
            if len(_clients) >= _MAX_CLIENTS:
                _clients.clear()  # rare: many apps; each rebuilds its client and token on next use
            api = _clients[key] = PayPalApi(
                client_id=client_id, client_secret=client_secret, base_url=base, test_mode=test_mode
            )
        return api

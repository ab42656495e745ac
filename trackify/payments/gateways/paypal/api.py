"""The one module of Trackify that imports PayPal's server SDK (`paypal-server-sdk`). Answers are PayPal's JSON
(dicts); every error leaves as one of our `GatewayError`s, with PayPal's debug_id. No token or secret is logged."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

import requests
from apimatic_core.exceptions.auth_validation_exception import AuthValidationException
from django.conf import settings
from paypalserversdk.configuration import Configuration, Environment, Server
from paypalserversdk.exceptions.api_exception import ApiException
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

from trackify.payments.gateways import errors

# Orders v2 issues that mean the payer's funding was refused (Orders v2 errors reference).
_DECLINED_ISSUES = {"INSTRUMENT_DECLINED", "TRANSACTION_REFUSED", "PAYER_CANNOT_PAY", "CARD_EXPIRED"}


class _Configuration(Configuration):
    """The SDK's configuration with our base URL: SDK 2.4 takes none, it knows only PayPal's two."""

    def __init__(self, *, base_url: str, **kwargs: Any):
        self._base_url = base_url
        super().__init__(**kwargs)

    def get_base_uri(self, server: Server = Server.DEFAULT) -> str:
        return self._base_url


def _json(text: str | None) -> dict[str, Any]:
    try:
        body = json.loads(text or "{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _translate(exc: Exception, operation: str) -> errors.GatewayError:
    if isinstance(exc, AuthValidationException):
        return errors.GatewayConfigurationError("PayPal gave no access token for this configuration.")
    response = getattr(exc, "response", None) if isinstance(exc, ApiException | requests.HTTPError) else None
    if response is None:  # time-outs, refused or dropped connections
        return errors.GatewayUnavailable(detail=f"{type(exc).__name__} during {operation}")
    # Shapes: https://developer.paypal.com/api/rest/responses/ ({name, message, debug_id, details: [{issue}]});
    # the token endpoint answers OAuth's {error, error_description} instead.
    status, body = response.status_code, _json(response.text)
    first = body["details"][0] if isinstance(body.get("details"), list) and body["details"] else {}
    issue = str(first.get("issue") or "") if isinstance(first, dict) else ""
    name = str(body.get("name") or body.get("error") or "")
    detail = f"PayPal {operation}: http={status} name={name} issue={issue}"[:1000]
    context: dict[str, Any] = {"detail": detail, "request_id": str(body.get("debug_id") or "")}
    if status in (400, 422) and issue in _DECLINED_ISSUES:
        return errors.PaymentDeclined("PayPal declined the payment method. Please choose another one.", **context)
    credentials = "the client id and secret"
    return errors.for_http_status(status, "PayPal", credentials=credentials, refused=issue or name, **context)


_SDK_ERRORS = (ApiException, AuthValidationException, requests.RequestException)
_translated = functools.partial(errors.translated, "PayPal", _SDK_ERRORS, _translate)


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
            base_url=self.base_url,
            environment=Environment.SANDBOX if test_mode else Environment.PRODUCTION,
            timeout=settings.PAYPAL_TIMEOUT_SECONDS,
            max_retries=settings.PAYPAL_MAX_NETWORK_RETRIES,
            backoff_factor=settings.PAYPAL_RETRY_BACKOFF,
            retry_methods=["GET", "POST"],  # each POST carries its PayPal-Request-Id (the token's changes nothing)
            client_credentials_auth_credentials=credentials,
        )
        self._client = PaypalServersdkClient(config=config)

    def _provide_token(self, _last: Any, manager: Any) -> Any:
        """SDK token hook: one token per app till near its expiry; errors leave translated (not "token undefined")."""
        with self._token_lock:
            if self._token is None or manager.is_token_expired(self._token):
                with _translated("token request"):
                    self._token = manager.fetch_token()
            return self._token

    def access_token(self) -> str:
        return str(self._provide_token(None, self._client.auth_managers["Oauth2"]).access_token)

    def _call(self, operation: str, method: Callable[..., Any], request_id: str = "", **options: Any) -> dict[str, Any]:
        options.update(paypal_request_id=request_id or None, prefer="return=representation")  # read where it applies
        with _translated(operation):
            return _json(method(options).text)

    def create_order(self, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        return self._call("order create", self._client.orders.create_order, request_id, body=dict(body))

    def get_order(self, order_id: str) -> dict[str, Any]:
        return self._call("order get", self._client.orders.get_order, id=order_id)

    def capture_order(self, order_id: str, *, request_id: str) -> dict[str, Any]:
        return self._call("order capture", self._client.orders.capture_order, request_id, id=order_id)

    def refund_capture(self, capture_id: str, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        refund = self._client.payments.refund_captured_payment
        return self._call("capture refund", refund, request_id, capture_id=capture_id, body=dict(body))

    def verify_webhook_signature(self, body: Mapping[str, Any]) -> str:
        """POST /v1/notifications/verify-webhook-signature (the SDK lacks it); PayPal's verdict."""
        with _translated("webhook verification"):
            url = f"{self.base_url}/v1/notifications/verify-webhook-signature"
            headers = {"Authorization": f"Bearer {self.access_token()}"}
            response = requests.post(url, json=dict(body), headers=headers, timeout=settings.PAYPAL_TIMEOUT_SECONDS)
            if response.status_code in (401, 403, 429) or response.status_code >= 500:
                response.raise_for_status()  # not PayPal's verdict: translated as every other call's error
        return str(_json(response.text).get("verification_status") or "FAILURE")


# One client per app (the same keywords, the same client): its OAuth token serves every request and thread.
api_for = functools.lru_cache(maxsize=256)(PayPalApi)

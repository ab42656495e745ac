"""The suite-wide secrets scan: no response, page or log line of any test carries a stored credential.

Every secret credential value stored through `PaymentGatewayConfig.set_credentials` (whatever the
test) is remembered; every response of Django's test clients (API answers, admin pages, error
pages) and every log record emitted is searched for each remembered value. A test during which
one leaks fails at its teardown, naming where it leaked. Webhook endpoints' signing secrets
(`WebhookEndpoint.set_secret`) are remembered too; the answers that show one once (create,
roll-secret) may show that one only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

MIN_LENGTH = 8  # shorter values ("x", "pw") would match innocent text by chance

known: set[str] = set()
leaks: list[str] = []
scanned = {"responses": 0, "log_records": 0}


def _remember(credentials: dict[str, str], gateway_name: str) -> None:
    from trackify.payments.gateways.registry import UnknownGateway, get_gateway_class

    try:
        secret_fields = {spec.name for spec in get_gateway_class(gateway_name).credential_fields if spec.secret}
    except UnknownGateway:
        secret_fields = set(credentials)
    known.update(v for k, v in credentials.items() if k in secret_fields and len(str(v)) >= MIN_LENGTH)


def _scan(text: str, where: str) -> None:
    for secret in known:
        if secret in text:
            leaks.append(f"{where} shows the secret {secret[:6]}…")


class _LeakHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        scanned["log_records"] += 1
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        _scan(text, f"log record of {record.name}")


def _without_own_secret(body: str, request: dict[str, Any]) -> str:
    """The answer to a webhook endpoint's create or roll-secret, less the one secret it is there to show."""
    path = str(request.get("PATH_INFO", ""))
    if request.get("REQUEST_METHOD") == "POST" and path.startswith("/payment/webhook-endpoints/") and (
        path == "/payment/webhook-endpoints/" or path.endswith("/roll-secret/")
    ):
        try:
            own = json.loads(body).get("secret")
        except (ValueError, AttributeError):
            return body
        if isinstance(own, str) and own:
            return body.replace(own, "")
    return body


@pytest.fixture(scope="session", autouse=True)
def _secret_scan_hooks() -> Iterator[None]:
    from django.test import Client
    from rest_framework.test import APIClient

    from trackify.payments.models import PaymentGatewayConfig, WebhookEndpoint

    patch = pytest.MonkeyPatch()
    original_set = PaymentGatewayConfig.set_credentials

    def set_credentials(self: Any, credentials: dict[str, str]) -> None:
        _remember(credentials, self.gateway_name)
        original_set(self, credentials)

    original_set_secret = WebhookEndpoint.set_secret

    def set_secret(self: Any, secret: str) -> None:
        known.add(secret)
        original_set_secret(self, secret)

    def wrap(client_cls: type) -> None:
        original_request = client_cls.request

        def request(self: Any, **request: Any) -> Any:
            response = original_request(self, **request)
            scanned["responses"] += 1
            if not getattr(response, "streaming", False):
                body = response.content.decode("utf-8", "replace")
                body = _without_own_secret(body, request)
                headers = " ".join(f"{k}: {v}" for k, v in response.items())
                _scan(body + headers, f"the answer to {request.get('REQUEST_METHOD')} {request.get('PATH_INFO')}")
            return response

        patch.setattr(client_cls, "request", request)

    patch.setattr(PaymentGatewayConfig, "set_credentials", set_credentials)
    patch.setattr(WebhookEndpoint, "set_secret", set_secret)
    wrap(Client)
    wrap(APIClient)
    handler = _LeakHandler(level=logging.DEBUG)
    logging.getLogger().addHandler(handler)
    yield
    logging.getLogger().removeHandler(handler)
    patch.undo()


@pytest.fixture(autouse=True)
def _no_secret_leaked() -> Iterator[None]:
    leaks.clear()
    yield
    found, leaks[:] = list(leaks), []
    assert not found, "A stored credential leaked:\n" + "\n".join(sorted(set(found)))

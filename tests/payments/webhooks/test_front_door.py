"""A webhook delivery is an ordinary Django request: the WSGI application is Django's own, and every
middleware in settings sees it."""

from __future__ import annotations

from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.test import Client

from tests.payments.webhooks.sandbox_events import deliver, session_payload, signed

SEEN: list[str] = []


class RecordingMiddleware:
    """A middleware added through settings, as an APM or tenancy middleware would be."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        SEEN.append(request.path)
        return self.get_response(request)


def test_the_wsgi_application_is_djangos_own():
    from config.wsgi import application

    assert type(application) is WSGIHandler


def test_a_middleware_added_through_settings_sees_a_webhook_delivery(open_payment, settings):
    SEEN.clear()
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.RecordingMiddleware"]
    response = deliver(Client(), open_payment, *signed(open_payment, session_payload(open_payment, "succeeded")))
    assert response.status_code == 200, response.content
    assert [f"/payment/webhook/sandbox/{open_payment.config_id}/"] == SEEN


def test_a_delivery_with_an_empty_host_header_is_refused_with_400(open_payment):
    body, headers = signed(open_payment, session_payload(open_payment, "succeeded"))
    response = Client().post(
        f"/payment/webhook/sandbox/{open_payment.config_id}/", data=body, content_type="application/json",
        HTTP_HOST="", **headers,
    )
    assert response.status_code == 400
    assert open_payment.webhook_events.count() == 0

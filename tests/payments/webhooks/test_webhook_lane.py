"""The webhook lane (trackify/payments/api/webhook_lane.py): deliveries served in front of Django's
request handling answer as the view does; everything else is passed on to Django and answered there.

The delivery tests (test_webhook_delivery.py) run through the lane too; these check what is the lane's own.
"""

from __future__ import annotations

import logging

import pytest
from django.core.signals import request_finished
from django.test import Client

from tests.payments.webhooks.lane_client import LaneClient
from tests.payments.webhooks.sandbox_events import session_payload, signed
from trackify.payments.api import webhook_lane


def _url(payment) -> str:
    return f"/payment/webhook/sandbox/{payment.config_id}/"


@pytest.mark.parametrize("secure", [True, False])
def test_a_delivery_gets_the_headers_django_gives_it(open_payment, secure, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    lane = LaneClient()
    body, headers = signed(open_payment, session_payload(open_payment, "succeeded"))
    by_django = Client().post(_url(open_payment), data=body, content_type="application/json", secure=secure,
                              **headers)
    body, headers = signed(open_payment, session_payload(open_payment, "processing"))
    by_lane = lane.post(_url(open_payment), data=body, secure=secure, **headers)
    assert lane.served_by_lane
    assert (by_django.status_code, by_lane.status_code) == (200, 200)
    assert by_lane.json()["status"] == "processed"
    names = {name.lower() for name in by_django.headers} | {"content-length"}  # set by the server under Django
    assert set(by_lane.headers) == names
    for name in ("content-type", "x-content-type-options", "referrer-policy", "cross-origin-opener-policy"):
        assert by_lane[name] == by_django[name]
    assert by_lane.has_header("strict-transport-security") == secure  # HSTS only over HTTPS, as Django
    assert int(by_lane["content-length"]) == len(by_lane.content)


def test_a_well_formed_request_id_is_kept(open_payment):
    body, headers = signed(open_payment, session_payload(open_payment, "succeeded"))
    response = LaneClient().post(_url(open_payment), data=body, HTTP_X_REQUEST_ID="proxy-id-12345", **headers)
    assert response["x-request-id"] == "proxy-id-12345"
    other = LaneClient().post(_url(open_payment), data=body, HTTP_X_REQUEST_ID="bad id", **headers)
    assert other["x-request-id"] != "bad id" and len(other["x-request-id"]) == 32


@pytest.mark.parametrize(
    ("method", "path", "environ", "status"),
    [
        ("GET", "/payment/webhook/sandbox/", {}, 405),
        ("PUT", "/payment/webhook/sandbox/", {}, 405),
        ("POST", "/payment/webhook/sandbox/not-a-uuid/", {}, 404),
        ("POST", "/payment/webhook/sandbox", {}, 301),  # APPEND_SLASH
        ("POST", "/payment/webhook/sandbox/", {"HTTP_HOST": "evil.example"}, 400),
    ],
)
def test_what_is_not_plainly_a_delivery_is_passed_on_to_django(db, method, path, environ, status):
    lane = LaneClient()
    response = lane.generic(method, path, b"{}", content_type="application/json", **environ)
    assert not lane.served_by_lane
    assert response.status_code == status


def test_a_body_without_content_length_is_passed_on(db):
    lane = LaneClient()
    from django.test import RequestFactory

    environ = RequestFactory().post("/payment/webhook/sandbox/", data=b"{}", content_type="application/json").environ
    del environ["CONTENT_LENGTH"]
    response = lane.request(environ)
    assert not lane.served_by_lane
    assert response.status_code == 400  # Django reads no body without a length: nothing to verify


def test_an_insecure_delivery_gets_djangos_redirect_where_https_is_required(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    lane = LaneClient()
    response = lane.post("/payment/webhook/sandbox/", data=b"{}")
    assert not lane.served_by_lane
    assert response.status_code == 301
    assert response["location"].startswith("https://")
    served = lane.post("/payment/webhook/nope/", data=b"{}", secure=True)
    assert lane.served_by_lane and served.status_code == 404


def test_an_unexpected_error_is_logged_and_answered_as_django_does(open_payment, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(webhook_lane, "webhook_answer", broken)
    lane = LaneClient()
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = lane.post(_url(open_payment), data=b"{}")
    assert lane.served_by_lane
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "server_error", "message": "Something went wrong on our side."}}
    assert "the database went away" not in response.content.decode()
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is not None and record.status_code == 500


def test_a_refused_delivery_is_logged_as_django_logs_it(open_payment, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = LaneClient().post(_url(open_payment), data=b"{}")
    assert response.status_code == 400
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == f"Bad Request: {_url(open_payment)}"
    assert record.status_code == 400 and record.request.path == _url(open_payment)


def test_closing_the_answer_finishes_the_request(open_payment):
    finished = []

    def receiver(**kwargs):
        finished.append(kwargs["sender"])

    request_finished.connect(receiver)
    try:
        LaneClient().post(_url(open_payment), data=b"{}")
    finally:
        request_finished.disconnect(receiver)
    assert len(finished) == 1


def test_the_lane_can_be_turned_off(settings):
    def app(environ, start_response):
        return []

    assert isinstance(webhook_lane.wrap(app), webhook_lane.WebhookLane)
    settings.TRACKIFY_WEBHOOK_LANE = False
    assert webhook_lane.wrap(app) is app


def test_the_wsgi_application_serves_webhooks_through_the_lane():
    from config import wsgi

    assert isinstance(wsgi.application, webhook_lane.WebhookLane)


def test_the_headers_a_gateway_reads_come_from_the_environ_by_lower_case_name():
    from trackify.payments.api.webhooks import _EnvironHeaders

    headers = _EnvironHeaders({"HTTP_STRIPE_SIGNATURE": "t=1,v1=ab", "CONTENT_TYPE": "application/json",
                               "CONTENT_LENGTH": "12", "REMOTE_ADDR": "127.0.0.1", "HTTP_X_REQUEST_ID": "r"})
    assert headers["stripe-signature"] == "t=1,v1=ab"
    assert headers.get("content-type") == "application/json"
    assert headers.get("Stripe-Signature") is None  # names are lower-case, as WebhookRequest.header asks
    assert headers.get("remote-addr") is None
    assert dict(headers) == {"stripe-signature": "t=1,v1=ab", "content-type": "application/json",
                             "content-length": "12", "x-request-id": "r"}
    assert len(headers) == 4

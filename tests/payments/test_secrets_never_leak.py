"""A gateway secret never leaves the database in the clear: not in a response, not in a log line."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from django.test import Client

from tests.conftest import post_json

SECRET = "whsec_do_not_leak_0123456789abcdef"


def test_secret_appears_in_no_response_and_no_log_line_through_a_whole_payment(api, anon, invoice, caplog):
    caplog.set_level(logging.DEBUG)
    seen: list[tuple[str, int, Any]] = []  # (step, the status it must answer, the response)

    def answered(step: str, status: int, response: Any) -> Any:
        seen.append((step, status, response))
        return response

    created = answered("create config", 201, post_json(
        api, "/payment/gateways/", {"gateway_name": "sandbox", "credentials": {"webhook_secret": SECRET}}
    ))
    config_id = created.json()["id"]
    answered("list configs", 200, api.get("/payment/gateways/"))
    answered("read config", 200, api.get(f"/payment/gateways/{config_id}/"))
    answered("test connection", 200, post_json(api, f"/payment/gateways/{config_id}/test-connection/"))
    gateway_url = f"/payment/invoice/{invoice.pk}/gateway/"
    public = answered("public invoice gateway", 200, anon.get(gateway_url, {"token": invoice.public_token}))
    session = answered("create session", 201, post_json(
        anon, "/payment/create-session/", {"invoice_id": str(invoice.pk), "invoice_token": invoice.public_token}
    ))
    payment_id = session.json()["payment_id"]
    completed = answered("sandbox complete", 200, post_json(
        anon,
        f"/payment/sandbox/{payment_id}/complete/",
        {"outcome": "succeeded", "deliver": False},
        HTTP_X_INVOICE_TOKEN=invoice.public_token,
    ))
    webhook = completed.json()["webhook"]
    path = urlsplit(webhook["url"]).path
    tampered = webhook["body"].replace("succeeded", "cancelled")
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in webhook["headers"].items() if k != "Content-Type"}
    answered("tampered webhook", 400, Client().post(path, data=tampered, content_type="application/json", **headers))
    answered("webhook", 200, Client().post(path, data=webhook["body"], content_type="application/json", **headers))
    answered("status", 200, anon.get(f"/payment/status/{payment_id}/", {"token": invoice.public_token}))
    answered("refund", 201, post_json(api, f"/payment/{payment_id}/refund/", {"amount": "10.00"}))

    # Each step did what it should (an error page instead would hide nothing, and prove nothing)...
    assert [(step, r.status_code) for step, _, r in seen] == [(step, status) for step, status, _ in seen]
    # ...and none of the answers carries the secret.
    assert all(SECRET.encode() not in r.content for _, _, r in seen)
    assert "whsec_…cdef" in created.json()["credentials"]["webhook_secret"]
    assert all(SECRET not in record.getMessage() for record in caplog.records)
    assert b"owner" not in public.content and b"credentials" not in public.content


def test_api_urls_that_match_nothing_answer_json_404(anon, db):
    response = anon.get("/payment/status/not-a-uuid/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"

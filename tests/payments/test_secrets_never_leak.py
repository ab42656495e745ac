"""A gateway secret never leaves the database in the clear: not in a response, not in a log line."""

from __future__ import annotations

import logging

from django.test import Client

from tests.conftest import post_json

SECRET = "whsec_do_not_leak_0123456789abcdef"


def test_secret_appears_in_no_response_and_no_log_line_through_a_whole_payment(api, anon, invoice, caplog):
    caplog.set_level(logging.DEBUG)
    seen: list[bytes] = []

    created = post_json(
        api, "/payment/gateways/", {"gateway_name": "sandbox", "credentials": {"webhook_secret": SECRET}}
    )
    seen.append(created.content)
    config_id = created.json()["id"]
    seen.append(api.get("/payment/gateways/").content)
    seen.append(api.get(f"/payment/gateways/{config_id}/").content)
    seen.append(post_json(api, f"/payment/gateways/{config_id}/test-connection/").content)
    public = anon.get(f"/payment/invoice/{invoice.pk}/gateway/", {"token": invoice.public_token})
    seen.append(public.content)
    session = post_json(
        anon, "/payment/create-session/", {"invoice_id": str(invoice.pk), "invoice_token": invoice.public_token}
    )
    seen.append(session.content)
    payment_id = session.json()["payment_id"]
    completed = post_json(
        anon,
        f"/payment/sandbox/{payment_id}/complete/",
        {"outcome": "succeeded", "deliver": False},
        HTTP_X_INVOICE_TOKEN=invoice.public_token,
    )
    seen.append(completed.content)
    webhook = completed.json()["webhook"]
    tampered = webhook["body"].replace("succeeded", "cancelled")
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in webhook["headers"].items() if k != "Content-Type"}
    seen.append(
        Client()
        .post(webhook["url"].split("8000")[1], data=tampered, content_type="application/json", **headers)
        .content
    )
    seen.append(
        Client()
        .post(webhook["url"].split("8000")[1], data=webhook["body"], content_type="application/json", **headers)
        .content
    )
    seen.append(anon.get(f"/payment/status/{payment_id}/", {"token": invoice.public_token}).content)
    seen.append(post_json(api, f"/payment/{payment_id}/refund/", {"amount": "10.00"}).content)

    assert all(SECRET.encode() not in body for body in seen)
    assert "whsec_…cdef" in created.json()["credentials"]["webhook_secret"]
    assert all(SECRET not in record.getMessage() for record in caplog.records)
    assert b"owner" not in public.content and b"credentials" not in public.content


def test_api_urls_that_match_nothing_answer_json_404(anon, db):
    response = anon.get("/payment/status/not-a-uuid/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"

"""The baseline webhook: verify the HMAC, insert the event row (unique), update a payment and an invoice.

This is the unavoidable work of accepting a Stripe event, with nothing else: no state machine, no
history, no amount check, no dedupe beyond the unique constraint. Trackify's throughput is printed
as a ratio of this one's, measured in the same run.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

TABLES = """
CREATE TABLE IF NOT EXISTS baseline_invoice (
    id uuid PRIMARY KEY, total bigint NOT NULL, amount_paid bigint NOT NULL DEFAULT 0,
    status varchar(20) NOT NULL DEFAULT 'open', updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS baseline_payment (
    id uuid PRIMARY KEY, invoice_id uuid NOT NULL REFERENCES baseline_invoice (id),
    amount bigint NOT NULL, status varchar(20) NOT NULL DEFAULT 'pending',
    updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS baseline_event (
    id bigserial PRIMARY KEY, config_id uuid NOT NULL, event_id varchar(255) NOT NULL,
    event_type varchar(100) NOT NULL, payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (config_id, event_id));
"""

_STATUS = {"checkout.session.completed": "succeeded", "payment_intent.succeeded": "succeeded"}


def _verified(body: bytes, header: str, secret: str) -> bool:
    parts = [item.split("=", 1) for item in header.split(",") if "=" in item]
    timestamps = [value for key, value in parts if key == "t"]
    signatures = [value for key, value in parts if key == "v1"]
    if not timestamps or not timestamps[0].isdigit() or abs(time.time() - int(timestamps[0])) > 300:
        return False
    expected = hmac.new(secret.encode(), timestamps[0].encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, signature) for signature in signatures)


@csrf_exempt
def webhook(request: HttpRequest, config_id: UUID) -> JsonResponse:
    body = request.body
    secret = getattr(settings, "BASELINE_WEBHOOK_SECRET", "")
    if not _verified(body, request.headers.get("Stripe-Signature", ""), secret):
        return JsonResponse({"error": "bad signature"}, status=400)
    event = json.loads(body)
    obj = event["data"]["object"]
    payment_id = obj.get("metadata", {}).get("trackify_payment_id")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO baseline_event (config_id, event_id, event_type, payload) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING RETURNING id",
            [config_id, event["id"], event["type"], body.decode()],
        )
        if cursor.fetchone() is None:
            return JsonResponse({"status": "duplicate"})
        cursor.execute(
            "UPDATE baseline_payment SET status = %s, updated_at = now() WHERE id = %s RETURNING invoice_id, amount",
            [_STATUS.get(event["type"], "processing"), payment_id],
        )
        row = cursor.fetchone()
        if row is not None:
            cursor.execute(
                "UPDATE baseline_invoice SET amount_paid = %s, status = 'paid', updated_at = now() WHERE id = %s",
                [row[1], row[0]],
            )
    return JsonResponse({"status": "processed"})


def status(request: HttpRequest, payment_id: UUID) -> JsonResponse:
    """The least a status endpoint does: one read of the payment and its invoice."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.status, p.amount, i.amount_paid, i.status FROM baseline_payment p "
            "JOIN baseline_invoice i ON i.id = p.invoice_id WHERE p.id = %s",
            [payment_id],
        )
        row = cursor.fetchone()
    if row is None:
        return JsonResponse({"error": "not found"}, status=404)
    return JsonResponse({"status": row[0], "amount": row[1], "invoice": {"amount_paid": row[2], "status": row[3]}})

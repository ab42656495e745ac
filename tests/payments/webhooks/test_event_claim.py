"""The event claim (trackify/payments/services/webhook_events.py): the event row and the ledger's
history rows are stored together, and not at all for an event that is done already."""

from __future__ import annotations

import pytest
from django.db import transaction

from trackify.payments.models import PaymentStatusChange

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_event_and_its_history_are_stored_together_and_not_at_all_for_a_done_event(open_payment):
    from trackify.payments.gateways.types import WebhookEvent
    from trackify.payments.services.webhook_events import event_claim

    def history(note):
        return [
            PaymentStatusChange(payment=open_payment, from_status="pending", to_status="succeeded", applied=True,
                                source="webhook", note=note),
            PaymentStatusChange(payment=open_payment, from_status="pending", to_status="failed", applied=False,
                                source="webhook", note=note),
        ]

    event = WebhookEvent(gateway_event_id="evt_linked", event_type="session.succeeded", payload={"id": "evt_linked"})
    with transaction.atomic():
        first = event_claim(config=open_payment.config, event=event, status="processed", payment_id=open_payment.pk,
                            history=history("first"))
    assert first is not None
    stored = PaymentStatusChange.objects.filter(webhook_event_id=first).order_by("id")
    assert [(c.to_status, c.applied, c.note, c.payment_id) for c in stored] == [
        ("succeeded", True, "first", open_payment.pk), ("failed", False, "first", open_payment.pk)]
    assert all(c.created_at is not None for c in stored)
    with transaction.atomic():
        again = event_claim(config=open_payment.config, event=event, status="processed", payment_id=open_payment.pk,
                            history=history("again"))
    assert again is None  # done already: nothing stored
    assert not PaymentStatusChange.objects.filter(note="again").exists()

"""A sender killed mid-send: the notification is sent again, with the same `webhook-id`, and nothing
else is sent twice.

A real `manage.py notifications_deliver` process sends a payment's webhooks to a real HTTP server on
127.0.0.1. The server holds its answer to the first one; the harness kills the sender with SIGKILL
while it waits, after the server has the message (the one case Standard Webhooks leaves to the
receiver: it dedupes by `webhook-id`). The delivery was not marked sent (its transaction died with
the process, and its row lock with its connection), so the next sender sends it again; every other
delivery is sent exactly once.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from standardwebhooks import Webhook

from tests.harness.live_server import ROOT, database_url
from tests.payments.notifications.receiver import Answer, receiving
from trackify.invoices.services import invoice_create
from trackify.payments.gateways.types import PaymentStatus, PaymentUpdate
from trackify.payments.models import InvoicePayment, NotificationDelivery
from trackify.payments.services import ledger
from trackify.payments.services.gateway_configs import gateway_config_create
from trackify.payments.services.notifications import sender
from trackify.payments.services.webhook_endpoints import webhook_endpoint_create

pytestmark = [pytest.mark.postgres, pytest.mark.harness, pytest.mark.django_db(transaction=True)]


def _deliver_in_a_process() -> subprocess.Popen[bytes]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": database_url(),
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    command = [sys.executable, "manage.py", "notifications_deliver", "--seconds", "30"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_sender_killed_after_the_receiver_got_the_message_sends_it_again_and_nothing_else_twice(
    make_user: Any, settings: Any
) -> None:
    settings.TRACKIFY_NOTIFY_INLINE_SECONDS = 0  # only the processes below send
    owner = make_user("crash-notify-owner")
    config = gateway_config_create(owner=owner, gateway_name="sandbox")
    with receiving() as receiver:
        endpoint = webhook_endpoint_create(owner=owner, url=receiver.url)
        receiver.answers = [Answer(delay=60)]  # the first message: the server has it, and holds its answer
        payments = []
        for n in range(3):
            invoice = invoice_create(owner=owner, number=f"KILL-{n}", client_name="C", currency="EUR", total="10.00")
            payment = InvoicePayment.objects.create(invoice=invoice, config=config, gateway_name="sandbox",
                                                    amount=1000, currency="EUR", gateway_reference=f"sess_k{n}")
            ledger.payment_apply(payment_id=payment.pk, source="webhook",
                                 payment_update=PaymentUpdate(status=PaymentStatus.SUCCEEDED, amount=1000,
                                                              currency="EUR"))  # fmt: skip
            payments.append(payment)

        process = _deliver_in_a_process()
        deadline = time.monotonic() + 60
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert receiver.received, "the sender never sent"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        first = receiver.received[0].headers["webhook-id"]
        assert NotificationDelivery.objects.get(pk=first).status == "pending"  # not marked sent: it died first

        _deliver_in_a_process().wait(timeout=60)  # a later sender (cron's next minute)
        sender.deliver_due()  # nothing left for it

        expected = NotificationDelivery.objects.filter(channel="webhook").count()
        assert expected == 6  # payment.succeeded and invoice.paid of each payment
        ids = collections.Counter(message.headers["webhook-id"] for message in receiver.received)
        assert set(NotificationDelivery.objects.filter(channel="webhook").values_list("status", flat=True)) == {"sent"}
        assert len(ids) == expected
        assert ids[first] == 2 and all(n == 1 for key, n in ids.items() if key != first), ids
        verifier = Webhook(endpoint.secret)
        for message in receiver.received:
            verifier.verify(message.body, message.headers)

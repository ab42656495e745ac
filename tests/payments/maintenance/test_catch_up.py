"""`payments_catch_up`: payments whose webhooks never came are brought up to date by asking the
gateway, in keyset pages (never the whole backlog in memory), from a few threads; sessions past
their expiry are closed at the gateway."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import client_for
from tests.fakes.fake_stripe import Account
from tests.payments.gateways.stripe.stripe_api import create_stripe_config
from trackify.invoices.models import Invoice
from trackify.payments.models import InvoicePayment
from trackify.payments.services.catch_up import keyset_pages, payments_catch_up, stale_payments
from trackify.payments.services.sessions import payment_session_create
from trackify.sandbox import provider
from trackify.sandbox.models import SandboxSession

pytestmark = pytest.mark.django_db


def open_payments(make_invoice: Any, n: int, *, age: timedelta = timedelta(hours=1)) -> list[InvoicePayment]:
    payments = [payment_session_create(invoice_id=make_invoice(total="10.00").pk).payment for _ in range(n)]
    InvoicePayment.objects.filter(pk__in=[p.pk for p in payments]).update(created_at=timezone.now() - age)
    return payments


def statuses(payments: list[InvoicePayment]) -> list[str]:
    by_id = dict(InvoicePayment.objects.filter(pk__in=[p.pk for p in payments]).values_list("pk", "status"))
    return [by_id[p.pk] for p in payments]


def test_payments_settled_at_the_gateway_without_a_webhook_are_caught_up(make_invoice, sandbox_config) -> None:
    paid, declined, still_open = open_payments(make_invoice, 3)
    provider.complete_session(paid.gateway_reference, "succeeded")  # no webhook is ever delivered
    provider.complete_session(declined.gateway_reference, "declined")

    out = StringIO()
    call_command("payments_catch_up", "--workers", "1", stdout=out, stderr=StringIO())

    assert statuses([paid, declined, still_open]) == ["succeeded", "failed", "pending"]
    invoice = Invoice.objects.get(pk=paid.invoice_id)
    assert (invoice.status, invoice.amount_paid) == ("paid", 1000)
    assert "checked: 3" in out.getvalue()
    assert "moved by their gateway's answer: 2 (1 failed, 1 succeeded)" in out.getvalue()


def test_recent_payments_are_left_to_their_webhooks(make_invoice, sandbox_config) -> None:
    [recent] = open_payments(make_invoice, 1, age=timedelta(minutes=2))
    provider.complete_session(recent.gateway_reference, "succeeded")
    summary = payments_catch_up(older_than=timedelta(minutes=15), workers=1)
    assert (summary.total, statuses([recent])) == (0, ["pending"])


def test_a_session_past_its_expiry_is_closed(make_invoice, sandbox_config) -> None:
    [old] = open_payments(make_invoice, 1)
    past = timezone.now() - timedelta(minutes=1)
    InvoicePayment.objects.filter(pk=old.pk).update(expires_at=past)
    SandboxSession.objects.filter(pk=old.gateway_reference).update(expires_at=past)

    summary = payments_catch_up(older_than=timedelta(minutes=15), workers=1)

    assert statuses([old]) == ["expired"]
    assert sum(summary.moved.values()) + summary.closed == 1


def test_the_backlog_is_read_in_keyset_pages_never_all_at_once(make_invoice, sandbox_config) -> None:
    payments = open_payments(make_invoice, 7)
    pages = list(keyset_pages(stale_payments(older_than=timedelta(minutes=15)), batch_size=3))
    assert [len(page) for page in pages] == [3, 3, 1]
    assert sorted(pk for page in pages for pk in page) == sorted(p.pk for p in payments)

    with CaptureQueriesContext(connection) as queries:
        summary = payments_catch_up(older_than=timedelta(minutes=15), batch_size=3, workers=1)
    assert summary.checked == 7
    listing = [q["sql"] for q in queries if q["sql"].startswith('SELECT "payments_invoicepayment"."id" AS "pk"')]
    # The lapsed reservations' walk (one empty page), then three pages and the empty one that ends the walk.
    assert len(listing) == 5
    assert all("LIMIT 3" in sql for sql in listing)


def test_a_gateway_error_leaves_the_payment_and_the_run_goes_on(make_invoice, sandbox_config) -> None:
    first, second = open_payments(make_invoice, 2)
    provider.complete_session(second.gateway_reference, "succeeded")
    SandboxSession.objects.filter(pk=first.gateway_reference).delete()  # the gateway no longer knows it
    summary = payments_catch_up(older_than=timedelta(minutes=15), workers=1)
    assert summary.checked == 2
    assert statuses([first, second]) == ["pending", "succeeded"]


def test_the_command_prints_a_progress_bar_and_a_summary(make_invoice, sandbox_config) -> None:
    open_payments(make_invoice, 4)
    out, err = StringIO(), StringIO()
    call_command("payments_catch_up", "--workers", "1", "--batch-size", "2", stdout=out, stderr=err)
    assert "[##############################] 4/4" in err.getvalue()
    assert "payments past the threshold: 4, checked: 4" in out.getvalue()


# -- Stripe, through the fake server ------------------------------------------------------------


def test_stripe_payments_paid_without_a_webhook_and_abandoned_intents_are_caught_up(
    user, make_invoice, stripe_account: Account
) -> None:
    api = client_for(user)
    create_stripe_config(api, stripe_account, is_default=True)
    checkout_paid, = open_payments(make_invoice, 1)
    stripe_account.pay_checkout(checkout_paid.gateway_reference)
    config = create_stripe_config(api, stripe_account, flow="in_modal", is_default=True)
    abandoned, = open_payments(make_invoice, 1)
    assert abandoned.config_id is not None and str(abandoned.config_id) == config["id"]
    InvoicePayment.objects.filter(pk=abandoned.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    summary = payments_catch_up(older_than=timedelta(minutes=15), workers=1)

    assert statuses([checkout_paid, abandoned]) == ["succeeded", "cancelled"]
    assert stripe_account.intents[abandoned.gateway_reference]["status"] == "canceled"
    assert (summary.moved["succeeded"], summary.closed) == (1, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_threads_each_with_their_own_connection_catch_up_every_payment(make_invoice, sandbox_config) -> None:
    payments = open_payments(make_invoice, 12)
    for payment in payments[::2]:
        provider.complete_session(payment.gateway_reference, "succeeded")
    summary = payments_catch_up(older_than=timedelta(minutes=15), batch_size=5, workers=3)
    assert summary.checked == 12
    assert statuses(payments) == ["succeeded", "pending"] * 6
    assert summary.moved["succeeded"] == 6

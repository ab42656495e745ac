"""No invoice paid twice by accident, across sessions and gateways (Stripe at the fake server, and
the sandbox): open sessions reserve their amount, opening one for the rest closes the others at
their gateways, a success closes the ones left, and an overpayment that still slips through is
recorded, shown to the owner and refundable in one call."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.conftest import post_json
from tests.fakes.fake_stripe import Account, FakeStripe
from tests.payments.api.conftest import assert_error
from tests.payments.gateways.stripe.stripe_api import deliver, open_session, opened, payment, reference_of
from trackify.payments.models import InvoicePayment
from trackify.payments.services.gateway_configs import gateway_config_create
from trackify.payments.services.sessions import payment_session_create
from trackify.sandbox import provider
from trackify.sandbox.provider import SandboxError

pytestmark = pytest.mark.django_db

EXPIRE = "/v1/checkout/sessions/"


def test_three_sessions_opened_one_after_another_leave_one_payable(
    anon, make_invoice, stripe_config, stripe_account: Account
) -> None:
    invoice = make_invoice(total="10.00", allow_partial_payment=True)
    first, second, third = (opened(anon, invoice, amount=a)["payment_id"] for a in ("10.00", "9.99", "9.98"))
    assert [payment(p).status for p in (first, second, third)] == ["expired", "expired", "pending"]
    assert [stripe_account.sessions[reference_of(p)]["status"] for p in (first, second, third)] == [
        "expired", "expired", "open",
    ]  # fmt: skip
    with pytest.raises(AssertionError):  # the hosted page of a closed session takes no money
        stripe_account.pay_checkout(reference_of(first))
    deliver(stripe_account, stripe_account.pay_checkout(reference_of(third)), stripe_config["id"])
    done = payment(third).invoice
    assert (done.amount_paid, done.status) == (998, "partially_paid")


def test_a_full_payment_invoice_with_two_active_configs_is_payable_once(
    user, anon, invoice, stripe_config, stripe_account: Account
) -> None:
    on_stripe = opened(anon, invoice)["payment_id"]
    sandbox = gateway_config_create(owner=user, gateway_name="sandbox")
    on_sandbox = opened(anon, invoice, gateway_config_id=str(sandbox.pk))["payment_id"]
    assert stripe_account.sessions[reference_of(on_stripe)]["status"] == "expired"
    assert (payment(on_stripe).status, payment(on_sandbox).status) == ("expired", "pending")


def test_a_session_stripe_cannot_close_reserves_its_amount(
    anon, make_invoice, stripe_config, fake_stripe: FakeStripe, stripe_account: Account
) -> None:
    invoice = make_invoice(total="10.00", allow_partial_payment=True)
    stuck = opened(anon, invoice, amount="4.00")["payment_id"]
    fake_stripe.fail_next(5, status=503, method="POST", path=EXPIRE)
    error = assert_error(open_session(anon, invoice, amount="10.00"), 409, "payment_in_progress")
    assert "try again" in error["message"]
    fake_stripe.fail_next(5, status=503, method="POST", path=EXPIRE)
    rest = opened(anon, invoice, amount="6.00")["payment_id"]  # the rest next to it is fine
    assert (payment(stuck).status, payment(rest).status) == ("pending", "pending")
    assert InvoicePayment.objects.filter(invoice=invoice).count() == 2


def test_a_session_paid_before_it_could_be_closed_counts_and_nothing_more_is_payable(
    user, anon, invoice, stripe_config, stripe_account: Account
) -> None:
    first = opened(anon, invoice)["payment_id"]
    stripe_account.pay_checkout(reference_of(first))  # paid; its webhook has not arrived yet
    sandbox = gateway_config_create(owner=user, gateway_name="sandbox")
    assert_error(open_session(anon, invoice, gateway_config_id=str(sandbox.pk)), 409, "invoice_not_payable")
    assert payment(first).status == "succeeded"
    assert payment(first).invoice.status == "paid"


def test_a_success_closes_the_invoices_other_open_sessions(
    anon, make_invoice, stripe_config, fake_stripe: FakeStripe, stripe_account: Account,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    invoice = make_invoice(total="10.00", allow_partial_payment=True)
    left_open = opened(anon, invoice, amount="4.00")["payment_id"]
    fake_stripe.fail_next(5, status=503, method="POST", path=EXPIRE)
    paid = opened(anon, invoice, amount="6.00")["payment_id"]
    with django_capture_on_commit_callbacks(execute=True):
        deliver(stripe_account, stripe_account.pay_checkout(reference_of(paid)), stripe_config["id"])
    assert stripe_account.sessions[reference_of(left_open)]["status"] == "expired"
    assert payment(left_open).status == "expired"


def test_sandbox_sessions_are_closed_too(user, anon, make_invoice) -> None:
    gateway_config_create(owner=user, gateway_name="sandbox", is_default=True)
    invoice = make_invoice(total="10.00", allow_partial_payment=True)
    first = payment_session_create(invoice_id=invoice.pk, amount=500).payment
    payment_session_create(invoice_id=invoice.pk, amount=1000)
    with pytest.raises(SandboxError):
        provider.complete_session(first.gateway_reference, "succeeded")


# -- an overpayment that slips through ------------------------------------------------------------


def slipped_through(invoice: Any, config: dict[str, Any], stripe_account: Account) -> tuple[str, str]:
    """Two Checkout payments of the whole invoice, both paid: two clients finishing at the same moment
    (the second session is made at Stripe directly, as if the first had not been recorded yet)."""
    from tests.payments.gateways.stripe.conftest import session_request
    from trackify.payments.services.gateway_configs import gateway_for

    first = payment_session_create(invoice_id=invoice.pk).payment
    second = InvoicePayment(invoice=invoice, config=first.config, gateway_name="stripe", amount=first.amount,
                            currency="EUR", expires_at=first.expires_at)  # fmt: skip
    request = session_request(payment_id=second.id, amount=second.amount, idempotency_key=f"race-{second.id}")
    second.gateway_reference = gateway_for(first.config).create_payment_session(request).gateway_reference
    second.save()
    for made in (first, second):
        deliver(stripe_account, stripe_account.pay_checkout(made.gateway_reference), config["id"])
    return str(first.pk), str(second.pk)


def test_an_overpayment_is_recorded_shown_and_refunded_in_one_call(
    api, invoice, stripe_config, stripe_account: Account, fake_stripe: FakeStripe
) -> None:
    first, second = slipped_through(invoice, stripe_config, stripe_account)
    shown = api.get(f"/invoices/{invoice.pk}/").json()
    assert (shown["amount_paid"], shown["amount_overpaid"]) == ("200.00", "100.00")
    assert "overpayment" in payment(second).attention_reason
    assert payment(first).attention_reason == ""
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "admin-pass-123")
    admin_client = Client()
    admin_client.force_login(admin)
    page = admin_client.get(f"/admin/invoices/invoice/{invoice.pk}/change/").content.decode()
    assert "Amount overpaid" in page and "100.00 EUR" in page
    assert "overpayment" in admin_client.get("/admin/payments/invoicepayment/").content.decode()

    response = post_json(api, f"/payment/invoice/{invoice.pk}/refund-overpayment/")
    assert response.status_code == 201, response.content
    [refund] = response.json()
    assert (refund["amount"], refund["status"], refund["payment_id"]) == ("100.00", "succeeded", second)
    [call] = fake_stripe.requests_to("POST", "/v1/refunds")
    assert call.params["amount"] == "10000"
    shown = api.get(f"/invoices/{invoice.pk}/").json()
    assert (shown["amount_paid"], shown["amount_overpaid"], shown["status"]) == ("100.00", "0.00", "paid")

    again = post_json(api, f"/payment/invoice/{invoice.pk}/refund-overpayment/")
    assert_error(again, 409, "not_overpaid")


def test_only_the_owner_refunds_an_overpayment(other_api, invoice, stripe_config) -> None:
    assert_error(post_json(other_api, f"/payment/invoice/{invoice.pk}/refund-overpayment/"), 404)

"""The conformance checks, written once, run for every gateway over our HTTP API.

A gateway's test module subclasses `GatewayConformance` with its adapter:

    class TestAcmeConformance(GatewayConformance):
        adapter_class = AcmeAdapter

and pytest collects every check below for it. A check the gateway's capabilities rule out, or its
adapter cannot drive (`NotSupported`), is skipped with the reason, never passed silently.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from django.core.management import call_command
from django.db import connection

from trackify.payments.gateways.testing.adapter import (
    FAULT_KINDS,
    FaultKind,
    GatewayAdapter,
    KitPayment,
    NotSupported,
)
from trackify.payments.gateways.testing.driver import Kit

#: Our answer to create-session when the provider meets each fault: (statuses, error code).
FAULT_ANSWERS: dict[FaultKind, tuple[tuple[int, ...], str]] = {
    "down": ((502, 503), "gateway_unavailable"),
    "error_5xx": ((502, 503), "gateway_unavailable"),
    "rate_limited": ((502, 503), "gateway_unavailable"),
    "bad_request": ((400,), "gateway_rejected_request"),
    "unauthorized": ((502,), "gateway_misconfigured"),
}
STAYS_FAULTY = 50  # requests: more than any SDK retries, so the fault outlasts them


class GatewayConformance:
    """Subclass as `Test<Gateway>Conformance` and set `adapter_class`."""

    adapter_class: ClassVar[type[GatewayAdapter]]

    @pytest.fixture
    def kit(
        self, transactional_db: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, django_user_model: Any
    ) -> Iterator[Kit]:
        from django.core.cache import caches
        from django.core.cache.backends.locmem import LocMemCache
        from rest_framework.authtoken.models import Token

        if isinstance(caches["default"], LocMemCache):  # throttle counters from another test
            caches["default"].clear()
        # The payer's poll asks the provider every time (the kit checks what each signal brings).
        settings.TRACKIFY_STATUS_REFRESH_INTERVAL = 0
        adapter = self.adapter_class()
        adapter.start(settings=settings, monkeypatch=monkeypatch)
        try:
            owner = django_user_model.objects.create_user(username=f"kit-{uuid.uuid4().hex[:8]}")
            kit = Kit(adapter, owner, Token.objects.create(user=owner).key)
            with kit.logs.installed():
                kit.begin()
                yield kit
                # Every check is also a secrets check: nothing it made the system say shows a secret.
                assert kit.leaks(adapter.secrets()) == [], "a secret leaked"
        finally:
            adapter.stop()

    @property
    def capabilities(self) -> Any:
        return self.adapter_class.gateway_class.capabilities

    def needs(self, capability: str) -> None:
        if not getattr(self.capabilities, capability):
            pytest.skip(f"{self.adapter_class.gateway_class.name} has no capabilities.{capability}")

    def paid_payment(self, kit: Kit, invoice: dict[str, Any]) -> KitPayment:
        payment = kit.paid(kit.opened(invoice), invoice)
        assert payment.status == "succeeded", payment
        return payment

    # -- payments --------------------------------------------------------------------------------

    def test_a_full_payment_pays_the_invoice(self, kit: Kit) -> None:
        invoice = kit.invoice("100.00")
        payment = kit.opened(invoice)
        assert payment.status == "pending" and payment.gateway_reference
        assert payment.redirect_url or payment.client_params, "the payer needs a page or a widget"
        payment = kit.paid(payment, invoice)
        assert payment.status == "succeeded"
        invoice_now = kit.invoice_now(invoice)
        assert (invoice_now["status"], invoice_now["amount_paid"]) == ("paid", "100.00")
        assert kit.applied(payment.payment_id, "succeeded") == 1

    def test_a_decline_then_a_retry_pays_once(self, kit: Kit) -> None:
        invoice = kit.invoice("100.00")
        payment = kit.opened(invoice)
        kit.provider.decline(payment)
        kit.deliver_all()
        payment = kit.again(payment)
        assert payment.status in ("pending", "failed"), payment  # the session may stay payable
        assert kit.invoice_now(invoice)["amount_paid"] == "0.00"
        retry = kit.opened(invoice) if payment.status == "failed" else payment
        assert kit.paid(retry, invoice).status == "succeeded"
        invoice_now = kit.invoice_now(invoice)
        assert (invoice_now["status"], invoice_now["amount_paid"]) == ("paid", "100.00")

    def test_an_expired_session_leaves_the_invoice_payable(self, kit: Kit) -> None:
        invoice = kit.invoice("100.00")
        payment = kit.opened(invoice)
        kit.provider.expire(payment)
        kit.deliver_all()
        kit.status(payment, invoice)
        assert kit.again(payment).status == "expired"
        invoice_now = kit.invoice_now(invoice)
        assert (invoice_now["status"], invoice_now["amount_due"]) == ("open", "100.00")
        assert kit.opened(invoice).status == "pending"  # payable again

    # -- one session per payment -------------------------------------------------------------------

    def test_a_retried_create_session_opens_one_session(self, kit: Kit) -> None:
        invoice = kit.invoice()
        first = kit.ok(kit.open_session(invoice, key="kit-retry-1"), 201)
        second = kit.open_session(invoice, key="kit-retry-1")
        assert second.status_code in (200, 201), second.content
        assert second.json()["payment_id"] == first["payment_id"]
        assert kit.provider.sessions_opened(kit.payment(first["payment_id"])) == 1

    def test_a_lost_answer_then_the_sdk_retry_opens_one_session(self, kit: Kit) -> None:
        kit.provider.fault("answer_lost", 1)
        payment = kit.opened(kit.invoice())
        assert kit.provider.sessions_opened(payment) == 1

    # -- deliveries: duplicates, order, lateness ----------------------------------------------------

    def test_duplicate_deliveries_apply_once(self, kit: Kit) -> None:
        invoice = kit.invoice("100.00")
        payment = kit.opened(invoice)
        kit.provider.pay(payment)
        sent = kit.deliveries()
        assert sent, "paying at the provider sends at least one delivery"
        kit.deliver(sent + sent)  # each twice, all answered 200
        answers = kit.deliver(sent)  # by now each is news already heard
        assert [a["status"] for a in answers] == ["duplicate"] * len(sent), answers
        assert kit.again(payment).status == "succeeded"
        assert kit.invoice_now(invoice)["amount_paid"] == "100.00"
        assert kit.applied(payment.payment_id, "succeeded") == 1

    def test_reordered_deliveries_apply_once(self, kit: Kit) -> None:
        invoice = kit.invoice("100.00")
        payment = kit.opened(invoice)
        kit.provider.pay(payment)
        kit.deliver(list(reversed(kit.deliveries())))
        kit.status(payment, invoice)
        assert kit.again(payment).status == "succeeded"
        assert kit.invoice_now(invoice)["amount_paid"] == "100.00"
        assert kit.applied(payment.payment_id, "succeeded") == 1

    def test_deliveries_late_after_a_status_check_apply_once(self, kit: Kit) -> None:
        invoice = kit.invoice("100.00")
        payment = kit.opened(invoice)
        kit.provider.pay(payment)
        held_back = kit.deliveries()
        assert kit.status(payment, invoice)["status"] == "succeeded"  # the payer's page learns it first
        kit.deliver(held_back)  # then the provider's deliveries arrive
        assert kit.again(payment).status == "succeeded"
        assert kit.invoice_now(invoice)["amount_paid"] == "100.00"
        assert kit.applied(payment.payment_id, "succeeded") == 1

    def test_a_stale_delivery_after_a_refund_changes_nothing(self, kit: Kit) -> None:
        self.needs("refunds")
        invoice = kit.invoice("100.00")
        payment = kit.opened(invoice)
        kit.provider.pay(payment)
        stale = kit.deliveries()
        kit.status(payment, invoice)
        kit.ok(kit.refund(payment.payment_id), 201)
        kit.deliver_all()
        kit.deliver(stale)  # "paid" news, days late
        assert kit.again(payment).status == "refunded"
        assert kit.invoice_now(invoice)["amount_paid"] == "0.00"

    # -- refunds -------------------------------------------------------------------------------

    def test_a_full_refund(self, kit: Kit) -> None:
        self.needs("refunds")
        invoice = kit.invoice("100.00")
        payment = self.paid_payment(kit, invoice)
        body = kit.ok(kit.refund(payment.payment_id), 201)
        assert (body["amount"], body["payment_refunded_amount"]) == ("100.00", "100.00")
        kit.deliver_all()  # the provider's news of our refund: applied already
        line = kit.timeline(payment.payment_id)
        assert (line["payment"]["status"], line["payment"]["refunded_amount"]) == ("refunded", "100.00")
        assert len(line["refunds"]) == 1
        assert kit.invoice_now(invoice)["amount_paid"] == "0.00"

    def test_a_partial_refund(self, kit: Kit) -> None:
        self.needs("partial_refunds")
        invoice = kit.invoice("100.00")
        payment = self.paid_payment(kit, invoice)
        kit.ok(kit.refund(payment.payment_id, "30.00"), 201)
        kit.deliver_all()
        line = kit.timeline(payment.payment_id)
        assert (line["payment"]["status"], line["payment"]["refunded_amount"]) == ("partially_refunded", "30.00")
        invoice_now = kit.invoice_now(invoice)
        assert (invoice_now["status"], invoice_now["amount_paid"]) == ("partially_paid", "70.00")

    def test_a_refund_made_at_the_provider_reaches_our_books(self, kit: Kit) -> None:
        self.needs("refunds")
        invoice = kit.invoice("100.00")
        payment = self.paid_payment(kit, invoice)
        partial = self.capabilities.partial_refunds
        kit.provider.refund_at_provider(payment, 4000 if partial else payment.amount)
        sent = kit.deliveries()
        kit.deliver(sent + sent)  # and its news twice
        line = kit.timeline(payment.payment_id)
        assert line["payment"]["refunded_amount"] == ("40.00" if partial else "100.00")
        assert [r["source"] for r in line["refunds"]] == ["gateway"]

    def test_a_dispute_reaches_our_books(self, kit: Kit) -> None:
        self.needs("disputes")
        payment = self.paid_payment(kit, kit.invoice("100.00"))
        kit.provider.dispute(payment)
        kit.deliver_all()
        [dispute] = kit.timeline(payment.payment_id)["disputes"]
        assert dispute["amount"] == "100.00"

    # -- forgeries and mismatches ---------------------------------------------------------------

    def test_a_forged_delivery_changes_nothing(self, kit: Kit) -> None:
        invoice = kit.invoice("100.00")
        payment = kit.opened(invoice)
        kit.provider.pay(payment)
        genuine = kit.deliveries()
        for delivery in genuine:
            forged = kit.provider.forge(delivery)
            response = kit.post_delivery(forged)
            assert response.status_code == self.adapter_class.forged_status, response.content[:500]
        line = kit.timeline(payment.payment_id)
        assert (line["payment"]["status"], line["status_changes"]) == ("pending", [])
        assert kit.invoice_now(invoice)["amount_paid"] == "0.00"
        kit.deliver(genuine)  # the genuine ones still count
        assert kit.again(payment).status == "succeeded"

    @pytest.mark.parametrize("what", ["amount", "currency"])
    def test_a_mismatch_is_flagged_and_never_paid(self, kit: Kit, what: str) -> None:
        invoice = kit.invoice("100.00")
        payment = kit.opened(invoice)
        other = "USD" if payment.currency != "USD" else "EUR"
        amount, currency = (payment.amount + 100, payment.currency) if what == "amount" else (payment.amount, other)
        kit.provider.tamper_amount(payment, amount, currency)
        kit.provider.pay(payment)
        kit.deliver_all()
        kit.status(payment, invoice)
        line = kit.timeline(payment.payment_id)
        assert line["attention_reason"] and line["payment"]["needs_attention"], line
        assert line["payment"]["status"] != "succeeded"
        assert kit.invoice_now(invoice)["amount_paid"] == "0.00"

    # -- provider errors -------------------------------------------------------------------------

    @pytest.mark.parametrize("kind", FAULT_KINDS)
    def test_a_provider_error_is_a_clear_error_and_reserves_nothing(self, kit: Kit, kind: FaultKind) -> None:
        invoice = kit.invoice("100.00")
        kit.provider.fault(kind, STAYS_FAULTY)
        response = kit.open_session(invoice)
        statuses, code = FAULT_ANSWERS[kind]
        assert response.status_code in statuses, (kind, response.status_code, response.content[:500])
        error = response.json()["error"]
        assert error["code"] == code and error["message"], error
        kit.provider.clear_faults()
        [attempt] = kit.payments_of(invoice)  # no half-made payment: the attempt failed, with that error
        assert (attempt["status"], kit.timeline(attempt["payment_id"])["failure_message"]) == (
            "failed",
            error["message"],
        )
        invoice_now = kit.invoice_now(invoice)
        assert (invoice_now["status"], invoice_now["amount_due"]) == ("open", "100.00")
        assert kit.opened(invoice).status == "pending"  # the reservation was released

    @pytest.mark.parametrize("kind", FAULT_KINDS)
    def test_a_refund_the_provider_cannot_make_is_a_clear_error(self, kit: Kit, kind: FaultKind) -> None:
        self.needs("refunds")
        invoice = kit.invoice("100.00")
        payment = self.paid_payment(kit, invoice)
        kit.provider.fault(kind, STAYS_FAULTY)
        response = kit.refund(payment.payment_id)
        statuses, code = FAULT_ANSWERS[kind]
        assert response.status_code in statuses, (kind, response.status_code, response.content[:500])
        error = response.json()["error"]
        assert error["code"] == code and error["message"], error
        assert kit.status(payment, invoice)["status"] == "succeeded"  # the payer's page still answers
        kit.provider.clear_faults()
        assert kit.timeline(payment.payment_id)["payment"]["refunded_amount"] == "0.00"
        assert kit.invoice_now(invoice)["amount_paid"] == "100.00"
        if code == "gateway_unavailable":
            # No answer: the refund may have been made, so it stays pending and reserves its amount
            # (a second refund is refused), and the catch-up sends it again with the same key.
            assert kit.refund(payment.payment_id).status_code in (400, 409)
            call_command("payments_catch_up", "--older-than-minutes=0", "--workers=1", "--no-progress",
                         stdout=io.StringIO())
            assert kit.timeline(payment.payment_id)["payment"]["refunded_amount"] == "100.00"
            assert kit.invoice_now(invoice)["amount_paid"] == "0.00"
        else:  # refused: nothing reserved any more
            kit.ok(kit.refund(payment.payment_id), 201)  # the provider is back: the refund goes through

    def test_a_delivery_while_the_provider_is_down_is_never_lost(self, kit: Kit) -> None:
        invoice = kit.invoice("100.00")
        payment = kit.opened(invoice)
        kit.provider.pay(payment)
        sent = kit.deliveries()
        kit.provider.fault("down", STAYS_FAULTY)  # a verification or a fetch that asks it cannot
        for delivery in sent:
            response = kit.post_delivery(delivery)
            assert response.status_code in (200, 503), response.content[:500]  # 503: the provider delivers again
        kit.provider.clear_faults()
        assert kit.webhook_health()["rejected"] == 0  # never counted as forged
        kit.deliver(sent)  # the provider's redelivery
        assert kit.again(payment).status == "succeeded"
        assert kit.invoice_now(invoice)["amount_paid"] == "100.00"

    # -- currencies ------------------------------------------------------------------------------

    @pytest.mark.parametrize(("currency", "total"), [("JPY", "5000"), ("KWD", "12.500")])
    def test_zero_and_three_decimal_currencies(self, kit: Kit, currency: str, total: str) -> None:
        if not self.capabilities.supports_currency(currency):
            pytest.skip(f"{self.adapter_class.gateway_class.name} does not take {currency}")
        invoice = kit.invoice(total, currency)
        payment = kit.opened(invoice)
        assert (payment.amount, payment.currency) == (kit.minor(total, currency), currency)
        assert kit.paid(payment, invoice).status == "succeeded"
        assert kit.invoice_now(invoice)["amount_paid"] == total

    # -- secrets and credentials ---------------------------------------------------------------

    def test_no_secret_in_any_response_or_log_record(self, kit: Kit) -> None:
        invoice = kit.invoice("100.00")
        payment = self.paid_payment(kit, invoice)
        if self.capabilities.refunds:
            kit.refund(payment.payment_id)
            kit.deliver_all()
        kit.test_connection(kit.config["id"])
        kit.get(kit.api, f"/payment/gateways/{kit.config['id']}/")
        kit.get(kit.api, "/payment/gateways/")
        for kind in FAULT_KINDS:  # error paths are where secrets leak
            try:
                kit.adapter.fault(kind, STAYS_FAULTY)
            except NotSupported:  # that fault has its own (skipped) check; the rest still run here
                continue
            kit.open_session(kit.invoice("10.00"))
            kit.adapter.clear_faults()
        assert kit.bodies and kit.logs.texts is not None
        assert kit.leaks(kit.adapter.secrets()) == []

    def test_test_connection_with_good_credentials(self, kit: Kit) -> None:
        body = kit.ok(kit.test_connection(kit.config["id"]))
        assert body["ok"] is True and body["message"]

    def test_test_connection_with_bad_credentials(self, kit: Kit) -> None:
        bad = kit.provider.bad_credentials()
        config = kit.create_config(bad, display_name="Kit: wrong keys")
        response = kit.test_connection(config["id"])
        assert response.status_code == 502, response.content[:500]
        assert response.json()["error"]["code"] == "gateway_misconfigured"

    # -- gateways that capture, and hint-only webhooks ----------------------------------------------

    def test_an_approval_learnt_twice_captures_once(self, kit: Kit) -> None:
        self.needs("captures")
        invoice = kit.invoice("100.00")
        payment = kit.opened(invoice)
        kit.provider.pay(payment)  # approved at the provider, not captured
        sent = kit.deliveries()
        kit.ok(kit.check(payment, invoice))  # the payer's return says so...
        kit.deliver(sent + sent)  # ...and the provider's webhooks, twice
        kit.status(payment, invoice)
        assert kit.again(payment).status == "succeeded"
        assert kit.provider.captures(kit.again(payment)) == 1
        assert kit.invoice_now(invoice)["amount_paid"] == "100.00"

    def test_signals_arriving_together_capture_once(self, kit: Kit) -> None:
        self.needs("captures")
        if connection.vendor != "postgresql":
            pytest.skip("signals at once need PostgreSQL's row locks; SQLite serialises every write")
        invoice = kit.invoice("100.00")
        payment = kit.opened(invoice)
        kit.provider.pay(payment)
        sent = kit.deliveries()
        start, answers = threading.Barrier(4), []

        def signal(n: int) -> None:  # the payer's return and the provider's webhooks, at once
            start.wait()
            try:
                use_check = n % 2 or not sent
                answer = kit.check(payment, invoice) if use_check else kit.post_delivery(sent[n % len(sent)])
                answers.append(answer.status_code)
            finally:
                connection.close()

        threads = [threading.Thread(target=signal, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == [200] * 4
        assert kit.provider.captures(kit.again(payment)) == 1
        assert kit.invoice_now(invoice)["amount_paid"] == "100.00"

    def test_a_hint_twice_for_one_status_is_one_event(self, kit: Kit) -> None:
        if not self.adapter_class.gateway_class.webhooks_are_hints:
            pytest.skip(f"{self.adapter_class.gateway_class.name}'s webhooks are not hints")
        invoice = kit.invoice("100.00")
        payment = kit.opened(invoice)
        kit.provider.pay(payment)
        sent = kit.deliveries()
        kit.deliver(sent + sent)
        assert kit.applied(payment.payment_id, "succeeded") == 1
        unknown = kit.post_delivery(kit.provider.forge(sent[0]))  # an id the provider does not have
        assert unknown.status_code == 200, unknown.content[:500]
        assert unknown.json()["status"] == "unmatched"
        health = kit.webhook_health()
        assert (health["rejected"], health["unmatched"]) == (0, 1), health  # counted apart from forgeries
        assert kit.again(payment).status == "succeeded"

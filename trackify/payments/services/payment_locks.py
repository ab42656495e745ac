"""The locking read of a payment with its invoice: one SELECT … FOR UPDATE OF invoice, payment.

Every writer of a payment locks its invoice first, then the payment (so two writers never
deadlock); both rows come from one query, which locks them in that order. Read along, at no extra
query, is what the ledger needs of the invoice's other payments (`locked_payments`).
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Now

from trackify.payments import state
from trackify.payments.gateways.types import PaymentStatus
from trackify.payments.models import InvoicePayment

# What the ledger reads of a payment and its invoice when it applies a webhook event: the webhook's
# locking read loads these columns only, not the session's URLs, client parameters or idempotency
# key. Another field is loaded when first read, at the cost of a query, which the pinned query
# counts would show (tests/payments/webhooks/test_webhook_queries.py).
WEBHOOK_PAYMENT_FIELDS = (
    "invoice", "config", "gateway_name", "amount", "currency", "status", "refunded_amount", "gateway_reference",
    "gateway_payment_reference", "failure_message", "attention_reason", "succeeded_at", "updated_at",
)
WEBHOOK_INVOICE_FIELDS = ("currency", "total", "amount_paid", "status", "updated_at")


def locked_payments(*, with_config: bool = True) -> QuerySet[InvoicePayment]:
    """Payments with their invoice (and config), both rows locked by the query that reads them.

    Read along:
    - `other_sessions_open`: whether the invoice has another session that can still be paid (the
      caller closes those after a success; see `ledger.LedgerResult.closes_other_sessions`);
    - `others_paid`: what the invoice's other payments contribute to its amount paid (succeeded
      payments less their refunds). The invoice's lock keeps it true until the transaction ends:
      every writer of a payment holds its invoice's lock. So the ledger recomputes the invoice's
      amount paid from its payments without another query.
    """
    others = InvoicePayment.objects.filter(invoice_id=OuterRef("invoice_id")).exclude(pk=OuterRef("pk"))
    others_open = others.filter(status=PaymentStatus.PENDING, expires_at__gt=Now()).exclude(gateway_reference="")
    others_paid = (
        others.filter(status__in=sorted(state.PAID_STATUSES))
        .order_by()
        .values("invoice_id")
        .annotate(total=Sum(F("amount") - F("refunded_amount")))
        .values("total")
    )
    related = ("invoice", "config") if with_config else ("invoice",)
    return (
        InvoicePayment.objects.select_related(*related)
        .select_for_update(of=("invoice", "self"))
        .annotate(other_sessions_open=Exists(others_open), others_paid=Coalesce(Subquery(others_paid), 0))
        .order_by()
    )


def locked_payment(payment_id: UUID, *, config_id: UUID | None = None) -> InvoicePayment | None:
    """The payment (with `.invoice` and `.config`), its invoice and itself locked; None if unknown.

    With `config_id` (a webhook delivery, which has its config already): only that config's payment,
    with the columns the ledger uses (`WEBHOOK_PAYMENT_FIELDS`), and `.config` not read (the caller
    sets it). Runs inside the caller's transaction.
    """
    if config_id is None:
        return locked_payments().filter(pk=payment_id).first()
    fields = (*WEBHOOK_PAYMENT_FIELDS, *(f"invoice__{name}" for name in WEBHOOK_INVOICE_FIELDS))
    return locked_payments(with_config=False).filter(pk=payment_id, config_id=config_id).only(*fields).first()

"""The locking read of a payment with its invoice: one SELECT … FOR UPDATE OF invoice, payment.

Every writer of a payment locks its invoice first, then the payment (so two writers never
deadlock); both rows come from one query, which locks them in that order. Read along, at no extra
query, is whether the invoice has other open sessions (`locked_payments`).
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Now

from trackify.payments.gateways.types import PaymentStatus
from trackify.payments.models import InvoicePayment

# What the ledger reads of a payment and its invoice when it applies a webhook event: the webhook's
# locking read loads these columns only, not the session's URLs, client parameters or idempotency
# key. Another field is loaded when first read, at the cost of a query, which the pinned query
# counts would show (tests/payments/webhooks/test_webhook_queries.py).
WEBHOOK_PAYMENT_FIELDS = (
    "invoice", "config", "gateway_name", "amount", "currency", "status", "refunded_amount", "disputed_amount",
    "gateway_reference", "gateway_payment_reference", "failure_message", "attention_reason", "succeeded_at",
    "updated_at",
)
WEBHOOK_INVOICE_FIELDS = ("owner", "currency", "total", "amount_paid", "status", "updated_at")


def locked_payments(*, with_config: bool = True, with_open_sessions: bool = True) -> QuerySet[InvoicePayment]:
    """Payments with their invoice (and config), both rows locked by the query that reads them.

    With `with_open_sessions`, read along is `other_sessions_open`: whether the invoice has another
    session that can still be paid (the caller closes those after money arrives; see
    `ledger.LedgerResult.closes_other_sessions`). A caller whose news cannot move money leaves it
    out: the subquery is the dearest part of the read.
    """
    related = ("invoice", "config") if with_config else ("invoice",)
    payments = (
        InvoicePayment.objects.select_related(*related)
        .select_for_update(of=("invoice", "self"))
        .order_by()
    )
    if not with_open_sessions:
        return payments
    others_open = (
        InvoicePayment.objects.filter(
            invoice_id=OuterRef("invoice_id"), status=PaymentStatus.PENDING, expires_at__gt=Now()
        )
        .exclude(pk=OuterRef("pk"))
        .exclude(gateway_reference="")
    )
    return payments.annotate(other_sessions_open=Exists(others_open))


def locked_payment(
    payment_id: UUID, *, config_id: UUID | None = None, with_open_sessions: bool = True
) -> InvoicePayment | None:
    """The payment (with `.invoice` and `.config`), its invoice and itself locked; None if unknown.

    With `config_id` (a webhook delivery, which has its config already): only that config's payment,
    with the columns the ledger uses (`WEBHOOK_PAYMENT_FIELDS`), and `.config` not read (the caller
    sets it). Runs inside the caller's transaction.
    """
    if config_id is None:
        return locked_payments(with_open_sessions=with_open_sessions).filter(pk=payment_id).first()
    fields = (*WEBHOOK_PAYMENT_FIELDS, *(f"invoice__{name}" for name in WEBHOOK_INVOICE_FIELDS))
    payments = locked_payments(with_config=False, with_open_sessions=with_open_sessions)
    return payments.filter(pk=payment_id, config_id=config_id).only(*fields).first()

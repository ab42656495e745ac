"""Reading payments and invoices on behalf of a caller: owner, invoice-token holder, or nobody.

Unknown and forbidden look the same (NotFound), so ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.db.models import Sum

from trackify.common.errors import NotFound
from trackify.common.parsing import parse_uuid
from trackify.invoices.models import Invoice
from trackify.invoices.selectors import invoice_access_allowed, invoice_get
from trackify.payments.gateways.registry import gateway_classes
from trackify.payments.gateways.types import RefundStatus
from trackify.payments.models import InvoicePayment, PaymentGatewayConfig, PaymentRefund, PaymentStatusChange
from trackify.payments.services.gateway_configs import gateway_for
from trackify.payments.services.sessions import amount_payable_now, payable_config
from trackify.payments.state import PAID_STATUSES


def invoice_for_client(*, invoice_id: object, user: Any, token: str | None) -> Invoice:
    """The invoice, if the caller owns it or holds its public token."""
    pk = parse_uuid(invoice_id)
    invoice = invoice_get(pk) if pk else None
    if invoice is None or not invoice_access_allowed(invoice, user=user, token=token):
        raise NotFound("No such invoice.")
    return invoice


def payment_for_client(*, payment_id: object, user: Any, token: str | None) -> InvoicePayment:
    """The payment, if the caller owns its invoice or holds the invoice's public token."""
    pk = parse_uuid(payment_id)
    payment = (
        InvoicePayment.objects.select_related("invoice", "config").filter(pk=pk).first() if pk else None
    )
    if payment is None or not invoice_access_allowed(payment.invoice, user=user, token=token):
        raise NotFound("No such payment.")
    return payment


def payment_for_owner(*, payment_id: object, user: Any) -> InvoicePayment:
    return payment_for_client(payment_id=payment_id, user=user, token=None)


def gateway_configs_of(user: Any) -> Any:
    return PaymentGatewayConfig.objects.filter(owner=user, archived_at__isnull=True)


def gateway_config_for_owner(*, config_id: object, user: Any) -> PaymentGatewayConfig:
    pk = parse_uuid(config_id)
    config = gateway_configs_of(user).filter(pk=pk).first() if pk else None
    if config is None:
        raise NotFound("No such gateway configuration.")
    return config


# -- what an invoice can be paid with --------------------------------------------------------------


@dataclass(frozen=True)
class InvoicePaymentOptions:
    """What the client of an invoice needs to pay it online. Amounts in minor units of `currency`."""

    invoice_id: UUID
    invoice_number: str
    invoice_status: str
    payable: bool
    currency: str
    total: int
    amount_due: int
    amount_payable: int
    allow_partial_payment: bool
    gateway: dict[str, Any] | None  # name, display_name, public_config; None: nothing to pay with
    # What the pay page shows of the invoice: only what its client already reads on it.
    issuer_name: str
    client_name: str
    issued_on: date
    due_on: date | None
    amount_paid: int
    amount_in_flight: int  # payments still processing: sent, not yet counted as paid


def invoice_payment_options(invoice: Invoice) -> InvoicePaymentOptions:
    """Whether the invoice can be paid now, how much, and through which gateway (public facts only)."""
    config = payable_config(invoice)
    gateway: dict[str, Any] | None = None
    if config is not None and config.gateway_name in gateway_classes():  # else: not enabled here
        instance = gateway_for(config)
        gateway = {
            "name": instance.name,
            "display_name": config.display_name,
            "public_config": instance.public_config(),
        }
    payable_now = amount_payable_now(invoice)
    return InvoicePaymentOptions(
        invoice_id=invoice.pk,
        invoice_number=invoice.number,
        invoice_status=invoice.status,
        payable=invoice.is_payable and gateway is not None and payable_now > 0,
        currency=invoice.currency,
        total=invoice.total,
        amount_due=invoice.amount_due,
        amount_payable=payable_now,
        allow_partial_payment=invoice.allow_partial_payment,
        gateway=gateway,
        issuer_name=invoice.issuer_name,
        client_name=invoice.client_name,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        amount_paid=invoice.amount_paid,
        amount_in_flight=invoice_amount_in_flight(invoice),
    )


def invoice_amount_in_flight(invoice: Invoice) -> int:
    """Minor units of the invoice's payments still processing: sent, not yet counted as paid."""
    total = invoice.payments.filter(status=InvoicePayment.Status.PROCESSING).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


# -- the owner's payments page -----------------------------------------------------------------


def payments_of_owner(*, user: Any, status: str | None = None, q: str | None = None) -> Any:
    """The owner's payments, newest first, with what each row of the page shows joined in.

    Reservations (no session opened yet) are left out: they are not payments the owner could act on.
    """
    payments = (
        InvoicePayment.objects.filter(invoice__owner=user)
        .exclude(status=InvoicePayment.Status.PENDING, gateway_reference="")
        .select_related("invoice", "config")
        .order_by("-created_at", "-id")
    )
    if status:
        payments = payments.filter(status=status)
    if q:
        payments = payments.filter(invoice__number__icontains=q)
    return payments


@dataclass(frozen=True)
class PaymentTimeline:
    """One payment as its page shows it: what happened to it and what the owner can still do.

    Amounts in minor units of the payment's currency.
    """

    payment: InvoicePayment
    status_changes: list[PaymentStatusChange]
    refunds: list[PaymentRefund]
    refundable: int  # what a new refund may take: nothing while the payment is not paid
    refunds_supported: bool
    partial_refunds_supported: bool
    overpaid: int  # what the invoice holds beyond its total
    # What "refund the excess" would return now: the overpayment less refunds still waiting for
    # their gateway, counted as `services.refunds.invoice_refund_overpayment` counts them.
    overpayment_refundable: int


def payment_timeline_for_owner(*, payment_id: object, user: Any) -> PaymentTimeline:
    payment = payment_for_owner(payment_id=payment_id, user=user)
    refunds = list(payment.refunds.all())
    caps = gateway_classes()[payment.gateway_name].capabilities if payment.gateway_name in gateway_classes() else None
    refundable = 0
    if payment.status in PAID_STATUSES and caps is not None and caps.refunds:
        live = (RefundStatus.PENDING, RefundStatus.SUCCEEDED)
        refundable = max(payment.amount - sum(r.amount for r in refunds if r.status in live), 0)
    in_refund = PaymentRefund.objects.filter(
        payment__invoice=payment.invoice, payment__status__in=PAID_STATUSES, status=RefundStatus.PENDING
    ).aggregate(total=Sum("amount"))["total"]
    return PaymentTimeline(
        payment=payment,
        status_changes=list(payment.status_changes.all()),
        refunds=refunds,
        refundable=refundable,
        refunds_supported=bool(caps and caps.refunds),
        partial_refunds_supported=bool(caps and caps.partial_refunds),
        overpaid=payment.invoice.amount_overpaid,
        overpayment_refundable=max(payment.invoice.amount_overpaid - int(in_refund or 0), 0),
    )

"""Reading payments and invoices on behalf of a caller: owner, invoice-token holder, or nobody.

Unknown and forbidden look the same (NotFound), so ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest

from trackify.common.errors import NotFound
from trackify.common.money import format_amount
from trackify.common.parsing import parse_uuid
from trackify.invoices.models import Invoice
from trackify.invoices.selectors import invoice_access_allowed, invoice_get
from trackify.payments import state
from trackify.payments.gateways.registry import gateway_classes
from trackify.payments.gateways.types import (
    DisputeStatus,
    GatewayCapabilities,
    GatewayContext,
    PaymentFlow,
    RefundStatus,
)
from trackify.payments.models import (
    InvoicePayment,
    PaymentDispute,
    PaymentGatewayConfig,
    PaymentRefund,
    PaymentStatusChange,
)
from trackify.payments.services.gateway_configs import gateway_for
from trackify.payments.services.health import days_left
from trackify.payments.services.sessions import amount_payable_now, payable_config
from trackify.payments.state import PAID_STATUSES


def invoice_for_client(*, invoice_id: object, user: Any, token: str | None) -> Invoice:
    """The invoice, if the caller owns it or holds its public token."""
    pk = parse_uuid(invoice_id)
    invoice = invoice_get(pk) if pk else None
    if invoice is None or not invoice_access_allowed(invoice, user=user, token=token):
        raise NotFound("No such invoice.")
    return invoice


def payment_for_client(
    *, payment_id: object, user: Any, token: str | None, payments: QuerySet[InvoicePayment] | None = None
) -> InvoicePayment:
    """The payment, if the caller owns its invoice or holds the invoice's public token.

    `payments` (default: all, with their invoice and config) is the queryset it is read from.
    """
    pk = parse_uuid(payment_id)
    if payments is None:
        payments = InvoicePayment.objects.select_related("invoice", "config")
    payment = payments.filter(pk=pk).first() if pk else None
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
    # Every config the client may choose from (config_id, name, display_name, public_config),
    # the default first: the pay page offers a choice when there is more than one.
    gateways: list[dict[str, Any]]
    # What the pay page shows of the invoice: only what its client already reads on it.
    issuer_name: str
    client_name: str
    issued_on: date
    due_on: date | None
    amount_paid: int
    amount_in_flight: int  # payments still processing: sent, not yet counted as paid


def invoice_payment_options(invoice: Invoice) -> InvoicePaymentOptions:
    """Whether the invoice can be paid now, how much, and through which gateways (public facts only)."""
    config = payable_config(invoice)
    gateway: dict[str, Any] | None = None
    if config is not None and config.gateway_name in gateway_classes():  # else: not enabled here
        gateway = _public_gateway(config)
        del gateway["config_id"]  # the old shape, unchanged for clients that read only `gateway`
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
        gateways=[_public_gateway(c) for c in invoice_gateway_choices(invoice)],
        issuer_name=invoice.issuer_name,
        client_name=invoice.client_name,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        amount_paid=invoice.amount_paid,
        amount_in_flight=invoice_amount_in_flight(invoice),
    )


def invoice_gateway_choices(invoice: Invoice) -> list[PaymentGatewayConfig]:
    """The owner's configs a client may pay this invoice through, the default first, then the oldest:
    active, not archived, their gateway enabled on this deployment and taking the invoice's currency.
    Each is one that `payment_session_create(config_id=…)` accepts."""
    enabled = gateway_classes()
    configs = PaymentGatewayConfig.objects.filter(
        owner_id=invoice.owner_id, is_active=True, archived_at__isnull=True, gateway_name__in=list(enabled)
    ).order_by("-is_default", "created_at")
    return [c for c in configs if enabled[c.gateway_name].capabilities.supports_currency(invoice.currency)]


def _public_gateway(config: PaymentGatewayConfig) -> dict[str, Any]:
    # The config's id is no secret: it names a choice, and a webhook posted to its URL must still
    # pass its gateway's verification.
    instance = gateway_for(config)
    return {
        "config_id": config.pk,
        "name": instance.name,
        "display_name": config.display_name,
        "public_config": instance.public_config(),
    }


def invoice_amount_in_flight(invoice: Invoice) -> int:
    """Minor units of the invoice's payments authorized or processing: sent, not yet counted as paid."""
    total = invoice.payments.filter(status__in=state.IN_FLIGHT_STATUSES).aggregate(total=Sum("amount"))["total"]
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
    payments = with_open_disputes(payments)
    if status:
        payments = payments.filter(status=status)
    if q:
        payments = payments.filter(invoice__number__icontains=q)
    return payments


def with_open_disputes(payments: QuerySet[InvoicePayment]) -> QuerySet[InvoicePayment]:
    """`open_disputes` on each payment: how many of its disputes are open, counted in the same query."""
    open_count = (
        PaymentDispute.objects.filter(payment=OuterRef("pk"), status__in=state.DISPUTE_OPEN)
        .order_by()
        .values("payment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return payments.annotate(open_disputes=Coalesce(Subquery(open_count), 0))


@dataclass(frozen=True)
class PaymentTimeline:
    """One payment as its page shows it: what happened to it and what the owner can still do.

    Amounts in minor units of the payment's currency.
    """

    payment: InvoicePayment
    status_changes: list[PaymentStatusChange]
    refunds: list[PaymentRefund]
    disputes: list[PaymentDispute]  # oldest first, each with its `changes` prefetched
    refundable: int  # what a new refund may take: nothing while the payment is not paid or is disputed
    refund_blocked_reason: str  # why `refundable` is 0, in words for the owner; "" when it is not
    refunds_supported: bool
    partial_refunds_supported: bool
    overpaid: int  # what the invoice holds beyond its total
    # What "refund the excess" would return now: the overpayment less refunds still waiting for
    # their gateway, counted as `services.refunds.invoice_refund_overpayment` counts them.
    overpayment_refundable: int


def payment_timeline_for_owner(*, payment_id: object, user: Any) -> PaymentTimeline:
    payments = with_open_disputes(InvoicePayment.objects.select_related("invoice", "config"))
    payment = payment_for_client(payment_id=payment_id, user=user, token=None, payments=payments)
    refunds = list(payment.refunds.all())
    disputes = list(payment.disputes.select_related("config").prefetch_related("changes"))
    caps = gateway_classes()[payment.gateway_name].capabilities if payment.gateway_name in gateway_classes() else None
    refundable, blocked = _refund_room(payment, refunds, disputes, caps)
    return PaymentTimeline(
        payment=payment,
        status_changes=list(payment.status_changes.all()),
        refunds=refunds,
        disputes=disputes,
        refundable=refundable,
        refund_blocked_reason=blocked,
        refunds_supported=bool(caps and caps.refunds),
        partial_refunds_supported=bool(caps and caps.partial_refunds),
        overpaid=payment.invoice.amount_overpaid,
        overpayment_refundable=_overpayment_refundable(payment.invoice),
    )


def _overpayment_refundable(invoice: Invoice) -> int:
    """What `services.refunds.invoice_refund_overpayment` would return now, counted as it plans it.

    The overpayment less refunds still waiting for their gateway, and no more than the invoice's paid
    payments can still give back: a payment with a dispute open or lost gives nothing (its refund is
    refused), another its amount less what disputes hold and refunds pending or made. One query, and
    none when the invoice is not overpaid.
    """
    if invoice.amount_overpaid <= 0:
        return 0

    def refunds_of_payment(*statuses: RefundStatus) -> Any:
        refunds = PaymentRefund.objects.filter(payment=OuterRef("pk"), status__in=statuses).order_by()
        return Coalesce(Subquery(refunds.values("payment").annotate(t=Sum("amount")).values("t")), 0)

    paid = invoice.payments.filter(status__in=PAID_STATUSES).annotate(
        pending=refunds_of_payment(RefundStatus.PENDING),
        reserved=refunds_of_payment(RefundStatus.PENDING, RefundStatus.SUCCEEDED),
        disputed=Exists(PaymentDispute.objects.filter(payment=OuterRef("pk")).exclude(status=DisputeStatus.WON)),
    )
    totals = paid.aggregate(
        in_refund=Sum("pending"),
        room=Sum(Greatest(F("amount") - F("disputed_amount") - F("reserved"), 0), filter=Q(disputed=False)),
    )
    left = invoice.amount_overpaid - int(totals["in_refund"] or 0)
    return max(min(left, int(totals["room"] or 0)), 0)


def _refund_room(
    payment: InvoicePayment,
    refunds: list[PaymentRefund],
    disputes: list[PaymentDispute],
    caps: GatewayCapabilities | None,
) -> tuple[int, str]:
    """What a new refund may take and, when nothing, why: the checks of `services.refunds`, in words.

    Read from the rows already loaded for the timeline, so it costs no query.
    """
    if payment.status not in PAID_STATUSES:
        return 0, f"Only a paid payment can be refunded; this one is {payment.status}."
    if caps is None or not caps.refunds:
        return 0, f"{payment.config.display_name} does not support refunds."
    if any(d.status == DisputeStatus.LOST for d in disputes):
        return 0, (
            "A dispute of this payment was lost: the client's bank kept the money it took back, "
            "so a refund is refused."
        )
    if any(d.status != DisputeStatus.WON for d in disputes):
        return 0, (
            "A dispute of this payment is open: the client's bank took the money back, or may. A refund now "
            "could return it twice, so it is refused; answer the dispute at the provider instead."
        )
    live = (RefundStatus.PENDING, RefundStatus.SUCCEEDED)
    left = payment.amount - payment.disputed_amount - sum(r.amount for r in refunds if r.status in live)
    if left <= 0:
        return 0, "Nothing is left to refund: the payment has been refunded in full."
    return left, ""


# -- the owner's disputes ------------------------------------------------------------------------


def disputes_of_owner(*, user: Any, open: bool | None = None, needs_response: bool | None = None) -> Any:
    """The owner's disputes, newest first; `open` or `needs_response` true: nearest deadline first.

    A filter left None is no filter; False gives the complement (the closed ones, those that need
    no response). The nearest deadline goes first when the owner asks for what is to be answered;
    disputes without a deadline go last.
    """
    disputes = PaymentDispute.objects.filter(payment__invoice__owner=user).select_related("payment__invoice", "config")
    if open is not None:
        disputes = disputes.filter(status__in=state.DISPUTE_OPEN) if open else disputes.exclude(
            status__in=state.DISPUTE_OPEN
        )
    if needs_response is not None:
        disputes = disputes.filter(status__in=state.DISPUTE_NEEDS_RESPONSE) if needs_response else disputes.exclude(
            status__in=state.DISPUTE_NEEDS_RESPONSE
        )
    if open or needs_response:
        return disputes.order_by(F("evidence_due_by").asc(nulls_last=True), "-created_at", "-id")
    return disputes.order_by("-created_at", "-id")


def dispute_days_left(dispute: PaymentDispute) -> int | None:
    """Whole days until the evidence deadline: 0 on its last day, negative once past; None without one."""
    return days_left(dispute.evidence_due_by) if dispute.evidence_due_by is not None else None


def dispute_dashboard_url(dispute: PaymentDispute) -> str:
    """Where the owner answers the dispute at its provider; "" when the gateway has no such page.

    The hook builds the address from the dispute's id and the config's mode alone, so the gateway is
    bound to a context without credentials: listing disputes decrypts nothing.
    """
    config = dispute.config
    gateway_cls = gateway_classes().get(config.gateway_name)
    if gateway_cls is None:  # no longer enabled here (the sandbox in production)
        return ""
    context = GatewayContext(
        config_id=config.id,
        credentials={},
        test_mode=config.test_mode,
        flow=PaymentFlow(config.flow),
        site_url=settings.TRACKIFY_SITE_URL,
    )
    return gateway_cls(context).dispute_dashboard_url(dispute.gateway_dispute_id)


@dataclass(frozen=True)
class Receipt:
    """What the printable receipt shows of one paid payment (amounts formatted "123.45 EUR")."""

    payment_id: UUID
    invoice_number: str
    issuer_name: str
    client_name: str
    amount: str
    refunded: str  # "" when nothing was refunded
    invoice_total: str
    amount_due: str
    gateway: str
    reference: str
    paid_at: Any


def payment_receipt_for_client(*, payment_id: object, user: Any, token: str | None) -> Receipt | None:
    """The receipt of a paid payment (later refunds shown on it) for its invoice's owner or token
    holder; None for an unknown payment, a wrong token, or a payment that never succeeded."""
    try:
        payment = payment_for_client(payment_id=payment_id, user=user, token=token)
    except NotFound:
        return None
    if payment.status not in PAID_STATUSES:
        return None
    invoice, currency = payment.invoice, payment.currency

    def money(minor: int) -> str:
        return f"{format_amount(minor, currency)} {currency}"

    return Receipt(
        payment_id=payment.pk,
        invoice_number=invoice.number,
        issuer_name=invoice.issuer_name,
        client_name=invoice.client_name,
        amount=money(payment.amount),
        refunded=money(payment.refunded_amount) if payment.refunded_amount else "",
        invoice_total=money(invoice.total),
        amount_due=money(invoice.amount_due),
        gateway=payment.config.display_name,
        reference=payment.gateway_payment_reference or payment.gateway_reference,
        paid_at=payment.succeeded_at or payment.updated_at,
    )

"""Admin panel: configs (credentials masked, replaceable, never shown); payments, their disputes and events
(read-only: every write goes through the ledger)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from trackify.common.admin import label_of, labelled_filter
from trackify.common.errors import TrackifyError
from trackify.common.money import format_amount
from trackify.payments.admin_forms import GatewayConfigForm, credential_fields
from trackify.payments.gateways.registry import get_gateway_class
from trackify.payments.gateways.types import DisputeStatus
from trackify.payments.labels import DISPUTE_STATUS, FLOW, PAYMENT_STATUS, REFUND_STATUS, WEBHOOK_EVENT_STATUS
from trackify.payments.masking import masked_credentials
from trackify.payments.models import (
    InvoicePayment,
    PaymentDispute,
    PaymentDisputeChange,
    PaymentGatewayConfig,
    PaymentRefund,
    PaymentStatusChange,
    PaymentWebhookEvent,
)
from trackify.payments.services import gateway_configs as config_services
from trackify.payments.services.health import webhook_health
from trackify.payments.services.webhooks import webhook_event_reprocess


@admin.register(PaymentGatewayConfig)
class PaymentGatewayConfigAdmin(admin.ModelAdmin):
    form = GatewayConfigForm
    list_display = [
        "display_name", "gateway_name", "owner", "flow_display", "test_mode", "is_default", "is_active", "archived_at",
    ]
    list_filter = ["gateway_name", labelled_filter("flow", "flow", FLOW), "is_active", "test_mode"]
    readonly_fields = ["stored_credentials", "webhook_health", "archived_at", "created_at", "updated_at"]

    @admin.display(description="Webhook health (last 24 hours)")
    def webhook_health(self, obj: PaymentGatewayConfig) -> SafeString | str:
        if obj._state.adding:
            return "-"
        health = webhook_health(config=obj)
        last = "never"
        if health.last_event_at:
            last = f"{health.last_event_at:%Y-%m-%d %H:%M:%S} UTC ({health.last_event_type})"
        lines = [
            f"Last event received: {last}",
            f"Verified {health.verified}, rejected (bad signature) {health.rejected}, "
            f"unmatched (hints about payments the provider does not have) {health.unmatched}, "
            f"failed {health.failed}, deferred {health.deferred}",
            *(f"Warning: {warning}" for warning in health.warnings),
        ]
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        # One field per credential of this config's gateway (of every gateway on the add page).
        kwargs["form"] = type("GatewayConfigCredentialsForm", (GatewayConfigForm,), credential_fields(obj))
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(description="Flow", ordering="flow")
    def flow_display(self, obj: PaymentGatewayConfig) -> str:
        return label_of(FLOW, obj.flow)

    @admin.display(description="Stored credentials (masked)")
    def stored_credentials(self, obj: PaymentGatewayConfig) -> str:
        if obj._state.adding:
            return "-"
        secret = {f.name for f in get_gateway_class(obj.gateway_name).credential_fields if f.secret}
        return ", ".join(f"{k}: {v}" for k, v in masked_credentials(obj.credentials, secret).items()) or "-"

    def save_model(self, request: HttpRequest, obj: PaymentGatewayConfig, form: Any, change: bool) -> None:
        # Through the service, so credentials are validated and sealed like in the API.
        data = {k: form.cleaned_data[k] for k in ["display_name", "flow", "test_mode", "is_default", "is_active"]}
        credentials = form.cleaned_data["new_credentials"]
        if change:
            saved = config_services.gateway_config_update(
                config=PaymentGatewayConfig.objects.get(pk=obj.pk), credentials=credentials or None, **data
            )
        else:
            saved = config_services.gateway_config_create(
                owner=form.cleaned_data["owner"],
                gateway_name=form.cleaned_data["gateway_name"],
                credentials=credentials,
                **data,
            )
        obj.pk = saved.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: PaymentGatewayConfig) -> None:
        config_services.gateway_config_delete(config=obj)


def money_label(minor: int, currency: str) -> str:
    return f"{format_amount(minor, currency)} {currency}"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StatusChangeInline(ReadOnlyInline):
    model = PaymentStatusChange
    fields = ("created_at", "from_label", "to_label", "applied", "source", "note", "webhook_event")
    readonly_fields = ("created_at", "from_label", "to_label", "applied", "source", "note", "webhook_event")

    @admin.display(description="From")
    def from_label(self, obj: PaymentStatusChange) -> str:
        return label_of(PAYMENT_STATUS, obj.from_status)

    @admin.display(description="To")
    def to_label(self, obj: PaymentStatusChange) -> str:
        return label_of(PAYMENT_STATUS, obj.to_status)


class RefundInline(ReadOnlyInline):
    model = PaymentRefund
    fields = (
        "created_at", "amount_display", "status_display", "gateway_refund_id", "source", "reason", "failure_message",
    )
    readonly_fields = fields

    @admin.display(description="Amount")
    def amount_display(self, obj: PaymentRefund) -> str:
        return money_label(obj.amount, obj.payment.currency)

    @admin.display(description="Status")
    def status_display(self, obj: PaymentRefund) -> str:
        return label_of(REFUND_STATUS, obj.status)


class DisputeDisplays:
    """How a dispute's status and amounts read, on its own page and inline on its payment's."""

    @admin.display(description="Status", ordering="status")
    def status_display(self, obj: PaymentDispute) -> str:
        label = label_of(DISPUTE_STATUS, obj.status)
        return f"{label} (inquiry)" if obj.is_inquiry and obj.status != DisputeStatus.INQUIRY else label

    @admin.display(description="Disputed")
    def amount_display(self, obj: PaymentDispute) -> str:
        return money_label(obj.amount, obj.currency)

    @admin.display(description="Withdrawn")
    def withdrawn_display(self, obj: PaymentDispute) -> str:
        return money_label(obj.withdrawn_amount, obj.currency)

    @admin.display(description="Reinstated")
    def reinstated_display(self, obj: PaymentDispute) -> str:
        return money_label(obj.reinstated_amount, obj.currency)

    @admin.display(description="Held (withdrawn less reinstated)")
    def held_display(self, obj: PaymentDispute) -> str:
        return money_label(obj.held_amount, obj.currency)


class DisputeInline(DisputeDisplays, ReadOnlyInline):
    """A payment's disputes; each links to its own page, where its history is."""

    model = PaymentDispute
    fields = (
        "dispute_link", "status_display", "amount_display", "withdrawn_display", "reinstated_display",
        "evidence_due_by", "reason", "created_at", "closed_at",
    )
    readonly_fields = fields

    @admin.display(description="Dispute (history)")
    def dispute_link(self, obj: PaymentDispute) -> str:
        url = reverse("admin:payments_paymentdispute_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.gateway_dispute_id)



class DisputeChangeInline(ReadOnlyInline):
    model = PaymentDisputeChange
    fields = (
        "created_at", "from_label", "to_label", "withdrawn_display", "reinstated_display", "applied", "source",
        "note", "webhook_event",
    )
    readonly_fields = fields

    @admin.display(description="From")
    def from_label(self, obj: PaymentDisputeChange) -> str:
        return label_of(DISPUTE_STATUS, obj.from_status) if obj.from_status else "(opened)"

    @admin.display(description="To")
    def to_label(self, obj: PaymentDisputeChange) -> str:
        return label_of(DISPUTE_STATUS, obj.to_status)

    @admin.display(description="Withdrawn (total)")
    def withdrawn_display(self, obj: PaymentDisputeChange) -> str:
        return money_label(obj.withdrawn_amount, obj.dispute.currency)

    @admin.display(description="Reinstated (total)")
    def reinstated_display(self, obj: PaymentDisputeChange) -> str:
        return money_label(obj.reinstated_amount, obj.dispute.currency)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InvoicePayment)
class InvoicePaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "invoice", "gateway_name", "amount_display", "status_display", "attention_reason", "created_at",
    ]
    list_filter = [labelled_filter("status", "status", PAYMENT_STATUS), "gateway_name"]
    search_fields = ["id", "gateway_reference", "gateway_payment_reference", "invoice__number"]
    # client_params may hold a client secret for the payer's browser; amounts show in major units instead.
    exclude = ["client_params", "amount", "refunded_amount", "disputed_amount", "status"]
    readonly_fields = ["amount_display", "refunded_display", "disputed_display", "status_display"]
    inlines = [StatusChangeInline, RefundInline, DisputeInline]

    @admin.display(description="Amount")
    def amount_display(self, obj: InvoicePayment) -> str:
        return money_label(obj.amount, obj.currency)

    @admin.display(description="Refunded")
    def refunded_display(self, obj: InvoicePayment) -> str:
        return money_label(obj.refunded_amount, obj.currency)

    @admin.display(description="Disputed (held by its disputes)")
    def disputed_display(self, obj: InvoicePayment) -> str:
        return money_label(obj.disputed_amount, obj.currency)

    @admin.display(description="Status", ordering="status")
    def status_display(self, obj: InvoicePayment) -> str:
        return label_of(PAYMENT_STATUS, obj.status)


@admin.register(PaymentDispute)
class PaymentDisputeAdmin(DisputeDisplays, ReadOnlyAdmin):
    list_display = [
        "gateway_dispute_id", "payment", "status_display", "amount_display", "held_display", "evidence_due_by",
        "created_at",
    ]
    list_filter = [labelled_filter("status", "status", DISPUTE_STATUS), "config__gateway_name"]
    search_fields = ["gateway_dispute_id", "payment__id", "payment__invoice__number"]
    list_select_related = ["payment"]
    exclude = ["amount", "withdrawn_amount", "reinstated_amount", "status"]
    readonly_fields = ["status_display", "amount_display", "withdrawn_display", "reinstated_display", "held_display"]
    inlines = [DisputeChangeInline]


@admin.register(PaymentWebhookEvent)
class PaymentWebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["gateway_event_id", "gateway_name", "event_type", "status_display", "attempts", "received_at"]
    list_filter = [labelled_filter("status", "status", WEBHOOK_EVENT_STATUS), "gateway_name", "event_type"]
    search_fields = ["gateway_event_id"]
    actions = ["process_again"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Status", ordering="status")
    def status_display(self, obj: PaymentWebhookEvent) -> str:
        return label_of(WEBHOOK_EVENT_STATUS, obj.status)

    @admin.action(description="Process again")
    def process_again(self, request: HttpRequest, queryset: QuerySet[PaymentWebhookEvent]) -> None:
        for event in queryset.select_related("config"):
            try:
                outcome = webhook_event_reprocess(event_row=event)
                self.message_user(request, f"{event.gateway_event_id}: {outcome.status} ({outcome.detail})")
            except TrackifyError as exc:
                self.message_user(request, f"{event.gateway_event_id}: {exc.message}", messages.ERROR)

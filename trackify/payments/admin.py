"""Admin panel: configs (credentials masked, replaceable, never shown), payments and events (read-only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from trackify.common.errors import TrackifyError
from trackify.common.money import format_amount
from trackify.payments.gateways.registry import gateway_classes, get_gateway_class
from trackify.payments.masking import masked_credentials
from trackify.payments.models import (
    InvoicePayment,
    PaymentGatewayConfig,
    PaymentRefund,
    PaymentStatusChange,
    PaymentWebhookEvent,
)
from trackify.payments.services import gateway_configs as config_services
from trackify.payments.services.webhooks import webhook_event_reprocess


class GatewayConfigForm(forms.ModelForm):
    gateway_name = forms.ChoiceField(choices=[])
    new_credentials = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        help_text="One <code>field=value</code> per line. Fields left out keep their stored value.",
        label="Replace credentials",
    )

    class Meta:
        model = PaymentGatewayConfig
        fields = ["owner", "gateway_name", "display_name", "flow", "test_mode", "is_default", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = [(name, cls.display_name) for name, cls in gateway_classes().items()]
        self.fields["gateway_name"].choices = choices  # type: ignore[attr-defined]
        if not self.instance._state.adding:  # a UUID pk is set even before the first save
            self.fields["gateway_name"].disabled = True
            self.fields["owner"].disabled = True

    def clean_new_credentials(self) -> dict[str, str]:
        parsed: dict[str, str] = {}
        for line in self.cleaned_data["new_credentials"].splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            if not sep:
                raise forms.ValidationError("Write each credential as field=value.")
            parsed[name.strip()] = value.strip()
        return parsed

    def clean(self) -> dict[str, Any]:
        """Run the service's own checks now, so a bad value is a form error, not a failed save."""
        data = super().clean() or {}
        gateway_name = data.get("gateway_name") or self.instance.gateway_name
        if gateway_name and "new_credentials" in data:
            stored = {} if self.instance._state.adding else self.instance.credentials
            try:
                config_services.gateway_config_check(
                    gateway_name=gateway_name,
                    credentials={**stored, **data["new_credentials"]},
                    test_mode=data.get("test_mode", True),
                    flow=data.get("flow") or "redirect",
                )
            except TrackifyError as exc:
                raise forms.ValidationError(exc.message) from exc
        return data


@admin.register(PaymentGatewayConfig)
class PaymentGatewayConfigAdmin(admin.ModelAdmin):
    form = GatewayConfigForm
    list_display = [
        "display_name", "gateway_name", "owner", "flow", "test_mode", "is_default", "is_active", "archived_at",
    ]
    list_filter = ["gateway_name", "is_active", "test_mode"]
    readonly_fields = ["stored_credentials", "archived_at", "created_at", "updated_at"]

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


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StatusChangeInline(ReadOnlyInline):
    model = PaymentStatusChange
    fields = ["created_at", "from_status", "to_status", "applied", "source", "note", "webhook_event"]
    readonly_fields = ["created_at", "from_status", "to_status", "applied", "source", "note", "webhook_event"]


class RefundInline(ReadOnlyInline):
    model = PaymentRefund
    fields = ["created_at", "amount", "status", "gateway_refund_id", "source", "reason", "failure_message"]
    readonly_fields = ["created_at", "amount", "status", "gateway_refund_id", "source", "reason", "failure_message"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InvoicePayment)
class InvoicePaymentAdmin(ReadOnlyAdmin):
    list_display = ["id", "invoice", "gateway_name", "amount_display", "status", "attention_reason", "created_at"]
    list_filter = ["status", "gateway_name"]
    search_fields = ["id", "gateway_reference", "gateway_payment_reference", "invoice__number"]
    exclude = ["client_params"]  # may hold a client secret for the payer's browser
    inlines = [StatusChangeInline, RefundInline]

    @admin.display(description="Amount")
    def amount_display(self, obj: InvoicePayment) -> str:
        return f"{format_amount(obj.amount, obj.currency)} {obj.currency}"


@admin.register(PaymentWebhookEvent)
class PaymentWebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["gateway_event_id", "gateway_name", "event_type", "status", "attempts", "received_at"]
    list_filter = ["status", "gateway_name", "event_type"]
    search_fields = ["gateway_event_id"]
    actions = ["process_again"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Process again")
    def process_again(self, request: HttpRequest, queryset: QuerySet[PaymentWebhookEvent]) -> None:
        for event in queryset.select_related("config"):
            try:
                outcome = webhook_event_reprocess(event_row=event)
                self.message_user(request, f"{event.gateway_event_id}: {outcome.status} ({outcome.detail})")
            except TrackifyError as exc:
                self.message_user(request, f"{event.gateway_event_id}: {exc.message}", messages.ERROR)

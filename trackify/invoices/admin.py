from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from trackify.common.admin import label_of
from trackify.common.money import format_amount
from trackify.invoices.models import Invoice


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["number", "owner", "client_name", "total_display", "paid_display", "status"]
    list_filter = ["status", "currency"]
    search_fields = ["number", "client_name", "client_email"]
    # Amounts show in major units with their currency. Payments move the amount paid; editing it (or the
    # total under existing payments) by hand would break "amount paid = payments - refunds".
    exclude = ["total", "amount_paid"]
    readonly_fields = [
        "total_display", "paid_display", "due_display", "overpaid_display", "disputes", "public_token", "created_at",
        "updated_at",
    ]

    @admin.display(description="Total")
    def total_display(self, obj: Invoice) -> str:
        return f"{format_amount(obj.total, obj.currency)} {obj.currency}" if obj.pk and obj.currency else "-"

    @admin.display(description="Amount paid")
    def paid_display(self, obj: Invoice) -> str:
        return f"{format_amount(obj.amount_paid, obj.currency)} {obj.currency}" if obj.pk and obj.currency else "-"

    @admin.display(description="Amount due")
    def due_display(self, obj: Invoice) -> str:
        return f"{format_amount(obj.amount_due, obj.currency)} {obj.currency}" if obj.pk and obj.currency else "-"

    @admin.display(description="Amount overpaid (refund: POST /payment/invoice/<id>/refund-overpayment/)")
    def overpaid_display(self, obj: Invoice) -> str:
        return f"{format_amount(obj.amount_overpaid, obj.currency)} {obj.currency}" if obj.pk and obj.currency else "-"

    @admin.display(description="Disputes (chargebacks) of its payments")
    def disputes(self, obj: Invoice) -> SafeString | str:
        # Reached through the payments app's reverse relations, by name (invoices never import payments);
        # read-only, each linking to the dispute's page with its history.
        rows = [d for payment in obj.payments.prefetch_related("disputes") for d in payment.disputes.all()]
        if not rows:
            return "-"
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a>: {}, disputed {}, withdrawn {}, reinstated {}, evidence due {}',
            (
                (
                    reverse("admin:payments_paymentdispute_change", args=[d.pk]),
                    d.gateway_dispute_id,
                    label_of({}, d.status),
                    *(f"{format_amount(v, d.currency)} {d.currency}" for v in
                      (d.amount, d.withdrawn_amount, d.reinstated_amount)),
                    f"{d.evidence_due_by:%Y-%m-%d %H:%M} UTC" if d.evidence_due_by else "-",
                )
                for d in rows
            ),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Invoice | None = None) -> list[str]:
        fields = [*super().get_readonly_fields(request, obj)]
        # Once a payment exists, its currency and the invoice's status follow the payments (the status
        # from the amount paid); changing either by hand would contradict them. `payments` is the
        # reverse relation of the payments app, named rather than imported (invoices never import payments).
        if obj is not None and obj.payments.exists():
            fields += ["status", "currency"]
        return fields

    def has_add_permission(self, request: object) -> bool:
        return False  # invoices are created through the API (POST /invoices/), which checks the amounts

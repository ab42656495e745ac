from django.contrib import admin

from trackify.common.money import format_amount
from trackify.invoices.models import Invoice


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["number", "owner", "client_name", "currency", "total_display", "paid_display", "status"]
    list_filter = ["status", "currency"]
    search_fields = ["number", "client_name", "client_email"]
    # Payments move these; editing them by hand would break "amount paid = payments - refunds".
    readonly_fields = ["amount_paid", "public_token", "created_at", "updated_at"]

    @admin.display(description="Total")
    def total_display(self, obj: Invoice) -> str:
        return format_amount(obj.total, obj.currency)

    @admin.display(description="Amount paid")
    def paid_display(self, obj: Invoice) -> str:
        return format_amount(obj.amount_paid, obj.currency)

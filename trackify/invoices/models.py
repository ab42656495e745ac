from __future__ import annotations

import secrets
import uuid
from datetime import date

from django.conf import settings
from django.db import models


def new_public_token() -> str:
    # 256 random bits, url-safe: the client's link is the only credential they hold.
    return secrets.token_urlsafe(32)


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"


class Invoice(models.Model):
    """Only what payments need of an invoice. Amounts are minor units of `currency`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invoices"
    )
    number = models.CharField(max_length=64)
    client_name = models.CharField(max_length=200)
    client_email = models.EmailField(blank=True)
    currency = models.CharField(max_length=3)
    total = models.BigIntegerField()
    amount_paid = models.BigIntegerField(default=0)
    status = models.CharField(
        max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN
    )
    allow_partial_payment = models.BooleanField(default=False)
    # The sender's name as printed on the invoice (a business name; never the account's login).
    issuer_name = models.CharField(max_length=200, blank=True)
    issued_on = models.DateField(default=date.today)
    due_on = models.DateField(null=True, blank=True)
    public_token = models.CharField(max_length=64, unique=True, default=new_public_token)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "number"], name="invoice_number_unique_per_owner"),
            models.CheckConstraint(condition=models.Q(total__gt=0), name="invoice_total_positive"),
        ]

    def __str__(self) -> str:
        return f"Invoice {self.number}"

    @property
    def amount_due(self) -> int:
        return max(self.total - self.amount_paid, 0)

    @property
    def amount_overpaid(self) -> int:
        return max(self.amount_paid - self.total, 0)

    @property
    def is_payable(self) -> bool:
        return self.status in (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID) and self.amount_due > 0

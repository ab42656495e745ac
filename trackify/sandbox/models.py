"""The sandbox provider's own books: what a real gateway would keep on its side.

These tables belong to the simulated provider, not to our payment records; the sandbox gateway
plugin reaches them only through `trackify.sandbox.provider`, as a real plugin reaches its API.
"""

from __future__ import annotations

import secrets

from django.db import models


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def new_session_id() -> str:
    return _id("sbx_sess")


def new_refund_id() -> str:
    return _id("sbx_re")


def new_dispute_id() -> str:
    return _id("sdp")


class SandboxSession(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        PROCESSING = "processing"
        SUCCEEDED = "succeeded"
        DECLINED = "declined"
        CANCELLED = "cancelled"
        EXPIRED = "expired"

    id = models.CharField(primary_key=True, max_length=40, default=new_session_id)
    account_id = models.UUIDField()  # the merchant's config id
    idempotency_key = models.CharField(max_length=255)
    payment_id = models.UUIDField()
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    return_url = models.URLField(max_length=2000)
    cancel_url = models.URLField(max_length=2000)
    expires_at = models.DateTimeField()
    settles_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account_id", "idempotency_key"], name="sandbox_session_idempotency")
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"


class SandboxRefund(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=new_refund_id)
    session = models.ForeignKey(SandboxSession, on_delete=models.CASCADE, related_name="refunds")
    idempotency_key = models.CharField(max_length=255)
    amount = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "idempotency_key"], name="sandbox_refund_idempotency")
        ]

    def __str__(self) -> str:
        return self.id


class SandboxDispute(models.Model):
    """The payer's bank disputes a paid session: an inquiry (no money moves), or a chargeback.

    A chargeback withdraws `amount` from the merchant at once; won, the bank gives it back
    (`reinstated`); lost, it stays withdrawn. `withdrawn` and `reinstated` are totals.
    """

    class Status(models.TextChoices):
        INQUIRY = "inquiry"  # the bank asks questions; nothing withdrawn
        INQUIRY_CLOSED = "inquiry_closed"  # answered: it never became a chargeback
        CHARGEBACK = "chargeback"  # funds withdrawn; evidence due by the deadline
        WON = "won"
        LOST = "lost"

    OPEN = (Status.INQUIRY, Status.CHARGEBACK)

    id = models.CharField(primary_key=True, max_length=40, default=new_dispute_id)
    session = models.ForeignKey(SandboxSession, on_delete=models.CASCADE, related_name="disputes")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=50)
    status = models.CharField(max_length=20, choices=Status.choices)
    evidence_due_by = models.DateTimeField()
    withdrawn = models.BigIntegerField(default=0)
    reinstated = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            # A bank disputes a charge once at a time: a second one waits for the first to close.
            models.UniqueConstraint(
                fields=["session"],
                condition=models.Q(status__in=["inquiry", "chargeback"]),
                name="sandbox_one_open_dispute",
            )
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"

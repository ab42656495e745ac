"""Payment records. State moves only through `trackify.payments.services`."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from trackify.payments import crypto
from trackify.payments.gateways.types import DisputeStatus, PaymentFlow, PaymentStatus, RefundStatus


class PaymentGatewayConfig(models.Model):
    """One user's account at one gateway. Credentials are sealed; see `crypto`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_gateway_configs"
    )
    gateway_name = models.CharField(max_length=50)
    display_name = models.CharField(max_length=100)
    credentials_encrypted = models.TextField(blank=True, editable=False)
    flow = models.CharField(
        max_length=20, choices=[(f.value, f.value) for f in PaymentFlow], default=PaymentFlow.REDIRECT
    )
    test_mode = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    # Set instead of deleting a config that payments or webhook events still point at.
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner"],
                condition=models.Q(is_default=True),
                name="one_default_gateway_config_per_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.gateway_name})"

    @property
    def credentials(self) -> dict[str, str]:
        return crypto.decrypt_json(self.credentials_encrypted)

    def set_credentials(self, credentials: dict[str, str]) -> None:
        self.credentials_encrypted = crypto.encrypt_json(credentials)


class InvoicePayment(models.Model):
    """One attempt to pay (part of) an invoice through one gateway config."""

    Status = PaymentStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.PROTECT, related_name="payments")
    config = models.ForeignKey(PaymentGatewayConfig, on_delete=models.PROTECT, related_name="payments")
    gateway_name = models.CharField(max_length=50)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=20, choices=[(s.value, s.value) for s in PaymentStatus], default=PaymentStatus.PENDING
    )
    refunded_amount = models.BigIntegerField(default=0)
    # What disputes hold of this payment now: withdrawn by the provider and not reinstated (the sum
    # over its disputes, kept by `ledger.disputes`). The payment's own status stays as it was.
    disputed_amount = models.BigIntegerField(default=0)
    # The gateway's id of the session (Checkout Session, sandbox session...). Empty while the payment
    # only reserves its amount for a session its gateway has not opened yet (`is_reservation`).
    gateway_reference = models.CharField(max_length=255, blank=True, db_index=True)
    # The gateway's id of the money movement (PaymentIntent...), once known; refunds use it.
    gateway_payment_reference = models.CharField(max_length=255, blank=True)
    # The `Idempotency-Key` header of the request that created this payment, if any.
    client_idempotency_key = models.CharField(max_length=255, blank=True)
    redirect_url = models.URLField(max_length=2000, blank=True)
    client_params = models.JSONField(default=dict, blank=True)
    return_url = models.URLField(max_length=2000, blank=True)
    # When the session stops taking money; for a reservation, when it stops counting (a request that
    # stopped between reserving and recording the gateway's answer blocks nothing for long).
    expires_at = models.DateTimeField(null=True, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    # Something the owner must look at (amount mismatch, money after cancellation...).
    attention_reason = models.CharField(max_length=500, blank=True)
    last_status_check_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "client_idempotency_key"],
                condition=~models.Q(client_idempotency_key=""),
                name="payment_client_idempotency_key_unique_per_invoice",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                name="payment_refunded_within_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    disputed_amount__gte=0,
                    disputed_amount__lte=models.F("amount") - models.F("refunded_amount"),
                ),
                name="payment_refunds_and_disputes_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.id} ({self.status})"

    @property
    def gateway_idempotency_key(self) -> str:
        return f"trackify-payment-{self.id}"

    @property
    def is_reservation(self) -> bool:
        """Written before its session is asked for (`services.sessions`): pending, with no gateway
        reference yet. It counts against what the invoice has payable until `expires_at`."""
        return self.status == PaymentStatus.PENDING and not self.gateway_reference

    @property
    def net_amount(self) -> int:
        """What this payment contributes to its invoice's amount paid: paid, less refunded, less what
        disputes hold."""
        if self.status in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED):
            return self.amount - self.refunded_amount - self.disputed_amount
        return 0


class PaymentStatusChange(models.Model):
    """The history of a payment: every transition asked for, applied or refused."""

    payment = models.ForeignKey(InvoicePayment, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    applied = models.BooleanField()
    source = models.CharField(max_length=20)  # webhook, status_check, refund, api
    note = models.CharField(max_length=500, blank=True)
    # No index: nothing looks history up by its event, and events are never deleted (their config
    # protects them; the admin is read-only), so the index would only cost every transition stored
    # by a webhook one more write (docs/performance.md).
    webhook_event = models.ForeignKey(
        "PaymentWebhookEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status} ({'applied' if self.applied else 'refused'})"


class PaymentRefund(models.Model):
    """One refund of (part of) a payment, made through us or in the gateway's dashboard."""

    Status = RefundStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(InvoicePayment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField()
    status = models.CharField(
        max_length=20, choices=[(s.value, s.value) for s in RefundStatus], default=RefundStatus.PENDING
    )
    gateway_refund_id = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=20, default="api")  # api, gateway
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    failure_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "gateway_refund_id"],
                condition=~models.Q(gateway_refund_id=""),
                name="refund_gateway_id_unique_per_payment",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Refund {self.id} ({self.status})"

    @property
    def gateway_idempotency_key(self) -> str:
        return f"trackify-refund-{self.id}"


class PaymentDispute(models.Model):
    """One dispute (a chargeback, or an inquiry) of a payment, as its provider reports it.

    Written only by `ledger.disputes`. `withdrawn_amount` and `reinstated_amount` are the totals the
    provider moved so far; what the dispute holds of the payment is their difference.
    """

    Status = DisputeStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(InvoicePayment, on_delete=models.PROTECT, related_name="disputes")
    # Denormalised from the payment: the provider's ids are unique per account (config).
    config = models.ForeignKey(PaymentGatewayConfig, on_delete=models.PROTECT, related_name="disputes")
    gateway_dispute_id = models.CharField(max_length=255)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=[(s.value, s.value) for s in DisputeStatus])
    is_inquiry = models.BooleanField(default=False)
    evidence_due_by = models.DateTimeField(null=True, blank=True)
    withdrawn_amount = models.BigIntegerField(default=0)
    reinstated_amount = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["config", "gateway_dispute_id"], name="dispute_unique_per_config"),
            models.CheckConstraint(
                condition=models.Q(
                    withdrawn_amount__gte=0,
                    reinstated_amount__gte=0,
                    reinstated_amount__lte=models.F("withdrawn_amount"),
                ),
                name="dispute_reinstated_within_withdrawn",
            ),
        ]
        indexes = [
            # Webhook health and the payments page: a config's disputes still open.
            models.Index(
                fields=["config", "evidence_due_by"],
                condition=models.Q(status__in=["inquiry", "needs_response", "under_review"]),
                name="dispute_open_by_deadline",
            )
        ]

    def __str__(self) -> str:
        return f"Dispute {self.gateway_dispute_id} ({self.status})"

    @property
    def held_amount(self) -> int:
        """What this dispute takes from the payment now: withdrawn and not (yet) reinstated."""
        return self.withdrawn_amount - self.reinstated_amount


class PaymentDisputeChange(models.Model):
    """The history of a dispute: every report applied or refused, with what caused it."""

    dispute = models.ForeignKey(PaymentDispute, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(max_length=20, blank=True)  # "" when the report opened it
    to_status = models.CharField(max_length=20)
    withdrawn_amount = models.BigIntegerField(default=0)
    reinstated_amount = models.BigIntegerField(default=0)
    applied = models.BooleanField()
    source = models.CharField(max_length=20)  # webhook, catch_up, sandbox
    note = models.CharField(max_length=500, blank=True)
    webhook_event = models.ForeignKey(
        "PaymentWebhookEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} -> {self.to_status} ({'applied' if self.applied else 'refused'})"


class WebhookEventStatus(models.TextChoices):
    RECEIVED = "received"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"
    # Verified, but its payment cannot be known yet: kept, and applied once it can be.
    DEFERRED = "deferred"


class PaymentWebhookEvent(models.Model):
    """A verified delivery, stored once (the unique constraint) and applied once."""

    Status = WebhookEventStatus

    gateway_name = models.CharField(max_length=50)
    # No index of its own: "webhook_event_config_received" (config, received_at) serves lookups by config,
    # and every event stored would write one index more (docs/performance.md).
    config = models.ForeignKey(
        PaymentGatewayConfig, on_delete=models.PROTECT, related_name="webhook_events", db_index=False
    )
    gateway_event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100)
    payload = models.JSONField()
    status = models.CharField(
        max_length=20, choices=WebhookEventStatus.choices, default=WebhookEventStatus.RECEIVED
    )
    result = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    # No index: nothing looks events up by their payment, and payments are never deleted (their invoice
    # and refunds protect them; the admin is read-only), so the index would only cost every stored event
    # one more write (docs/performance.md).
    payment = models.ForeignKey(
        InvoicePayment, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events",
        db_index=False,
    )
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # Webhook health (counts per config over the last 24 hours) and the reprocess command.
            models.Index(fields=["config", "received_at"], name="webhook_event_config_received"),
            models.Index(
                fields=["status", "received_at"],
                condition=models.Q(status__in=["failed", "deferred", "received"]),
                name="webhook_event_not_done",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway_name", "config", "gateway_event_id"],
                name="webhook_event_unique_per_gateway_and_config",
            )
        ]

    def __str__(self) -> str:
        return f"{self.gateway_name} {self.event_type} {self.gateway_event_id}"


class WebhookRejection(models.Model):
    """Deliveries refused for a bad signature, counted per config and hour (nothing of them is kept).

    A verified delivery is a `PaymentWebhookEvent`; a refused one leaves only this count, which the
    webhook health of the config shows (most deliveries refused: a wrong signing secret). Counted
    apart, in `unmatched`: hints (a hint-only gateway's unsigned webhook) naming an object the
    provider does not have for the config, answered 200 and otherwise dropped.
    """

    config = models.ForeignKey(PaymentGatewayConfig, on_delete=models.CASCADE, related_name="webhook_rejections")
    hour = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["config", "hour"], name="webhook_rejection_per_config_hour")]

    def __str__(self) -> str:
        return f"{self.count} rejected at {self.hour:%Y-%m-%d %H}:00"

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
    webhook health of the config shows (most deliveries refused: a wrong signing secret).
    """

    config = models.ForeignKey(PaymentGatewayConfig, on_delete=models.CASCADE, related_name="webhook_rejections")
    hour = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["config", "hour"], name="webhook_rejection_per_config_hour")]

    def __str__(self) -> str:
        return f"{self.count} rejected at {self.hour:%Y-%m-%d %H}:00"


class NotificationEvent(models.Model):
    """Something people are told of: the outbox's fact, written in the ledger's own transaction.

    `key` names the change exactly once — (type, object, state), e.g. "payment.succeeded:<payment id>"
    — so a duplicate or reordered webhook cannot write a second one, and a crash before the commit
    writes none. The sender fans it out into deliveries (`NotificationDelivery`) after the commit.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # payment.succeeded, payment.failed, payment.refunded, invoice.paid, invoice.partially_paid,
    # dispute.opened, dispute.closed, overpayment.detected; owner.health_digest (e-mail only).
    type = models.CharField(max_length=50)
    key = models.CharField(max_length=255, unique=True)
    # Ids of what it is about (payment, invoice, refund, dispute) and the figures at the time.
    data = models.JSONField(default=dict)
    occurred_at = models.DateTimeField(auto_now_add=True)
    # Set once its deliveries are written; the sender takes the events still without it.
    expanded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["occurred_at"]
        indexes = [
            models.Index(
                fields=["occurred_at"], condition=models.Q(expanded_at__isnull=True), name="notification_unexpanded"
            )
        ]

    def __str__(self) -> str:
        return self.key


class NotificationDeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # every attempt failed: shown to the owner, sent again only by hand


class NotificationDelivery(models.Model):
    """One message of an event to one recipient through one channel: sent at least once, retried with
    back-off, marked failed after the channel's last attempt."""

    Status = NotificationDeliveryStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(NotificationEvent, on_delete=models.CASCADE, related_name="deliveries")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20)  # email, webhook
    # What is sent: the e-mail's template (client_receipt, owner_payment_received...) or the
    # webhook's event type.
    kind = models.CharField(max_length=50)
    # The e-mail address, or the webhook endpoint's id.
    target = models.CharField(max_length=255)
    status = models.CharField(max_length=20, choices=NotificationDeliveryStatus.choices, default="pending")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "channel", "kind", "target"], name="notification_delivery_once")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(status="pending"), name="notification_delivery_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} to {self.target} ({self.status})"


class NotificationSettings(models.Model):
    """What an owner is sent, and told of their clients' e-mails: one row per owner, made when first
    changed (an owner without one has every kind on, `reply_to` blank)."""

    # The e-mail kinds, each a boolean field of the same name (and a template under notifications/).
    KINDS = (
        "client_receipt",
        "client_refund",
        "owner_payment_received",
        "owner_payment_failed",
        "owner_refund",
        "owner_overpayment",
        "owner_dispute_opened",
        "owner_dispute_closed",
        "owner_health_digest",
    )

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    # The Reply-To of every e-mail about this owner's invoices (the From is DEFAULT_FROM_EMAIL).
    reply_to = models.EmailField(blank=True)
    client_receipt = models.BooleanField(default=True)
    client_refund = models.BooleanField(default=True)
    owner_payment_received = models.BooleanField(default=True)
    owner_payment_failed = models.BooleanField(default=True)
    owner_refund = models.BooleanField(default=True)
    owner_overpayment = models.BooleanField(default=True)
    owner_dispute_opened = models.BooleanField(default=True)
    owner_dispute_closed = models.BooleanField(default=True)
    owner_health_digest = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"Notification settings of {self.owner_id}"

    def is_on(self, kind: str) -> bool:
        # A kind with no switch is always sent: owner_endpoint_disabled (something the owner set up
        # broke and stays off until they act).
        return bool(getattr(self, kind, True))


class WebhookEndpoint(models.Model):
    """A URL of the owner's own systems that is sent signed webhooks (Standard Webhooks) of their events."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # The event types it is sent; empty: all of them.
    event_types = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    # The signing secret ("whsec_" + base64), sealed like gateway credentials: never shown but once.
    secret_encrypted = models.TextField(editable=False)
    # Failed attempts in a row, whatever the delivery; reset by a success. Too many disable it.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.url

    @property
    def secret(self) -> str:
        return crypto.decrypt_json(self.secret_encrypted)["secret"]

    def set_secret(self, secret: str) -> None:
        self.secret_encrypted = crypto.encrypt_json({"secret": secret})


class WebhookDeliveryAttempt(models.Model):
    """One HTTP request of a webhook delivery, as the endpoint answered it (the newest few per endpoint kept)."""

    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(NotificationDelivery, on_delete=models.CASCADE, related_name="webhook_attempts")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)  # null: no answer (network error, refused)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True)  # the answer's first bytes, as text
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["attempted_at", "id"]
        indexes = [models.Index(fields=["endpoint", "-attempted_at"], name="webhook_attempt_recent")]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.attempted_at}: {self.status_code or self.error}"

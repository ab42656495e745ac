"""Notification records: the outbox (events and their deliveries), the owner's e-mail settings, and
their webhook endpoints with each attempt. Written by `trackify.payments.services.notifications`."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from trackify.payments import crypto


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

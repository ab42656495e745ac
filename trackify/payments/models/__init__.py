"""Payments' records, one module a concern: `books` (gateway configs, payments, their refunds and
disputes, webhook events) and `notifications` (the outbox, the owner's e-mail settings, webhook
endpoints). State moves only through `trackify.payments.services`."""

from trackify.payments.models.books import (
    InvoicePayment,
    PaymentDispute,
    PaymentDisputeChange,
    PaymentGatewayConfig,
    PaymentRefund,
    PaymentStatusChange,
    PaymentWebhookEvent,
    WebhookEventStatus,
    WebhookRejection,
)
from trackify.payments.models.notifications import (
    NotificationDelivery,
    NotificationDeliveryStatus,
    NotificationEvent,
    NotificationSettings,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
)

__all__ = [
    "InvoicePayment",
    "NotificationDelivery",
    "NotificationDeliveryStatus",
    "NotificationEvent",
    "NotificationSettings",
    "PaymentDispute",
    "PaymentDisputeChange",
    "PaymentGatewayConfig",
    "PaymentRefund",
    "PaymentStatusChange",
    "PaymentWebhookEvent",
    "WebhookDeliveryAttempt",
    "WebhookEndpoint",
    "WebhookEventStatus",
    "WebhookRejection",
]

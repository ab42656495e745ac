"""The words the admin shows for the payments' stored values.

The models' choices carry the bare values (a label there is part of the migration state), so every
status and flow the admin shows, in columns, filters and history, reads its label from here.
"""

from __future__ import annotations

from collections.abc import Mapping

from trackify.payments.gateways.types import DisputeStatus, PaymentFlow, PaymentStatus, RefundStatus
from trackify.payments.models import WebhookEventStatus

PAYMENT_STATUS: Mapping[str, str] = {
    PaymentStatus.PENDING: "Pending",
    PaymentStatus.AUTHORIZED: "Authorized",
    PaymentStatus.PROCESSING: "Processing",
    PaymentStatus.SUCCEEDED: "Succeeded",
    PaymentStatus.FAILED: "Failed",
    PaymentStatus.CANCELLED: "Cancelled",
    PaymentStatus.EXPIRED: "Expired",
    PaymentStatus.PARTIALLY_REFUNDED: "Partially refunded",
    PaymentStatus.REFUNDED: "Refunded",
}

REFUND_STATUS: Mapping[str, str] = {
    RefundStatus.PENDING: "Pending",
    RefundStatus.SUCCEEDED: "Succeeded",
    RefundStatus.FAILED: "Failed",
    RefundStatus.CANCELLED: "Cancelled",
}

DISPUTE_STATUS: Mapping[str, str] = {
    DisputeStatus.INQUIRY: "Inquiry",
    DisputeStatus.NEEDS_RESPONSE: "Needs response",
    DisputeStatus.UNDER_REVIEW: "Under review",
    DisputeStatus.WON: "Won",
    DisputeStatus.LOST: "Lost",
}

FLOW: Mapping[str, str] = {
    PaymentFlow.REDIRECT: "Redirect to the gateway's page",
    PaymentFlow.IN_MODAL: "In a window on the invoice page",
}

WEBHOOK_EVENT_STATUS: Mapping[str, str] = dict(WebhookEventStatus.choices)

"""The owner's webhook endpoints and their delivery log. The signing secret is only in EndpointWithSecretSerializer
(the answers to create and roll-secret)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from trackify.common.serializers import StrictInputSerializer
from trackify.payments.services.notifications.webhooks_out import EVENT_TYPES

_EVENT_TYPES_HELP = "The event types it is sent; empty: all of them."


class WebhookEndpointSerializer(serializers.Serializer):
    endpoint_id = serializers.UUIDField(source="id")
    url = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES), help_text=_EVENT_TYPES_HELP)
    enabled = serializers.BooleanField()
    disabled_reason = serializers.CharField(
        allow_blank=True,
        help_text="Why it was disabled (by its owner, or after failed deliveries); empty when enabled.",
    )
    created_at = serializers.DateTimeField()


class EndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        help_text="The signing secret (whsec_...), for verifying the webhook-signature header. Shown in this answer "
        "only: store it now.",
    )


class WebhookEndpointCreateSerializer(StrictInputSerializer):
    url = serializers.URLField(max_length=2000, help_text="https only, on a public address.")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES), required=False, default=list, max_length=len(EVENT_TYPES),
        help_text=_EVENT_TYPES_HELP,
    )
    enabled = serializers.BooleanField(required=False, default=True)


class WebhookEndpointUpdateSerializer(StrictInputSerializer):
    url = serializers.URLField(max_length=2000, required=False, help_text="https only, on a public address.")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES), required=False, max_length=len(EVENT_TYPES),
        help_text=_EVENT_TYPES_HELP,
    )
    enabled = serializers.BooleanField(required=False, help_text="true again clears the failure count and reason.")


class WebhookAttemptSerializer(serializers.Serializer):
    attempted_at = serializers.DateTimeField()
    status_code = serializers.IntegerField(
        allow_null=True, help_text="null: no answer (network error, time-out, refused)."
    )
    duration_ms = serializers.IntegerField()
    response_excerpt = serializers.CharField(allow_blank=True, help_text="The answer's first 500 bytes, as text.")
    error = serializers.CharField(allow_blank=True)


class WebhookDeliverySerializer(serializers.Serializer):
    delivery_id = serializers.UUIDField(source="id", help_text="Also its webhook-id header, the same on every attempt.")
    event_type = serializers.CharField(source="kind")
    status = serializers.ChoiceField(choices=["pending", "sent", "failed"], read_only=True)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True, help_text="null unless pending.")
    last_error = serializers.CharField(allow_blank=True)
    sent_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    attempts_log = WebhookAttemptSerializer(
        source="webhook_attempts.all", many=True, help_text="Oldest first (the endpoint's newest 50 attempts are kept)."
    )

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        if instance.status != "pending":
            data["next_attempt_at"] = None
        return data

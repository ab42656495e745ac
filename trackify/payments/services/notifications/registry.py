"""The channels notifications go out by, by name. A channel is added here and nowhere else."""

from __future__ import annotations

from trackify.payments.services.notifications import email, webhooks_out
from trackify.payments.services.notifications.channels import Channel

_ALL: tuple[Channel, ...] = (email.CHANNEL, webhooks_out.CHANNEL)

CHANNELS: dict[str, Channel] = {channel.name: channel for channel in _ALL}

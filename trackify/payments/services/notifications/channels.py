"""What a channel a notification goes out by provides: how an event becomes deliveries (`expand`,
which reads the owner's settings), how one delivery is sent (`send`), and when a failed one is tried
again (`retry_after`). `registry.CHANNELS` lists the channels."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from trackify.payments.models import NotificationDelivery, NotificationEvent


class DeliveryFailed(Exception):
    """This attempt did not deliver; `message` (no secret in it) is kept on the delivery and shown."""

    def __init__(self, message: str, *, retry: bool = True):
        super().__init__(message)
        self.message = message
        self.retry = retry  # False: no later attempt can succeed (no such endpoint any more...)


@dataclass(frozen=True)
class Channel:
    name: str
    # The deliveries an event makes on this channel (unsaved; `target` and `kind` set).
    expand: Callable[[NotificationEvent], Sequence[NotificationDelivery]]
    # Send one delivery, within `timeout` seconds; raise `DeliveryFailed` when it did not go.
    send: Callable[[NotificationDelivery, float], None]
    # The wait before attempt n+1 after n failed ones (len(retry_after) + 1 attempts in all).
    retry_after: tuple[timedelta, ...]
    # Called once a delivery is marked failed after its last attempt (an endpoint disabled...).
    on_gave_up: Callable[[NotificationDelivery], None] | None = None


def exponential(
    first: timedelta, *, attempts: int, factor: float = 2.0, most: timedelta | None = None
) -> tuple[timedelta, ...]:
    """`attempts` waits, each `factor` times the one before, from `first`, capped at `most`."""
    waits = []
    wait = first
    for _ in range(attempts):
        waits.append(min(wait, most) if most is not None else wait)
        wait = wait * factor
    return tuple(waits)

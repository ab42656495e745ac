"""The project's exception tree. Each maps to one HTTP status in `trackify.common.api`.

Messages are fit to show to the person on the other side of the API: they never carry a
secret, a stack trace or another user's data.
"""

from __future__ import annotations


class TrackifyError(Exception):
    """Base of every error the API turns into a JSON answer."""

    status_code = 400
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class ValidationFailed(TrackifyError):
    """The request is well formed but its values are not acceptable."""

    status_code = 400
    code = "invalid"


class NotFound(TrackifyError):
    """Unknown, or not yours: both answer the same so ids cannot be probed."""

    status_code = 404
    code = "not_found"


class PermissionDenied(TrackifyError):
    status_code = 403
    code = "forbidden"


class Conflict(TrackifyError):
    """The request contradicts the current state (already paid, idempotency key reused...)."""

    status_code = 409
    code = "conflict"

"""The few errors a gateway may raise. Each SDK's own errors are translated into these.

`message` is fit to show the person paying; `detail` is for the log (never a secret).
"""

from __future__ import annotations

from trackify.common.errors import TrackifyError


class GatewayError(TrackifyError):
    """The gateway could not do what was asked. Answered as 502."""

    status_code = 502
    code = "gateway_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        detail: str = "",
        request_id: str = "",
        retryable: bool = False,
        retry_after: int | None = None,
    ):
        super().__init__(message, code=code)
        self.detail = detail
        self.request_id = request_id
        self.retryable = retryable
        # Seconds the provider asked us to wait (a 429's `Retry-After`), passed on to the client.
        self.retry_after = retry_after


class GatewayUnavailable(GatewayError):
    """Network failure, timeout, rate limit or a 5xx: trying again later may work."""

    code = "gateway_unavailable"

    def __init__(
        self, message: str = "The payment provider could not be reached. Please try again shortly.", **kwargs: object
    ):
        kwargs.setdefault("retryable", True)
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class GatewayConfigurationError(GatewayError):
    """Credentials are wrong, revoked or lack a permission: the merchant has to act."""

    code = "gateway_misconfigured"


class PaymentDeclined(GatewayError):
    """The payment method was refused. Answered as 402 with the gateway's own reason."""

    status_code = 402
    code = "payment_declined"


class InvalidGatewayRequest(GatewayError):
    """The gateway rejected the request's values (amount too small, currency not accepted...)."""

    status_code = 400
    code = "gateway_rejected_request"


class WebhookVerificationError(TrackifyError):
    """The delivery is not provably from the gateway: bad signature, stale timestamp, bad body."""

    status_code = 400
    code = "webhook_invalid"


class WebhookSubjectUnknown(TrackifyError):
    """A hint-only delivery names an object the provider does not have for this config's credentials
    (a mistyped or forged id, or another account's). Not a forgery that a signature could catch: it
    is answered 200, so that the provider stops retrying, changes nothing, and is counted apart
    from rejected signatures in the config's webhook health."""

    status_code = 200
    code = "webhook_subject_unknown"

"""The few errors a gateway may raise. Each SDK's own errors are translated into these, with the
two helpers at the end: `translated` around every SDK call, `for_http_status` for an HTTP answer.

`message` is fit to show the person paying; `detail` is for the log (never a secret).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from trackify.common.errors import TrackifyError

logger = logging.getLogger(__name__)


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


@contextmanager
def translated(
    provider: str,
    sdk_errors: type[Exception] | tuple[type[Exception], ...],
    translate: Callable[[Any, str], GatewayError],
    operation: str,
) -> Iterator[None]:
    """Around one call to a provider's SDK: any of `sdk_errors` leaves as `translate(exc, operation)`,
    logged once with its detail and the provider's request id. The SDK's error stays the `__cause__`,
    so `translate` redacts it where the SDK repeats a secret in its message. A gateway's api module
    binds the first three: `_translated = functools.partial(errors.translated, "Acme", AcmeError, _translate)`."""
    try:
        yield
    except sdk_errors as exc:
        error = translate(exc, operation)
        detail, request_id = error.detail or error.message, error.request_id or "none"
        logger.warning("%s %s failed: %s (request id %s)", provider, operation, detail, request_id)
        raise error from exc


def for_http_status(
    status: int, provider: str, *, refused: str, credentials: str = "the credentials", **context: Any
) -> GatewayError:
    """What a provider's HTTP error answer means, as REST APIs use the codes: 401 and 403, credentials
    the merchant has to correct; 429 and 5xx, try again later; 400, 404 and 422, a request the provider
    refused, and why (`refused`); anything else, a plain GatewayError. `context`: detail, request_id, code."""
    if status in (401, 403):
        message = f"{provider} refused {credentials} of this payment configuration, or they lack a permission;"
        message += " the merchant has to correct them."
        return GatewayConfigurationError(message, **context)
    if status == 429 or status >= 500:
        return GatewayUnavailable(**context)
    if status in (400, 404, 422):
        because = f": {refused}" if refused else ""
        return InvalidGatewayRequest(f"{provider} refused the request{because}.", **context)
    return GatewayError(f"{provider} could not complete the request.", **context)

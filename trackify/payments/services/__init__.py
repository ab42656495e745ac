"""PaymentService: the only code that moves payment or invoice state.

Each operation lives in its own module; this facade names them in one place.
"""

from __future__ import annotations

from trackify.payments.services.gateway_configs import gateway_for
from trackify.payments.services.refunds import payment_refund
from trackify.payments.services.sessions import payment_session_create
from trackify.payments.services.status import payment_refresh_status
from trackify.payments.services.webhooks import webhook_apply, webhook_receive


class PaymentService:
    load_gateway = staticmethod(gateway_for)
    create_session = staticmethod(payment_session_create)
    handle_webhook = staticmethod(webhook_receive)
    apply = staticmethod(webhook_apply)
    refresh_status = staticmethod(payment_refresh_status)
    refund = staticmethod(payment_refund)


__all__ = ["PaymentService"]

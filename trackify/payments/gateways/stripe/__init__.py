"""Stripe, through the official SDK (imported by `api` only). See docs/stripe.md."""

from trackify.payments.gateways.stripe.gateway import StripeGateway

__all__ = ["StripeGateway"]

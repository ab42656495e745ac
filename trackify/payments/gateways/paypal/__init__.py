"""PayPal Orders v2, through PayPal's server SDK (imported by `api` only). See docs/paypal.md."""

from trackify.payments.gateways.paypal.gateway import PayPalGateway

__all__ = ["PayPalGateway"]

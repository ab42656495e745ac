"""Mollie, through the official SDK (imported by `api` only). See docs/mollie.md."""

from trackify.payments.gateways.mollie.gateway import MollieGateway

__all__ = ["MollieGateway"]

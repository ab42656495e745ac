"""The conformance kit: one pytest suite that every payment gateway passes, over our HTTP API.

A gateway supplies an adapter over its fake provider (`adapter.GatewayAdapter`); see
docs/adding-a-gateway.md, "Checking a gateway: the conformance kit". Test support only: nothing in
the running application imports this package.
"""

from trackify.payments.gateways.testing.adapter import (
    FAULT_KINDS,
    Delivery,
    FaultKind,
    GatewayAdapter,
    KitPayment,
    NotSupported,
)

__all__ = ["FAULT_KINDS", "Delivery", "FaultKind", "GatewayAdapter", "KitPayment", "NotSupported"]

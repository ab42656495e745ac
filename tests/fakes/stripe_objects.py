"""Stripe-shaped objects for the fake Stripe server and for webhook events in tests.

Each builder returns a complete object with every top-level field Stripe's own example of that
resource has (`tests/payments/gateways/stripe/test_fake_shapes.py` checks them against
`../shared/fixtures/stripe/fixtures3.json` where that file exists), filled with the values a
fresh object of that kind has, then the caller's overrides.
"""

from __future__ import annotations

import secrets
import string
import time
from typing import Any

API_VERSION = "2026-10-28.endive"

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _address() -> dict[str, Any]:
    return dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state"))


def checkout_session(**overrides: Any) -> dict[str, Any]:
    session_id = overrides.pop("id", None) or new_id("cs_test_", 58)
    obj: dict[str, Any] = {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": 0,
        "amount_total": 0,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": None,
        "client_reference_id": None,
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": int(time.time()),
        "currency": None,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": None,
        "customer_account": None,
        "customer_creation": "if_required",
        "customer_details": None,
        "customer_email": None,
        "discounts": [],
        "expires_at": int(time.time()) + 86400,
        "integration_identifier": None,
        "invoice": None,
        "invoice_creation": {"enabled": False, "invoice_data": None},
        "livemode": False,
        "locale": None,
        "managed_payments": None,
        "metadata": {},
        "mode": "payment",
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": None,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": None,
        "wallet_options": None,
    }
    obj.update(overrides)
    return obj


def payment_intent(**overrides: Any) -> dict[str, Any]:
    intent_id = overrides.pop("id", None) or new_id("pi_")
    obj: dict[str, Any] = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": 0,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": {"allow_redirects": "always", "enabled": True},
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": f"{intent_id}_secret_{new_id('', 25)}",
        "confirmation_method": "automatic",
        "created": int(time.time()),
        "currency": "usd",
        "customer": None,
        "customer_account": None,
        "description": None,
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }
    obj.update(overrides)
    return obj


def card_error(code: str = "card_declined", message: str = "Your card was declined.") -> dict[str, Any]:
    """A `last_payment_error` (and the body of a 402 card error)."""
    return {
        "type": "card_error",
        "code": code,
        "decline_code": "generic_decline" if code == "card_declined" else None,
        "message": message,
        "param": None,
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
    }


def charge(**overrides: Any) -> dict[str, Any]:
    charge_id = overrides.pop("id", None) or new_id("ch_")
    obj: dict[str, Any] = {
        "id": charge_id,
        "object": "charge",
        "amount": 0,
        "amount_captured": 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": new_id("txn_"),
        "billing_details": {"address": _address(), "email": None, "name": None, "phone": None, "tax_id": None},
        "calculated_statement_descriptor": "TRACKIFY",
        "captured": True,
        "created": int(time.time()),
        "currency": "usd",
        "customer": None,
        "description": None,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": {},
        "on_behalf_of": None,
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": True,
        "payment_intent": None,
        "payment_method": new_id("pm_"),
        "payment_method_details": {"card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034}},
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": {"object": "list", "data": [], "has_more": False, "url": f"/v1/charges/{charge_id}/refunds"},
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }
    obj.update(overrides)
    return obj


def refund(**overrides: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": overrides.pop("id", None) or new_id("re_"),
        "object": "refund",
        "amount": 0,
        "balance_transaction": new_id("txn_"),
        "charge": None,
        "created": int(time.time()),
        "currency": "usd",
        "customer": None,
        "customer_account": None,
        "destination_details": {"card": {"type": "refund"}, "type": "card"},
        "metadata": {},
        "payment_intent": None,
        "payment_method": None,
        "reason": None,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    obj.update(overrides)
    return obj


_EVIDENCE_FIELDS = (
    "access_activity_log billing_address cancellation_policy cancellation_policy_disclosure "
    "cancellation_rebuttal customer_communication customer_email_address customer_name customer_purchase_ip "
    "customer_signature duplicate_charge_documentation duplicate_charge_explanation duplicate_charge_id "
    "product_description receipt refund_policy refund_policy_disclosure refund_refusal_explanation service_date "
    "service_documentation shipping_address shipping_carrier shipping_date shipping_documentation "
    "shipping_tracking_number uncategorized_file uncategorized_text"
).split()

#: What Stripe charges for a dispute (in the test mode's USD-like units): on the withdrawal's fee,
#: given back on the reinstatement's.
DISPUTE_FEE = 1500


def dispute(**overrides: Any) -> dict[str, Any]:
    """A dispute of a charge; `balance_transactions` are expanded, as Stripe always sends them."""
    obj: dict[str, Any] = {
        "id": overrides.pop("id", None) or new_id("dp_"),
        "object": "dispute",
        "amount": 0,
        "balance_transactions": [],
        "charge": None,
        "created": int(time.time()),
        "currency": "usd",
        "enhanced_eligibility_types": [],
        "evidence": {**dict.fromkeys(_EVIDENCE_FIELDS), "enhanced_evidence": {}},
        "evidence_details": {
            "due_by": int(time.time()) + 7 * 86400,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": None,
        "payment_method_details": {
            "card": {"brand": "visa", "case_type": "chargeback", "network_reason_code": "10.4", "network": "visa"},
            "type": "card",
        },
        "reason": "fraudulent",
        "status": "needs_response",
    }
    obj.update(overrides)
    return obj


def balance_transaction(**overrides: Any) -> dict[str, Any]:
    """A balance transaction; `amount` is gross, `net` = amount - fee."""
    obj: dict[str, Any] = {
        "id": overrides.pop("id", None) or new_id("txn_"),
        "object": "balance_transaction",
        "amount": 0,
        "available_on": int(time.time()),
        "balance_type": "payments",
        "created": int(time.time()),
        "currency": "usd",
        "description": None,
        "exchange_rate": None,
        "fee": 0,
        "fee_details": [],
        "net": 0,
        "reporting_category": "charge",
        "source": None,
        "status": "available",
        "type": "charge",
    }
    obj.update(overrides)
    obj["net"] = obj["amount"] - obj["fee"]
    return obj


def balance(available: dict[str, int], pending: dict[str, int], *, livemode: bool = False) -> dict[str, Any]:
    def entries(amounts: dict[str, int]) -> list[dict[str, Any]]:
        return [
            {"amount": amount, "currency": currency, "source_types": {"card": amount}}
            for currency, amount in sorted(amounts.items())
        ]

    return {
        "object": "balance",
        "available": entries(available),
        "connect_reserved": [{"amount": 0, "currency": c} for c in sorted(available)],
        "livemode": livemode,
        "pending": entries(pending),
    }


def event(
    event_type: str,
    obj: dict[str, Any],
    *,
    livemode: bool = False,
    previous_attributes: dict[str, Any] | None = None,
    created: int | None = None,
    event_id: str | None = None,
    request_id: str | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """The snapshot event envelope Stripe POSTs to a webhook endpoint."""
    data: dict[str, Any] = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": event_id or new_id("evt_"),
        "object": "event",
        "api_version": API_VERSION,
        "created": created if created is not None else int(time.time()),
        "data": data,
        "livemode": livemode,
        "pending_webhooks": 1,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }


def error_body(
    error_type: str,
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    request_id: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """A Stripe API error response body."""
    error: dict[str, Any] = {"type": error_type, "message": message}
    if code:
        error["code"] = code
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if param:
        error["param"] = param
    if request_id:
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
    error.update(extra)
    return {"error": error}

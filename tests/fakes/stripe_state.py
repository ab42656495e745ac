"""One Stripe account inside the fake Stripe server: its objects and the API calls on them. What a
payer or the account's owner does at Stripe (pay on the hosted page, refund in the dashboard)
is in `stripe_activity`.

Every change appends the webhook events Stripe would send to `outbox`, in Stripe's order; tests
take them and deliver them in whatever order, number and delay the case needs.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes import stripe_objects as so
from tests.fakes.stripe_activity import StripeActivity, locked

# An independent oracle: the fake does not import the gateway's currency tables.
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
UNSUPPORTED = frozenset({"iqd", "lyd", "irr", "kpw", "syp", "cup", "sdg", "ves", "ssp", "tmt", "xxx"})

class StripeApiError(Exception):
    """Answered as a Stripe error body. `saved`: the idempotency layer stores it (it ran)."""

    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        saved: bool = False,
        **extra: Any,
    ):
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message
        self.code, self.param, self.saved, self.extra = code, param, saved, extra


def invalid(message: str, *, param: str | None = None, code: str | None = None, status: int = 400) -> StripeApiError:
    return StripeApiError(status, "invalid_request_error", message, param=param, code=code)


def _int(params: dict[str, Any], name: str, *, param: str | None = None, minimum: int = 1) -> int:
    try:
        value = int(params[name])
    except (KeyError, TypeError, ValueError):
        raise invalid(f"Missing or invalid integer: {param or name}", param=param or name) from None
    if value < minimum:
        raise invalid(f"This value must be greater than or equal to {minimum}.", param=param or name)
    return value


def _currency(value: Any, param: str) -> str:
    code = str(value or "").lower()
    if len(code) != 3 or code in UNSUPPORTED:
        raise invalid(f"Invalid currency: {code}. Stripe currently supports these currencies: …", param=param)
    return code


def _check_amount(amount: int, currency: str, param: str) -> None:
    if currency in THREE_DECIMAL and amount % 10:
        raise invalid(
            f"Invalid amount: {currency.upper()} amounts must be multiples of 10 (the last digit must be 0).",
            param=param,
            code="amount_invalid",
        )


def _metadata(params: dict[str, Any], param: str = "metadata") -> dict[str, str]:
    value = params.get(param) or {}
    if not isinstance(value, dict) or not all(isinstance(v, str) and len(v) <= 500 for v in value.values()):
        raise invalid("Invalid metadata.", param=param)
    return dict(value)


@dataclass
class Account(StripeActivity):
    id: str
    secret_key: str
    publishable_key: str
    webhook_secret: str
    base_url: str
    lock: threading.RLock
    livemode: bool = False
    #: The status our API-created refunds start in ("succeeded", or "pending" to settle later).
    new_refund_status: str = "succeeded"
    #: Whether `charge.refunded` events list the refunds (older API versions did; newer do not).
    charge_refunds_in_events: bool = True
    #: Operations answering 403, as for a restricted key without that permission.
    forbidden: set[str] = field(default_factory=set)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    disputes: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The account's settlement currency and Stripe's rate to it from charges' currencies (None:
    #: every charge settles in its own currency). Disputes' balance transactions are in it.
    settlement: tuple[str, float] | None = None
    available: dict[str, int] = field(default_factory=lambda: {"eur": 0})
    outbox: list[dict[str, Any]] = field(default_factory=list)
    idempotency: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    _intent_data: dict[str, dict[str, Any]] = field(default_factory=dict)

    # -- events ----------------------------------------------------------------------------------

    def _emit(self, event_type: str, obj: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        snapshot = copy.deepcopy(obj)
        if snapshot.get("object") == "charge" and not self.charge_refunds_in_events:
            snapshot.pop("refunds", None)
        event = so.event(event_type, snapshot, livemode=self.livemode, **kwargs)
        self.outbox.append(event)
        return event

    @locked
    def take_events(self, *types: str) -> list[dict[str, Any]]:
        """Remove and return the events Stripe would have sent (only `types`, when given)."""
        taken = [e for e in self.outbox if not types or e["type"] in types]
        self.outbox = [e for e in self.outbox if e not in taken]
        return taken

    # -- API: checkout sessions ------------------------------------------------------------------

    def create_checkout_session(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("mode") != "payment":
            raise invalid("This integration only creates sessions in payment mode.", param="mode")
        if not params.get("success_url"):
            raise invalid("Missing required param: success_url.", param="success_url")
        items = params.get("line_items")
        if not isinstance(items, list) or not items:
            raise invalid("Missing required param: line_items.", param="line_items")
        total, currency = 0, None
        for index, item in enumerate(items):
            prefix = f"line_items[{index}][price_data]"
            price = item.get("price_data") if isinstance(item, dict) else None
            if not isinstance(price, dict) or not (price.get("product_data") or {}).get("name"):
                raise invalid("Each line item needs price_data with product_data[name].", param=prefix)
            item_currency = _currency(price.get("currency"), f"{prefix}[currency]")
            if currency not in (None, item_currency):
                raise invalid("All line items must be in the same currency.", param=f"{prefix}[currency]")
            currency = item_currency
            unit = _int(price, "unit_amount", param=f"{prefix}[unit_amount]")
            _check_amount(unit, item_currency, f"{prefix}[unit_amount]")
            total += unit * _int(item, "quantity", param=f"line_items[{index}][quantity]")
        now = int(time.time())
        expires_at = int(params.get("expires_at") or now + 86400)
        if not now + 1800 - 5 <= expires_at <= now + 86400:
            raise invalid(
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
                param="expires_at",
            )
        reference = params.get("client_reference_id")
        if reference is not None and len(str(reference)) > 200:
            raise invalid("client_reference_id is at most 200 characters.", param="client_reference_id")
        session = so.checkout_session(
            amount_subtotal=total,
            amount_total=total,
            currency=currency,
            cancel_url=params.get("cancel_url"),
            success_url=params["success_url"],
            client_reference_id=reference,
            customer_email=params.get("customer_email"),
            expires_at=expires_at,
            metadata=_metadata(params),
            livemode=self.livemode,
        )
        session["url"] = f"{self.base_url}/checkout/pay/{session['id']}"
        self.sessions[session["id"]] = session
        intent_data = params.get("payment_intent_data") or {}
        self._intent_data[session["id"]] = {
            "metadata": _metadata(intent_data) if isinstance(intent_data, dict) else {},
            "description": intent_data.get("description") if isinstance(intent_data, dict) else None,
        }
        return session

    def _session(self, session_id: str) -> dict[str, Any]:
        try:
            return self.sessions[session_id]
        except KeyError:
            raise invalid(
                f"No such checkout.session: '{session_id}'", param="session", code="resource_missing", status=404
            ) from None

    def retrieve_checkout_session(self, session_id: str, params: dict[str, Any]) -> dict[str, Any]:
        session = copy.deepcopy(self._session(session_id))
        if "payment_intent" in (params.get("expand") or []) and session["payment_intent"]:
            session["payment_intent"] = copy.deepcopy(self.intents[session["payment_intent"]])
        return session

    def expire_checkout_session(self, session_id: str) -> dict[str, Any]:
        session = self._session(session_id)
        if session["status"] != "open":
            raise invalid(
                f"Only Checkout Sessions with a status in [\"open\"] can be expired. This one is {session['status']}."
            )
        session["status"] = "expired"
        if session["payment_intent"]:
            self._cancel_intent(self.intents[session["payment_intent"]], "abandoned")
        self._emit("checkout.session.expired", session)
        return session

    # -- API: payment intents --------------------------------------------------------------------

    def create_payment_intent(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        currency = _currency(params.get("currency"), "currency")
        amount = _int(params, "amount")
        _check_amount(amount, currency, "amount")
        intent = so.payment_intent(
            amount=amount,
            currency=currency,
            description=params.get("description"),
            metadata=_metadata(params),
            receipt_email=params.get("receipt_email"),
            livemode=self.livemode,
            **extra,
        )
        self.intents[intent["id"]] = intent
        self._emit("payment_intent.created", intent)
        return intent

    def _intent(self, intent_id: str) -> dict[str, Any]:
        try:
            return self.intents[intent_id]
        except KeyError:
            raise invalid(
                f"No such payment_intent: '{intent_id}'", param="intent", code="resource_missing", status=404
            ) from None

    def retrieve_payment_intent(self, intent_id: str) -> dict[str, Any]:
        return self._intent(intent_id)

    def cancel_payment_intent(self, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
        intent = self._intent(intent_id)
        if intent["status"] in ("succeeded", "canceled", "processing"):
            raise invalid(
                f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}.",
                code="payment_intent_unexpected_state",
            )
        return self._cancel_intent(intent, params.get("cancellation_reason") or "requested_by_customer")

    def _cancel_intent(self, intent: dict[str, Any], reason: str) -> dict[str, Any]:
        intent.update(status="canceled", canceled_at=int(time.time()), cancellation_reason=reason)
        self._emit("payment_intent.canceled", intent)
        return intent

    # -- API: refunds and balance ----------------------------------------------------------------

    def create_refund(self, params: dict[str, Any], *, metadata: dict[str, str] | None = None) -> dict[str, Any]:
        intent = self._intent(str(params.get("payment_intent") or ""))
        charge = self.charges.get(intent["latest_charge"] or "")
        if intent["status"] != "succeeded" or charge is None:
            raise invalid(
                f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                param="payment_intent",
                code="charge_not_refundable",
            )
        left = charge["amount"] - charge["amount_refunded"]
        amount = _int(params, "amount") if "amount" in params else left
        _check_amount(amount, charge["currency"], "amount")
        if amount > left:
            raise invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                param="amount",
                code="amount_too_large",
            )
        refund = so.refund(
            amount=amount,
            charge=charge["id"],
            currency=charge["currency"],
            payment_intent=intent["id"],
            metadata=_metadata(params) if metadata is None else metadata,
            reason=params.get("reason"),
            status=self.new_refund_status,
        )
        self.refunds[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        charge["refunds"]["data"].insert(0, refund)
        self._emit("refund.created", refund)
        self._emit("charge.refunded", charge)
        return refund

    def retrieve_refund(self, refund_id: str) -> dict[str, Any]:
        if refund_id not in self.refunds:
            raise invalid(f"No such refund: '{refund_id}'", param="id", code="resource_missing", status=404)
        return self.refunds[refund_id]

    def list_refunds(self, params: dict[str, Any]) -> dict[str, Any]:
        """`GET /v1/refunds`: newest first, filtered by `charge` or `payment_intent`, paged as Stripe pages."""
        found = list(reversed(self.refunds.values()))  # made in this order
        for name in ("charge", "payment_intent"):
            if params.get(name):
                found = [r for r in found if r[name] == params[name]]
        after = params.get("starting_after")
        if after:
            ids = [r["id"] for r in found]
            if after not in ids:
                raise invalid(f"No such refund: '{after}'", param="starting_after", code="resource_missing")
            found = found[ids.index(after) + 1 :]
        limit = min(max(int(params.get("limit") or 10), 1), 100)
        return {"object": "list", "data": found[:limit], "has_more": len(found) > limit, "url": "/v1/refunds"}

    def retrieve_dispute(self, dispute_id: str) -> dict[str, Any]:
        if dispute_id not in self.disputes:
            raise invalid(f"No such dispute: '{dispute_id}'", param="dispute", code="resource_missing", status=404)
        return self.disputes[dispute_id]

    def list_disputes(self, params: dict[str, Any]) -> dict[str, Any]:
        """`GET /v1/disputes`: newest first, filtered by `charge` or `payment_intent`, paged as Stripe pages."""
        found = list(reversed(self.disputes.values()))  # opened in this order
        for name in ("charge", "payment_intent"):
            if params.get(name):
                found = [d for d in found if d[name] == params[name]]
        after = params.get("starting_after")
        if after:
            ids = [d["id"] for d in found]
            if after not in ids:
                raise invalid(f"No such dispute: '{after}'", param="starting_after", code="resource_missing")
            found = found[ids.index(after) + 1 :]
        limit = min(max(int(params.get("limit") or 10), 1), 100)
        return {"object": "list", "data": found[:limit], "has_more": len(found) > limit, "url": "/v1/disputes"}

    def retrieve_charge(self, charge_id: str) -> dict[str, Any]:
        """A charge; since API version 2022-11-15 without its refunds unless they are expanded."""
        if charge_id not in self.charges:
            raise invalid(f"No such charge: '{charge_id}'", param="id", code="resource_missing", status=404)
        charge = copy.deepcopy(self.charges[charge_id])
        if not self.charge_refunds_in_events:
            charge.pop("refunds", None)
        return charge

    def retrieve_balance(self) -> dict[str, Any]:
        pending: dict[str, int] = {}
        for charge in self.charges.values():
            if charge["paid"]:
                net = charge["amount"] - charge["amount_refunded"]
                pending[charge["currency"]] = pending.get(charge["currency"], 0) + net
        return so.balance(self.available, pending, livemode=self.livemode)

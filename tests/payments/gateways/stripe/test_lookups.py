"""The look-ups that resolve an event we cannot apply from its own body, against the fake Stripe:

- `complete_event`: a `charge.refunded` that lists no refunds (API versions since 2022-11-15)
  lists the charge's refunds at Stripe, each by its own id;
- `resolve_payment`: an event about an object we cannot match (a dashboard refund arriving before
  the payment's completion) reads our payment id from the PaymentIntent's or charge's metadata;
- faults on each look-up: retried with the SDK's back-off, else a clear `GatewayUnavailable`.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.fakes import stripe_objects as so
from tests.fakes.fake_stripe import Account, FakeStripe
from tests.payments.gateways.stripe.conftest import session_request
from trackify.payments.gateways.errors import GatewayUnavailable, InvalidGatewayRequest
from trackify.payments.gateways.stripe import StripeGateway, api
from trackify.payments.gateways.types import RefundStatus, WebhookEvent

PAYMENT_ID = uuid.uuid4()


@pytest.fixture
def new_api(stripe_account: Account) -> Account:
    """The account answers as API versions since 2022-11-15 do: charges list no refunds."""
    stripe_account.charge_refunds_in_events = False
    return stripe_account


def paid_intent(gateway: StripeGateway, account: Account, amount: int = 12345) -> str:
    """A Checkout payment made through the gateway and paid by the client; its PaymentIntent's id."""
    reference = gateway.create_payment_session(session_request(payment_id=PAYMENT_ID, amount=amount)).gateway_reference
    account.pay_checkout(reference)
    account.take_events()
    return str(account.sessions[reference]["payment_intent"])


def normalized(gateway: StripeGateway, event: dict[str, Any]) -> WebhookEvent:
    return gateway.normalize_event(event)


def test_charge_refunded_alone_lists_each_dashboard_refund_by_its_stripe_id(gateway, new_api: Account) -> None:
    intent_id = paid_intent(gateway, new_api)
    new_api.dashboard_refund(intent_id, 1000)
    events = new_api.dashboard_refund(intent_id, 2345)
    [charge_refunded] = [e for e in events if e["type"] == "charge.refunded"]
    event = normalized(gateway, charge_refunded)
    assert event.incomplete and not event.refund_updates

    completed = gateway.complete_event(event)
    assert not completed.incomplete
    assert completed.is_actionable
    assert sorted((u.gateway_refund_id, u.amount, u.status) for u in completed.refund_updates) == sorted(
        (r["id"], r["amount"], RefundStatus.SUCCEEDED) for r in new_api.refunds.values()
    )
    assert completed.payload == charge_refunded  # what is stored stays what Stripe signed


def test_listing_follows_stripes_pages(gateway, new_api: Account, fake_stripe: FakeStripe, monkeypatch) -> None:
    monkeypatch.setattr(api, "_PAGE_SIZE", 2)
    intent_id = paid_intent(gateway, new_api)
    for _ in range(5):
        events = new_api.dashboard_refund(intent_id, 100)
    completed = gateway.complete_event(normalized(gateway, events[-1]))
    assert {u.gateway_refund_id for u in completed.refund_updates} == set(new_api.refunds)
    assert len(fake_stripe.requests_to("GET", "/v1/refunds")) == 3


def test_a_complete_event_is_not_looked_up(gateway, stripe_account: Account, fake_stripe: FakeStripe) -> None:
    intent_id = paid_intent(gateway, stripe_account)
    events = stripe_account.dashboard_refund(intent_id, 1000)
    event = normalized(gateway, events[-1])
    assert not event.incomplete and len(event.refund_updates) == 1
    assert gateway.complete_event(event) is event
    assert fake_stripe.requests_to("GET", "/v1/refunds") == []


def test_a_dashboard_refund_is_resolved_to_our_payment_by_its_payment_intent(gateway, new_api: Account) -> None:
    intent_id = paid_intent(gateway, new_api)
    refund_created = new_api.dashboard_refund(intent_id, 1000)[0]
    event = normalized(gateway, refund_created)
    assert event.payment_id is None and event.gateway_reference == intent_id
    assert gateway.resolve_payment(event) == PAYMENT_ID


def test_a_charge_without_a_payment_intent_is_resolved_by_its_own_metadata(gateway, stripe_account: Account) -> None:
    charge = so.charge(amount=500, currency="eur", metadata={"trackify_payment_id": str(PAYMENT_ID)})
    stripe_account.charges[charge["id"]] = charge
    refund = so.refund(amount=500, currency="eur", charge=charge["id"])
    assert gateway.resolve_payment(normalized(gateway, so.event("refund.created", refund))) == PAYMENT_ID


def test_an_object_made_outside_trackify_is_provably_not_ours(gateway, stripe_account: Account) -> None:
    intent = stripe_account.create_payment_intent({"amount": "500", "currency": "eur"})
    refund = so.refund(amount=500, currency="eur", payment_intent=intent["id"])
    assert gateway.resolve_payment(normalized(gateway, so.event("refund.created", refund))) is None


# -- faults on the look-ups ----------------------------------------------------------------------

LOOKUPS = {
    "list refunds": ("/v1/refunds", lambda gw, event: gw.complete_event(event)),
    "retrieve payment intent": ("/v1/payment_intents", lambda gw, event: gw.resolve_payment(event)),
}


@pytest.fixture
def refunded(gateway, new_api: Account) -> WebhookEvent:
    """A `charge.refunded` without its list, for a charge refunded once in the dashboard."""
    intent_id = paid_intent(gateway, new_api)
    events = new_api.dashboard_refund(intent_id, 1000)
    return normalized(gateway, events[-1])


def check_answered(gateway: StripeGateway, operation: str, event: WebhookEvent) -> None:
    result = LOOKUPS[operation][1](gateway, event)
    if operation == "list refunds":
        assert len(result.refund_updates) == 1
    else:
        assert result == PAYMENT_ID


@pytest.mark.parametrize("operation", list(LOOKUPS))
@pytest.mark.parametrize(
    "inject",
    [
        lambda fake, path: fake.fail_next(status=500, path=path),
        lambda fake, path: fake.fail_next(status=502, path=path),
        lambda fake, path: fake.fail_next(2, status=503, path=path),
        lambda fake, path: fake.rate_limit_next(should_retry=True, path=path),
        lambda fake, path: fake.drop_next(path=path),
        lambda fake, path: fake.slow_next(seconds=0.3, path=path),
    ],
    ids=["500", "502", "503-twice", "429-lock-timeout", "dropped", "slow"],
)
def test_a_passing_fault_on_a_look_up_is_retried(gateway, fake_stripe, refunded, operation, inject) -> None:
    path = LOOKUPS[operation][0]
    inject(fake_stripe, path)
    check_answered(gateway, operation, refunded)


@pytest.mark.parametrize("operation", list(LOOKUPS))
def test_a_429_with_retry_after_is_unavailable_for_that_long(gateway, fake_stripe, refunded, operation) -> None:
    fake_stripe.rate_limit_next(retry_after=7, path=LOOKUPS[operation][0])
    with pytest.raises(GatewayUnavailable) as raised:
        LOOKUPS[operation][1](gateway, refunded)
    assert raised.value.retry_after == 7
    assert "7 seconds" in raised.value.message
    check_answered(gateway, operation, refunded)  # and the next try, once Stripe lets us, works


@pytest.mark.parametrize("operation", list(LOOKUPS))
@pytest.mark.parametrize(
    "inject",
    [
        lambda fake, path: fake.fail_next(3, status=500, path=path),
        lambda fake, path: fake.fail_next(3, status=502, path=path),
        lambda fake, path: fake.fail_next(3, status=503, path=path),
        lambda fake, path: fake.drop_next(3, path=path),
        lambda fake, path: fake.hang_next(3, seconds=0.5, path=path),
    ],
    ids=["500", "502", "503", "dropped", "timeout"],
)
def test_a_lasting_fault_on_a_look_up_is_gateway_unavailable(
    make_gateway, fake_stripe, refunded, operation, inject, settings
) -> None:
    settings.STRIPE_TIMEOUT_SECONDS = 0.2
    inject(fake_stripe, LOOKUPS[operation][0])
    with pytest.raises(GatewayUnavailable) as raised:
        LOOKUPS[operation][1](make_gateway(), refunded)  # a client made with the short timeout
    assert "try again" in raised.value.message


def test_a_charge_stripe_does_not_know_is_a_clear_refusal(gateway, stripe_account: Account) -> None:
    refund = so.refund(amount=500, currency="eur", charge="ch_unknown")
    with pytest.raises(InvalidGatewayRequest):
        gateway.resolve_payment(normalized(gateway, so.event("refund.created", refund)))


# -- closing a session ---------------------------------------------------------------------------


def lookup_of(reference: str) -> Any:
    from trackify.payments.gateways.types import PaymentLookup

    return PaymentLookup(payment_id=PAYMENT_ID, gateway_reference=reference, amount=12345, currency="EUR")


def test_an_open_checkout_session_is_expired_at_stripe(gateway, stripe_account: Account) -> None:
    reference = gateway.create_payment_session(session_request(payment_id=PAYMENT_ID)).gateway_reference
    assert gateway.expire_session(lookup_of(reference)).status == "expired"
    assert stripe_account.sessions[reference]["status"] == "expired"


def test_a_session_paid_meanwhile_stays_paid(gateway, stripe_account: Account) -> None:
    reference = gateway.create_payment_session(session_request(payment_id=PAYMENT_ID)).gateway_reference
    stripe_account.pay_checkout(reference)
    assert gateway.expire_session(lookup_of(reference)).status == "succeeded"
    assert stripe_account.sessions[reference]["status"] == "complete"

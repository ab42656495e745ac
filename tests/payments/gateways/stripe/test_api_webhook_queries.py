"""What one Stripe webhook delivery costs the database, pinned (Django's query capture, real transactions).

The config's first delivery in a process reads the config; every later one finds it in the
process's cache, which these tests warm first, as production is.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.fakes.fake_stripe import FakeStripe
from tests.payments.gateways.stripe.stripe_api import only, opened, payment, post_delivery, reference_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_sending_in_the_request(settings):
    """The delivery's own work; sending its notifications after the commit is pinned in
    tests/payments/webhooks/test_webhook_queries.py."""
    settings.TRACKIFY_NOTIFY_INLINE_SECONDS = 0


def completed(stripe_account, payment_id):
    [event] = only(stripe_account.pay_checkout(reference_of(payment_id)), "checkout.session.completed")
    return FakeStripe.delivery(event, stripe_account.webhook_secret)


def measured(delivery, config_id):
    with CaptureQueriesContext(connection) as queries:
        response = post_delivery(delivery, config_id)
    assert response.status_code == 200, response.content
    sql = [q["sql"] for q in queries.captured_queries if q["sql"].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
    return response.json()["status"], sql


# The event, its history rows and its notification events are one statement on PostgreSQL, three elsewhere.
_NEW = 5 if connection.vendor == "postgresql" else 7


@pytest.mark.parametrize(
    ("shared_url", "new_event"), [(False, (_NEW, 1)), (True, (_NEW, 3))], ids=["config-url", "shared-url"]
)
def test_a_stripe_delivery_runs_at_most_five_queries_and_its_duplicate_one(
    anon, make_invoice, stripe_config, stripe_account, capsys, shared_url, new_event
) -> None:
    new_event, duplicate = new_event
    warm, paid = (opened(anon, make_invoice())["payment_id"] for _ in range(2))
    assert post_delivery(completed(stripe_account, warm), stripe_config["id"]).status_code == 200
    config_id = None if shared_url else stripe_config["id"]
    delivery = completed(stripe_account, paid)

    status, sql = measured(delivery, config_id)
    assert (status, payment(paid).status) == ("processed", "succeeded")
    assert len(sql) == new_event, sql
    again, duplicate_sql = measured(delivery, config_id)
    assert again == "duplicate"
    # On the config's URL the config's read finds the event done; on the shared URL, which finds the
    # config through the payment, the claim does (after the locking read), and its transaction rolls back.
    assert len(duplicate_sql) == duplicate, duplicate_sql

    url = "/payment/webhook/stripe/" if shared_url else "/payment/webhook/stripe/<config_id>/"
    with capsys.disabled():
        print(f"\n[measure] Stripe delivery to {url} ({connection.vendor}): new event {len(sql)} SQL queries, "
              f"duplicate {len(duplicate_sql)}")

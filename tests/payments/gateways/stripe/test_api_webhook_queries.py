"""What one Stripe webhook delivery costs the database, measured with Django's query capture."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.fakes.fake_stripe import FakeStripe
from tests.payments.gateways.stripe.stripe_api import only, opened, payment, post_delivery, reference_of

pytestmark = pytest.mark.django_db

CEILING = 20


@pytest.mark.parametrize("shared_url", [False, True], ids=["config-url", "shared-url"])
def test_one_stripe_webhook_delivery_runs_a_bounded_number_of_queries(
    anon, invoice, stripe_config, stripe_account, capsys, shared_url: bool
) -> None:
    payment_id = opened(anon, invoice)["payment_id"]
    [event] = only(stripe_account.pay_checkout(reference_of(payment_id)), "checkout.session.completed")
    delivery = FakeStripe.delivery(event, stripe_account.webhook_secret)

    with CaptureQueriesContext(connection) as queries:
        response = post_delivery(delivery, None if shared_url else stripe_config["id"])

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "processed"
    assert payment(payment_id).status == "succeeded"
    count = len(queries.captured_queries)
    url = "/payment/webhook/stripe/" if shared_url else "/payment/webhook/stripe/<config_id>/"
    with capsys.disabled():
        print(f"\n[measure] one Stripe webhook delivery to {url} ({connection.vendor}): {count} SQL queries")
    assert count <= CEILING

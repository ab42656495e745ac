"""A payment polled by 100 clients at once asks its gateway once per interval, under gunicorn."""

from __future__ import annotations

import threading
import urllib.request

import pytest

from tests.payments.gateways.stripe.stripe_api import opened

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def poll_together(url: str, clients: int) -> list[int]:
    barrier = threading.Barrier(clients)
    statuses: list[int] = [0] * clients

    def poll(index: int) -> None:
        barrier.wait()
        with urllib.request.urlopen(url, timeout=60) as response:
            statuses[index] = response.status

    threads = [threading.Thread(target=poll, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def test_one_hundred_clients_polling_one_payment_make_one_gateway_call(
    anon, invoice, stripe_config, fake_stripe, live_trackify
):
    payment_id = opened(anon, invoice)["payment_id"]
    fake_stripe.slow_next(10**6, seconds=0.05)  # a gateway that takes its time widens the race
    before = len(fake_stripe.requests_to("GET", "/v1/checkout/sessions"))

    statuses = poll_together(f"{live_trackify.base}/payment/status/{payment_id}/?token={invoice.public_token}", 100)

    assert statuses == [200] * 100
    assert len(fake_stripe.requests_to("GET", "/v1/checkout/sessions")) - before == 1

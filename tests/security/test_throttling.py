"""Finding 5: throttles answer 429 with Retry-After: public endpoints, signed-in users, rejected webhooks, logins.

The suite runs with very high rates (config/settings/test.py); each test here sets a low one.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.conftest import post_json
from tests.payments.api.conftest import assert_error
from trackify.payments.models import InvoicePayment


@pytest.fixture
def rates(settings):
    def set_rate(scope: str, rate: str) -> None:
        settings.TRACKIFY_THROTTLE_RATES = {**settings.TRACKIFY_THROTTLE_RATES, scope: rate}

    return set_rate


def assert_throttled(response) -> None:
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_wrong_invoice_tokens_are_throttled_per_address(anon, invoice, sandbox_config, rates):
    rates("public_miss", "5/min")
    url = f"/payment/invoice/{invoice.pk}/gateway/"
    for attempt in range(5):
        assert_error(anon.get(url, {"token": f"wrong{attempt}"}), 404)
    assert_throttled(anon.get(url, {"token": "wrong-again"}))
    assert_throttled(anon.get(url, {"token": invoice.public_token}))  # even the right one, for a while
    other_address = Client(REMOTE_ADDR="10.0.0.2")
    assert other_address.get(url, {"token": invoice.public_token}).status_code == 200


@pytest.mark.parametrize("endpoint", ["gateway", "status", "create", "complete"])
def test_every_public_endpoint_is_throttled_per_address(anon, invoice, open_payment, rates, endpoint):
    rates("public_address", "3/min")
    token = {"HTTP_X_INVOICE_TOKEN": invoice.public_token}

    def call():
        if endpoint == "gateway":
            return anon.get(f"/payment/invoice/{invoice.pk}/gateway/", **token)
        if endpoint == "status":
            return anon.get(f"/payment/status/{open_payment.pk}/", **token)
        if endpoint == "create":
            return post_json(anon, "/payment/create-session/", {"invoice_id": str(invoice.pk)}, **token)
        return post_json(anon, f"/payment/sandbox/{open_payment.pk}/complete/", {"outcome": "nope"}, **token)

    for _ in range(3):
        assert call().status_code != 429
    assert_throttled(call())


def test_one_invoice_token_is_throttled_across_addresses(invoice, sandbox_config, rates):
    rates("public_token", "4/min")
    url = f"/payment/invoice/{invoice.pk}/gateway/"
    for address in range(4):
        response = Client(REMOTE_ADDR=f"10.0.1.{address}").get(url, HTTP_X_INVOICE_TOKEN=invoice.public_token)
        assert response.status_code == 200
    assert_throttled(Client(REMOTE_ADDR="10.0.1.99").get(url, HTTP_X_INVOICE_TOKEN=invoice.public_token))


def test_a_throttled_create_session_changes_nothing(anon, invoice, sandbox_config, rates):
    rates("public_address", "1/min")
    body = {"invoice_id": str(invoice.pk), "invoice_token": invoice.public_token}
    assert post_json(anon, "/payment/create-session/", body).status_code == 201
    assert_throttled(post_json(anon, "/payment/create-session/", {**body, "amount": "50.00"}))
    assert InvoicePayment.objects.count() == 1


def test_an_owner_with_a_token_is_not_held_to_the_address_or_token_rates(api, anon, invoice, open_payment, rates):
    """An owner's script reading back its payments from one address: counted per user, not per address."""
    rates("public_address", "120/min")
    rates("public_token", "3/min")
    for _ in range(200):
        assert api.get(f"/payment/status/{open_payment.pk}/").status_code == 200
    for _ in range(5):  # presenting the invoice's token too: still the owner's own count
        response = api.get(f"/payment/invoice/{invoice.pk}/gateway/", HTTP_X_INVOICE_TOKEN=invoice.public_token)
        assert response.status_code == 200
    # The owner's calls filled neither the address's nor the token's bucket: a client paying from the
    # same address gets its own three requests of the token's rate.
    token = {"HTTP_X_INVOICE_TOKEN": invoice.public_token}
    for _ in range(3):
        assert anon.get(f"/payment/invoice/{invoice.pk}/gateway/", **token).status_code == 200
    assert_throttled(anon.get(f"/payment/invoice/{invoice.pk}/gateway/", **token))


@pytest.mark.parametrize("endpoint", ["status", "gateway", "invoices"])
def test_an_owner_past_the_user_rate_is_throttled(api, other_api, invoice, open_payment, rates, endpoint):
    rates("user", "5/min")
    url = {
        "status": f"/payment/status/{open_payment.pk}/",
        "gateway": f"/payment/invoice/{invoice.pk}/gateway/",
        "invoices": "/invoices/",  # an owner-only endpoint
    }[endpoint]
    for _ in range(5):
        assert api.get(url).status_code == 200
    assert_throttled(api.get(url))
    assert other_api.get("/invoices/").status_code == 200  # another user from the same address goes on


def test_anonymous_callers_keep_the_address_rate_whatever_the_user_rate(anon, invoice, sandbox_config, rates):
    rates("public_address", "3/min")
    rates("user", "1/min")
    url = f"/payment/invoice/{invoice.pk}/gateway/"
    for _ in range(3):
        assert anon.get(url, HTTP_X_INVOICE_TOKEN=invoice.public_token).status_code == 200
    assert_throttled(anon.get(url, HTTP_X_INVOICE_TOKEN=invoice.public_token))


def test_rejected_webhook_deliveries_are_throttled_per_config(sandbox_config, open_payment, make_user, rates):
    from trackify.payments.services.gateway_configs import gateway_config_create
    from trackify.sandbox import provider

    rates("webhook_rejected", "3/min")
    url = f"/payment/webhook/sandbox/{sandbox_config.pk}/"
    body = json.dumps({"id": "evt_x", "type": "session.succeeded", "data": {"session": {}}}).encode()
    for _ in range(3):
        response = Client().post(url, data=body, content_type="application/json",
                                 HTTP_TRACKIFY_SANDBOX_SIGNATURE=provider.sign("wrong-secret", body))
        assert_error(response, 400)
    good = provider.sign(sandbox_config.credentials["webhook_secret"], body)
    assert_throttled(Client().post(url, data=body, content_type="application/json",
                                   HTTP_TRACKIFY_SANDBOX_SIGNATURE=good))
    # Another config's deliveries go on.
    other = gateway_config_create(owner=make_user(), gateway_name="sandbox")
    response = Client().post(
        f"/payment/webhook/sandbox/{other.pk}/", data=body, content_type="application/json",
        HTTP_TRACKIFY_SANDBOX_SIGNATURE=provider.sign(other.credentials["webhook_secret"], body),
    )
    assert response.status_code == 200


def test_accepted_webhook_deliveries_are_not_throttled(sandbox_config, open_payment, rates):
    from tests.payments.webhooks.sandbox_events import send

    rates("webhook_rejected", "1/min")
    for status in ("processing", "succeeded", "succeeded"):
        assert send(Client(), open_payment, status).status_code == 200


def _login(client: Client, url: str, username: str, password: str):
    client.get(url)
    return client.post(url, {"username": username, "password": password, "next": "/admin/"})


@pytest.mark.parametrize("url", ["/admin/login/", "/login/"])
def test_login_attempts_are_throttled_in_the_admin_and_the_user_pages(db, rates, url):
    rates("login", "3/hour")
    get_user_model().objects.create_superuser("boss", password="right-password-for-tests")
    client = Client()
    for attempt in range(3):
        assert _login(client, url, "boss", f"wrong-{attempt}").status_code == 200
    blocked = _login(client, url, "boss", "right-password-for-tests")
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    # Another address guessing the same user name is refused too: the count is also per user name.
    assert _login(Client(REMOTE_ADDR="10.0.2.1"), url, "boss", "wrong").status_code == 429
    # Another user from another address logs in.
    get_user_model().objects.create_superuser("other", password="right-password-for-tests")
    other = _login(Client(REMOTE_ADDR="10.0.2.2"), url, "other", "right-password-for-tests")
    assert other.status_code == 302


def test_a_successful_login_is_not_counted(db, rates):
    rates("login", "2/hour")
    get_user_model().objects.create_superuser("boss", password="right-password-for-tests")
    for _ in range(4):
        assert _login(Client(), "/admin/login/", "boss", "right-password-for-tests").status_code == 302


def test_throttle_counters_live_in_redis_when_configured(anon, invoice, sandbox_config, rates, settings):
    """With a Redis cache (CACHE_URL in production), counters are shared by every process."""
    import uuid

    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at 127.0.0.1:6379 ({exc}); the local-memory cache is tested above")
    prefix = f"trackify-test-{uuid.uuid4().hex[:12]}"  # this run's own keys on the shared Redis
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/0", "KEY_PREFIX": prefix}}
    try:
        rates("public_miss", "2/min")
        url = f"/payment/invoice/{invoice.pk}/gateway/"
        for attempt in range(2):
            assert_error(anon.get(url, {"token": f"wrong{attempt}"}), 404)
        assert list(client.scan_iter(f"{prefix}:*"))  # the counter is in Redis
        assert_throttled(anon.get(url, {"token": invoice.public_token}))
    finally:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)


def test_with_local_memory_an_identity_never_counted_here_is_not_looked_up(settings, monkeypatch):
    """The counts of the local-memory cache are this process's own: `wait` for an identity this process
    never counted answers without reading the cache; once counted, it reads and throttles as before."""
    from django.core.cache import cache

    from trackify.common.throttling import FailureCounter

    settings.TRACKIFY_THROTTLE_RATES = {**settings.TRACKIFY_THROTTLE_RATES, "webhook_rejected": "2/min"}
    counter = FailureCounter("webhook_rejected")
    reads = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: reads.append(args[0]) or real_get(*args, **kwargs))
    ident = "config:never-counted-test"
    assert counter.wait(ident) is None
    assert reads == []
    FailureCounter("webhook_rejected").record(ident)  # another instance of the same scope
    FailureCounter("webhook_rejected").record(ident)
    reads.clear()
    assert counter.wait(ident) is not None  # throttled, read from the cache
    assert reads
    counter.clear(ident)


def test_with_a_shared_cache_every_wait_reads_it(settings):
    from trackify.common.throttling import FailureCounter

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert not FailureCounter("webhook_rejected")._never_counted("config:anything")

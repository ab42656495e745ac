"""Outbound webhooks cannot be aimed at what only we can reach (SSRF): checked at registration and at every send."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tests.conftest import post_json
from tests.payments.notifications.receiver import receiving
from trackify.payments.models import NotificationDelivery, WebhookDeliveryAttempt
from trackify.payments.services.notifications import sender
from trackify.payments.services.notifications.destinations import DestinationRefused, check_url
from trackify.payments.services.webhook_endpoints import webhook_endpoint_create

REFUSED = [
    ("https://127.0.0.1/hooks", "loopback"),
    ("https://[::1]/hooks", "loopback"),
    ("https://localhost/hooks", "loopback"),
    ("https://[::ffff:127.0.0.1]/hooks", "loopback"),
    ("https://10.1.2.3/hooks", "private"),
    ("https://172.16.0.1/hooks", "private"),
    ("https://192.168.1.1/hooks", "private"),
    ("https://[fd12:3456::1]/hooks", "private"),
    ("https://169.254.169.254/latest/meta-data/", "metadata"),
    ("https://[fd00:ec2::254]/", "metadata"),
    ("https://100.100.100.200/", "metadata"),
    ("https://169.254.1.1/", "link-local"),
    ("https://[fe80::1]/", "link-local"),
    ("https://224.0.0.1/", "multicast"),
    ("https://0.0.0.0/", "unspecified"),
    ("https://240.0.0.1/", "reserved"),
    ("https://100.64.0.1/", "not a public"),
]


@pytest.fixture
def production(settings: Any) -> None:
    settings.TRACKIFY_WEBHOOKS_ALLOW_LOOPBACK = False


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_non_public_addresses_are_refused(production, url, why):
    with pytest.raises(DestinationRefused, match=why):
        check_url(url)


def test_http_is_refused_in_production(production):
    with pytest.raises(DestinationRefused, match="https"):
        check_url("http://93.184.215.14/hooks")


def test_a_public_https_url_is_allowed(production):
    assert check_url("https://93.184.215.14/hooks") == ["93.184.215.14"]


def test_a_host_with_any_private_address_is_refused(production, monkeypatch):
    def both(host: str, port: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 443)) for a in ("93.184.215.14", "10.0.0.5")]

    monkeypatch.setattr(socket, "getaddrinfo", both)
    with pytest.raises(DestinationRefused, match="private"):
        check_url("https://mixed.example.com/hooks")


def test_unresolvable_hosts_credentials_in_urls_and_other_schemes_are_refused(production):
    for url, why in [("https://no-such-host.invalid/", "cannot be resolved"), ("ftp://93.184.215.14/", "https"),
                     ("https://user:pw@93.184.215.14/", "user name"), ("https:///nohost", "no host")]:
        with pytest.raises(DestinationRefused, match=why):
            check_url(url)


def test_the_development_setting_allows_http_and_loopback_only(settings):
    settings.TRACKIFY_WEBHOOKS_ALLOW_LOOPBACK = True
    assert check_url("http://127.0.0.1:8000/hooks") == ["127.0.0.1"]
    for url in ("http://10.0.0.1/", "http://169.254.169.254/"):
        with pytest.raises(DestinationRefused):
            check_url(url)


@pytest.mark.django_db
def test_registration_refuses_with_a_clear_400(production, api):
    for url in ("http://127.0.0.1:9/hooks", "https://169.254.169.254/", "https://10.0.0.1/"):
        response = post_json(api, "/payment/webhook-endpoints/", {"url": url})
        assert response.status_code == 400, url
        assert "url" in response.content.decode()
    created = post_json(api, "/payment/webhook-endpoints/", {"url": "https://93.184.215.14/hooks"})
    assert created.status_code == 201
    endpoint_id = created.json()["endpoint_id"]
    patched = api.patch(f"/payment/webhook-endpoints/{endpoint_id}/", data='{"url": "https://192.168.0.1/"}',
                        content_type="application/json")
    assert patched.status_code == 400


@pytest.mark.django_db
def test_every_send_checks_again(user, api, settings):
    """Registered while allowed; refused at send once the URL is not (http in production)."""
    with receiving() as receiver:
        endpoint = webhook_endpoint_create(owner=user, url=receiver.url).endpoint
        settings.TRACKIFY_WEBHOOKS_ALLOW_LOOPBACK = False
        post_json(api, f"/payment/webhook-endpoints/{endpoint.pk}/test-event/")
        sender.deliver_due()
        assert receiver.received == []
    delivery = NotificationDelivery.objects.get()
    assert (delivery.status, delivery.last_error) == ("pending", "The URL must start with https://.")
    attempt = WebhookDeliveryAttempt.objects.get()
    assert attempt.status_code is None and attempt.error == delivery.last_error


@pytest.mark.django_db
def test_every_send_checks_what_the_host_resolves_to_now(user, api, monkeypatch):
    """A host that resolved to an allowed address at registration and to a private one later (DNS rebinding)."""
    with receiving() as receiver:
        endpoint = webhook_endpoint_create(owner=user, url=receiver.url.replace("127.0.0.1", "localhost")).endpoint
        real = socket.getaddrinfo

        def rebound(host: str, *args: Any, **kwargs: Any) -> Any:
            if host == "localhost":
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", 80))]
            return real(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", rebound)
        post_json(api, f"/payment/webhook-endpoints/{endpoint.pk}/test-event/")
        sender.deliver_due()
        assert receiver.received == []
    delivery = NotificationDelivery.objects.get()
    assert delivery.last_error == (
        "The host localhost resolves to a private address; webhooks go to public addresses only."
    )


def test_production_cannot_allow_loopback_even_from_the_environment():
    from tests.security.test_production_settings import start

    result = start({"TRACKIFY_WEBHOOKS_ALLOW_LOOPBACK": "1"}, "-c", "import django; django.setup(); "
                   "from django.conf import settings; print(settings.TRACKIFY_WEBHOOKS_ALLOW_LOOPBACK)")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "False"

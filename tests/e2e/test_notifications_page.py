"""The owner's notifications page in Chromium at 390 and 1280 px: e-mail toggles and the reply-to saved and
read back after a reload, a refused reply-to shown on its field; a webhook endpoint added that points at a
real HTTP server started here on 127.0.0.1 (loopback is allowed in the test settings), its secret shown once,
a test event sent, received with a signature that verifies (standardwebhooks) and seen as sent in the
delivery log, then the secret rolled and the next event signed with the new one; a link-local URL (the cloud
metadata service) refused on its field first. Screenshots:
var/test-artifacts/screenshots/notifications-settings-<width>.png and webhook-endpoints-<width>.png."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from tests.conftest import client_for
from tests.e2e.conftest import DESKTOP, PHONE, shoot
from tests.e2e.test_every_page import UNNAMED_CONTROLS


class Receiver:
    """A webhook receiver on 127.0.0.1: it keeps each request (headers and body) and answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"received, thanks")

            def log_message(self, *args: Any) -> None:  # quiet: the test reads what it needs
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/trackify"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def wait_for(self, count: int, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, f"the receiver got {len(self.received)} requests, not {count}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def fits(page: Any, viewport: dict[str, int], name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the notifications page ({name}) scrolls sideways ({width} px)"
    assert page.evaluate(UNNAMED_CONTROLS) == [], f"controls without a name on the notifications page ({name})"
    shoot(page, name)


def open_page(browser: Any, viewport: dict[str, int]) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport=viewport, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def sign_in_to_notifications(page: Any, site: str, user: Any) -> None:
    page.goto(f"{site}/settings/notifications/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw-for-tests-only")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Notifications", level=1).wait_for()
    page.get_by_role("button", name="Save notification settings").wait_for()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_the_owner_turns_e_mails_off_and_sets_a_reply_to(
    browser: Any, site: str, viewport: dict[str, int], user: Any
) -> None:
    context, page, errors = open_page(browser, viewport)
    try:
        sign_in_to_notifications(page, site, user)
        page.get_by_role("link", name="Notifications").wait_for()  # in the owner's navigation
        client_group = page.get_by_role("group", name="To your client", exact=True)
        owner_group = page.get_by_role("group", name="To you", exact=True)
        assert client_group.get_by_role("checkbox").count() == 2
        assert owner_group.get_by_role("checkbox").count() == 7
        client_group.get_by_role("checkbox", name="A receipt when they pay").uncheck()
        owner_group.get_by_role("checkbox", name="A payment failed").uncheck()

        reply_to = page.get_by_label("Reply-to address (optional)")
        reply_to.fill("not an address")
        page.get_by_role("button", name="Save notification settings").click()
        page.get_by_role("alert").get_by_text("Not saved: check the reply-to address.").wait_for()
        assert reply_to.get_attribute("aria-invalid") == "true"
        error_id = reply_to.get_attribute("aria-describedby").split()[-1]
        assert page.locator(f"#{error_id}").inner_text()  # the API's message, tied to the field

        reply_to.fill("billing@studio.example")
        page.get_by_role("button", name="Save notification settings").click()
        page.get_by_role("status").get_by_text("Your notification settings were saved.").wait_for()
        assert reply_to.get_attribute("aria-invalid") is None
        fits(page, viewport, "notifications-settings")

        page.reload()
        page.get_by_role("button", name="Save notification settings").wait_for()
        assert not page.get_by_role("checkbox", name="A receipt when they pay").is_checked()
        assert not page.get_by_role("checkbox", name="A payment failed").is_checked()
        assert page.get_by_role("checkbox", name="A payment was received").is_checked()
        assert page.get_by_label("Reply-to address (optional)").input_value() == "billing@studio.example"
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"

    saved = client_for(user).get("/payment/notification-settings/").json()
    assert saved["reply_to"] == "billing@studio.example"
    assert saved["kinds"]["client_receipt"] is False and saved["kinds"]["owner_payment_failed"] is False
    assert saved["kinds"]["client_refund"] is True


def wait_for_sent(card: Any, page: Any) -> Any:
    """The newest delivery, once it reads "Sent" (the test event is sent right after the request)."""
    newest = card.get_by_role("list", name="Deliveries to").first.locator(":scope > li").first
    for _ in range(20):
        newest.wait_for()
        if newest.locator(".badge").inner_text() == "Sent":
            return newest
        page.wait_for_timeout(500)
        card.get_by_role("button", name="Refresh").click()
    raise AssertionError(f"the test event was not sent: {newest.inner_text()}")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_the_owner_adds_a_webhook_endpoint_sends_it_a_test_event_and_rolls_its_secret(
    browser: Any, site: str, viewport: dict[str, int], user: Any, receiver: Receiver
) -> None:
    context, page, errors = open_page(browser, viewport)
    try:
        sign_in_to_notifications(page, site, user)
        page.get_by_text("No endpoint yet.").wait_for()
        page.get_by_role("button", name="Add an endpoint").click()
        form = page.get_by_role("form", name="Add an endpoint")
        url = form.get_by_label("URL")
        url.fill("http://169.254.169.254/latest/meta-data/")  # the cloud metadata service: refused (SSRF)
        form.get_by_role("button", name="Save endpoint").click()
        form.get_by_role("alert").wait_for()
        assert url.get_attribute("aria-invalid") == "true"
        error_id = url.get_attribute("aria-describedby").split()[-1]
        assert page.locator(f"#{error_id}").inner_text()  # the API's reason, tied to the field
        url.fill(receiver.url)
        form.get_by_label("Description (optional)").fill("Accounting system")
        form.get_by_role("checkbox", name="Dispute opened").uncheck()
        form.get_by_role("button", name="Save endpoint").click()

        notice = page.get_by_role("region", name=f"Signing secret for {receiver.url}")
        secret = notice.get_by_role("textbox", name="Signing secret").input_value()
        assert secret.startswith("whsec_")
        assert "It is shown only now." in notice.inner_text()
        card = page.get_by_role("article", name=receiver.url)
        card.wait_for()
        assert "Dispute opened" not in card.inner_text() and "Payment succeeded" in card.inner_text()
        notice.get_by_role("button", name="I have copied it").click()
        notice.wait_for(state="detached")
        assert secret not in page.content()
        page.reload()
        card.wait_for()
        assert secret not in page.content()  # shown once: the list never holds it

        card.get_by_role("button", name="Send a test event").click()
        card.get_by_role("status").get_by_text("A test event was sent.").wait_for()
        newest = wait_for_sent(card, page)
        assert "HTTP 200" in newest.inner_text()
        assert "received, thanks" in newest.get_by_label("First bytes of the answer").first.inner_text()
        receiver.wait_for(1)
        headers, body = receiver.received[0]
        Webhook(secret).verify(body, headers)  # raises when the signature does not match
        fits(page, viewport, "webhook-endpoints")

        card.get_by_role("button", name="Roll secret").click()
        page.get_by_role("dialog", name="Roll the signing secret?").get_by_role("button", name="Roll secret").click()
        rolled = page.get_by_role("region", name=f"Signing secret for {receiver.url}")
        new_secret = rolled.get_by_role("textbox", name="Signing secret").input_value()
        assert new_secret.startswith("whsec_") and new_secret != secret
        rolled.get_by_role("button", name="I have copied it").click()

        card.get_by_role("button", name="Send a test event").click()
        receiver.wait_for(2)
        headers, body = receiver.received[1]
        Webhook(new_secret).verify(body, headers)

        card.get_by_role("button", name="Disable").click()
        card.get_by_role("button", name="Enable").wait_for()
        card.get_by_role("button", name="Delete").click()
        page.get_by_role("dialog", name="Delete this endpoint?").get_by_role("button", name="Delete").click()
        page.get_by_text(f"The endpoint {receiver.url} was deleted.").wait_for()
        listed = client_for(user).get("/payment/webhook-endpoints/").json()
        assert (listed if isinstance(listed, list) else listed["results"]) == []
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"

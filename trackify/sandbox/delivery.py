"""How the sandbox provider sends its signed events: to the account's public webhook URL.

Like a real provider, it knows nothing of the platform but that URL and the signing secret
(`accounts`). The POST is served in-process (the URL resolved and its view called, as the web
server would) so the demo and the tests need no listening server; the signed request is also
handed back, so a test or a gateway author can deliver it again over HTTP, late, twice, or tampered.
"""

from __future__ import annotations

import logging
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from django.core.handlers.wsgi import WSGIRequest
from django.urls import Resolver404, resolve

from trackify.sandbox import accounts
from trackify.sandbox.signing import SIGNATURE_HEADER, encode_event, sign

logger = logging.getLogger(__name__)


class UnknownAccount(LookupError):
    """No webhook endpoint is known for the account a session belongs to."""


def signed_webhook(account_id: UUID, event: dict[str, Any]) -> dict[str, Any]:
    endpoint = accounts.endpoint_of(account_id)
    if endpoint is None:
        raise UnknownAccount(f"no webhook endpoint for account {account_id}")
    body = encode_event(event)
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(endpoint.webhook_secret, body)}
    return {"url": endpoint.webhook_url, "headers": headers, "body": body.decode()}


def send_event(account_id: UUID, event: dict[str, Any], *, deliver: bool = True) -> dict[str, Any]:
    """Sign an event; deliver it unless told not to. Returns {"delivered", "webhook"}."""
    webhook = signed_webhook(account_id, event)
    delivered = False
    if deliver:
        status, message = _post(webhook)
        delivered = status == 200
        if not delivered:  # a real provider would retry later; we report it
            logger.warning("Sandbox event %s was not accepted: %s %s", event["id"], status, message)
    return {"delivered": delivered, "webhook": webhook}


def _post(webhook: dict[str, Any]) -> tuple[int, str]:
    """POST the signed webhook to its URL's view; answer its status code and error message."""
    url = urlsplit(webhook["url"])
    body = webhook["body"].encode()
    try:
        match = resolve(url.path)
    except Resolver404:
        return 404, "no view at the webhook URL"
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": url.path,
        "SERVER_NAME": url.hostname or "localhost",
        "SERVER_PORT": str(url.port or (443 if url.scheme == "https" else 80)),
        "wsgi.url_scheme": url.scheme or "http",
        "wsgi.input": BytesIO(body),
        "CONTENT_TYPE": webhook["headers"]["Content-Type"],
        "CONTENT_LENGTH": str(len(body)),
        **{
            "HTTP_" + name.upper().replace("-", "_"): value
            for name, value in webhook["headers"].items()
            if name != "Content-Type"
        },
    }
    response = match.func(WSGIRequest(environ), *match.args, **match.kwargs)
    data = getattr(response, "data", None)
    error = data.get("error", {}) if isinstance(data, dict) else {}
    return response.status_code, str(error.get("message", "")) if isinstance(error, dict) else ""

"""How e-mail goes out, from one `EMAIL_URL` (parsed by dj-email-url), never logged.

smtp://user:password@smtp.example.com:587/?tls=True, submission://... (TLS on 587), console: (each
e-mail printed), file:///var/mail/trackify (one file per e-mail), memory:, dummy: (dropped).
`anymail+<esp>://:<api key>@/?<name>=<value>` sends through django-anymail's backend for that
provider (mailgun, sendgrid, brevo, resend...; `pip install django-anymail`): the password becomes
ANYMAIL["<ESP>_API_KEY"], each query parameter ANYMAIL["<ESP>_<NAME>"] (docs/configuration.md).

Only the parsed settings are kept: the URL itself is not a setting, so that no settings dump
(diffsettings, an error page) shows it; the password is EMAIL_HOST_PASSWORD, which error pages hide.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import dj_email_url
from django.core.exceptions import ImproperlyConfigured

ANYMAIL_PREFIX = "anymail+"


def email_settings(url: str) -> dict[str, Any]:
    """The EMAIL_* settings (and ANYMAIL for an anymail URL) that `url` means."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme.startswith(ANYMAIL_PREFIX):
        return _anymail_settings(url, scheme[len(ANYMAIL_PREFIX):])
    if scheme not in dj_email_url.SCHEMES:
        # Never the URL in the message: it may hold a password.
        raise ImproperlyConfigured(
            f"EMAIL_URL: unknown scheme {scheme!r}; use smtp://, submission://, console:, file://, "
            f"memory:, dummy: or anymail+<esp>:// (docs/configuration.md)."
        )
    try:
        parsed = dj_email_url.parse(url)
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL could not be read (a port that is not a number?).") from None
    return {name: value for name, value in parsed.items() if value is not None}


def _anymail_settings(url: str, esp: str) -> dict[str, Any]:
    if not esp.isidentifier():
        raise ImproperlyConfigured("EMAIL_URL: anymail+<esp>:// needs an ESP name such as mailgun.")
    parts = urlsplit(url)
    options = {f"{esp.upper()}_{name.upper()}": value for name, value in parse_qsl(parts.query)}
    if parts.password:
        options[f"{esp.upper()}_API_KEY"] = unquote(parts.password)
    return {"EMAIL_BACKEND": f"anymail.backends.{esp}.EmailBackend", "ANYMAIL": options}

"""Where an outbound webhook may go: a check against server-side request forgery (SSRF).

An owner chooses the URL, and the request leaves from inside our network, so it must not reach what
only we can reach: loopback, private ranges, link-local addresses (the cloud metadata service at
169.254.169.254), the IPv6 equivalents (fd00:ec2::254 is a unique-local address), multicast,
reserved and unspecified addresses. Only https URLs whose host resolves to public addresses only
are allowed. `settings.TRACKIFY_WEBHOOKS_ALLOW_LOOPBACK` (dev and test) also allows http and loopback
addresses, for a receiver on the developer's machine; nothing else.

The URL is checked when it is registered and again before every send, against what its host resolves
to then. What remains: `requests` resolves the host once more when it connects, so a host whose DNS
answer changes between our lookup and its own (DNS rebinding with a near-zero TTL) could still be sent
one request. Closing that needs a connection pinned to the checked address (a custom transport
adapter keeping TLS verification on the host name); the request carries no secret of ours beyond the
signature, and redirects are never followed, so the window is a blind POST of the webhook's body.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

# Named on top of what `ipaddress` calls non-global, so that a change of the standard library's tables
# cannot open them: the metadata services of AWS, GCP and Azure (169.254.169.254), AWS over IPv6, and
# Alibaba's (in the shared 100.64.0.0/10 range).
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)


class DestinationRefused(Exception):
    """The URL may not be sent to; `message` says why (shown to the owner, no secret in it)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def address_refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why this address may not be sent to, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if address in _METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return None if settings.TRACKIFY_WEBHOOKS_ALLOW_LOOPBACK else "a loopback address"
    for flag, words in (
        ("is_unspecified", "an unspecified address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private address"),
    ):
        if getattr(address, flag):
            return words
    if not address.is_global:  # shared (100.64/10), documentation, benchmarking ranges...
        return "not a public address"
    return None


def check_url(url: str) -> list[str]:
    """Refuse (DestinationRefused) a URL webhooks may not go to; returns the addresses its host resolves to.

    Resolved now: called at registration and before every send.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DestinationRefused("The URL is not valid.") from None
    allowed_schemes = ("https", "http") if settings.TRACKIFY_WEBHOOKS_ALLOW_LOOPBACK else ("https",)
    if parts.scheme not in allowed_schemes:
        raise DestinationRefused("The URL must start with https://.")
    if not parts.hostname:
        raise DestinationRefused("The URL has no host.")
    if parts.username or parts.password:
        raise DestinationRefused("The URL may not hold a user name or password.")
    try:
        infos = socket.getaddrinfo(parts.hostname, port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        raise DestinationRefused(f"The host {parts.hostname} cannot be resolved.") from None
    addresses = sorted({str(info[4][0]) for info in infos})
    if not addresses:
        raise DestinationRefused(f"The host {parts.hostname} cannot be resolved.")
    for text in addresses:
        # A scoped IPv6 address (fe80::1%eth0) is link-local; ip_address() does not take the scope.
        refusal = address_refusal(ipaddress.ip_address(text.split("%", 1)[0]))
        if refusal is not None:
            # Every address must be public: a host answering one public and one private address
            # would otherwise reach the private one whenever the connection picks it.
            raise DestinationRefused(f"The host {parts.hostname} resolves to {refusal}; webhooks go to public "
                                     "addresses only.")
    return addresses

"""The fake Stripe server's wire-level pieces: form decoding, the request log, deliveries.

(Its faults are every fake's: `tests.fakes.http.Fault`.)
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field, replace
from typing import Any

from tests.fakes.stripe_state import invalid


def parse_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding to nested dicts and lists (`a[0][b]=1` → {"a": [{"b": "1"}]})."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])*)", key)
        if match is None:
            raise invalid(f"Invalid parameter name: {key}")
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value

    def listify(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        converted = {key: listify(value) for key, value in node.items()}
        if converted and all(key.isdigit() for key in converted):
            return [converted[key] for key in sorted(converted, key=int)]
        return converted

    result: dict[str, Any] = listify(root)
    return result


@dataclass
class LoggedRequest:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str
    account_id: str
    stripe_version: str
    status: int = 0
    replayed: bool = False
    fault: str = ""
    # Set once the fake has acted on the request (whatever the client then receives, or not):
    # a test waits on this instead of sleeping while a hung request finishes.
    processed: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)


@dataclass(frozen=True)
class Delivery:
    """A webhook delivery as Stripe POSTs it: the raw body and its headers."""

    body: bytes
    headers: dict[str, str]
    event: dict[str, Any]

    def django_headers(self) -> dict[str, str]:
        """The headers as keyword arguments for Django's test client."""
        return {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in self.headers.items()}

    def tampered(self) -> Delivery:
        """The same signature over a changed body (the amount raised by one unit)."""
        changed = json.loads(self.body)
        obj = changed["data"]["object"]
        for key in ("amount_total", "amount", "amount_received"):
            if isinstance(obj.get(key), int):
                obj[key] += 1
        body = json.dumps(changed).encode()
        assert body != self.body
        return replace(self, body=body)

"""A value that must not be shown: hidden from repr, str, f-strings, logs and Django's error pages.

`Secret("whsec_…")` prints as `Secret('********')`; only `.reveal()` gives the value, so every use
of the real value is a visible, greppable call. `SecretMapping` does the same for a dict of
credentials: it behaves as a read-only mapping of plain strings, but prints masked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

MASK = "********"


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


class SecretMapping(Mapping[str, str]):
    """Credentials as a read-only mapping whose repr shows the names only."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, str] | None = None):
        self._data = {key: Secret(value) for key, value in (data or {}).items()}

    def __getitem__(self, key: str) -> str:
        return self._data[key].reveal()

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return "SecretMapping({" + ", ".join(f"{key!r}: '{MASK}'" for key in self._data) + "})"

    __str__ = __repr__

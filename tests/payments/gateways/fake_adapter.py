"""What the conformance adapters on our fake servers (tests/fakes/http.py) do alike."""

from __future__ import annotations

import abc

from tests.fakes.http import FakeServer
from trackify.payments.gateways.testing import FaultKind, GatewayAdapter


class FakeServerAdapter(GatewayAdapter):
    """An adapter whose provider is one of our fake servers, `self.fake` (made in `start`).

    The wire's faults are every fake's: "down" drops the connection before the request takes
    effect, "answer_lost" after it did. The other kinds are the provider's own error answers
    (`provider_error`), in its error shape.
    """

    fake: FakeServer

    def fault(self, kind: FaultKind, times: int = 1) -> None:
        if kind == "down":
            self.fake.drop_next(times)
        elif kind == "answer_lost":
            self.fake.drop_next(times, after_processing=True)
        else:
            self.provider_error(kind, times)

    @abc.abstractmethod
    def provider_error(self, kind: FaultKind, times: int) -> None:
        """Make the next `times` requests answer with the provider's error for `kind`."""

    def clear_faults(self) -> None:
        with self.fake.lock:
            self.fake.faults.clear()

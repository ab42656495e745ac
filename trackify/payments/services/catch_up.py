"""Catching up on what webhooks did not tell us, and processing stored events again.

Two plain functions, for the management commands (`payments_catch_up`, `webhook_events_reprocess`)
and for a periodic task (cron, or a Celery beat entry calling them):

- `payments_catch_up`: payments still pending or processing past a threshold are brought up to
  date by asking their gateways, through `payment_refresh_status` (the same ledger path as
  webhooks); sessions past their expiry are closed at the gateway and marked expired; payments
  reserved for a session that was never recorded as opened (the request died while asking the
  gateway; they stopped counting at their `expires_at`) are marked failed; payments with a dispute
  still open are refreshed from their gateway's list of the payment's disputes (`list_disputes`),
  so that a dispute whose events were lost still moves, and closes, in our books; our refunds whose
  gateway never answered (kept pending) are sent again with their idempotency keys.
- `webhook_events_reprocess`: stored events that failed, were deferred, or were left received
  by a process that died, are applied again from their verified payloads.

Both walk the table in keyset pages of primary keys (constant memory, whatever the backlog),
and the catch-up asks gateways from a few worker threads, each with its own database connection.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import Model, QuerySet
from django.utils import timezone

from trackify.payments import state
from trackify.payments.gateways.errors import GatewayError
from trackify.payments.gateways.registry import UnknownGateway, gateway_classes
from trackify.payments.gateways.types import PaymentStatus
from trackify.payments.models import InvoicePayment, PaymentDispute, PaymentWebhookEvent
from trackify.payments.services import ledger
from trackify.payments.services.gateway_configs import gateway_for
from trackify.payments.services.lookups import lookup_for
from trackify.payments.services.open_sessions import sessions_close_on_commit
from trackify.payments.services.refunds import refund_send_unanswered, refunds_unanswered
from trackify.payments.services.sessions import ABANDONED
from trackify.payments.services.status import payment_refresh_status

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (done, total)


def keyset_pages(queryset: QuerySet[Any], *, batch_size: int) -> Iterator[list[Any]]:
    """The primary keys of `queryset`, a page at a time, in key order: never the whole set at once."""
    last: Any = None
    while True:
        page = queryset.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        keys = list(page.values_list("pk", flat=True)[:batch_size])
        if not keys:
            return
        yield keys
        last = keys[-1]


# -- payments whose news never came ---------------------------------------------------------------


@dataclass
class CatchUpSummary:
    total: int = 0
    checked: int = 0
    moved: Counter[str] = field(default_factory=Counter)  # new status -> payments
    closed: int = 0  # sessions past their expiry, closed by us
    released: int = 0  # reservations for sessions never recorded as opened, marked failed
    unchanged: int = 0
    errors: int = 0
    disputed: int = 0  # payments with a dispute still open, at a gateway that reports disputes
    disputes_refreshed: int = 0
    disputes_changed: int = 0
    dispute_errors: int = 0
    # Our refunds whose gateway never answered (kept pending), sent again with their keys.
    refunds_unanswered: Counter[str] = field(default_factory=Counter)  # sent, failed, error, flagged

    @property
    def done(self) -> int:
        return self.checked + self.disputes_refreshed

    def add_dispute_refresh(self, outcome: str) -> None:
        self.disputes_refreshed += 1
        if outcome == "changed":
            self.disputes_changed += 1
        elif outcome == "error":
            self.dispute_errors += 1

    def add(self, outcome: str) -> None:
        self.checked += 1
        kind, _, detail = outcome.partition(":")
        if kind == "moved":
            self.moved[detail] += 1
        elif kind == "closed":
            self.closed += 1
        elif kind == "error":
            self.errors += 1
        else:
            self.unchanged += 1

    def lines(self) -> list[str]:
        moved = ", ".join(f"{count} {status}" for status, count in sorted(self.moved.items())) or "none"
        return [
            f"payments past the threshold: {self.total}, checked: {self.checked}",
            f"moved by their gateway's answer: {sum(self.moved.values())} ({moved})",
            f"sessions past their expiry closed: {self.closed}",
            f"sessions never opened (their request stopped half-way) released: {self.released}",
            f"unchanged: {self.unchanged}, gateway errors: {self.errors}",
            f"open disputes refreshed: {self.disputes_refreshed} of {self.disputed} "
            f"({self.disputes_changed} changed), gateway errors: {self.dispute_errors}",
            "refunds the gateway never answered, sent again: "
            + (", ".join(f"{n} {kind}" for kind, n in sorted(self.refunds_unanswered.items())) or "none"),
        ]


def stale_payments(*, older_than: timedelta) -> QuerySet[InvoicePayment]:
    cutoff = timezone.now() - older_than
    return InvoicePayment.objects.filter(status__in=state.OPEN_STATUSES, created_at__lte=cutoff).exclude(
        gateway_reference=""
    )


def lapsed_reservations() -> QuerySet[InvoicePayment]:
    """Payments reserved for a session whose gateway's answer was never recorded, past their time."""
    return InvoicePayment.objects.filter(
        status=PaymentStatus.PENDING, gateway_reference="", expires_at__lte=timezone.now()
    )


def reservations_release_lapsed(*, batch_size: int = 200) -> int:
    """Mark failed the lapsed reservations (they count against nothing already): no payment stays
    pending for ever because a request died between reserving and recording. Returns how many."""
    released = 0
    for page in keyset_pages(lapsed_reservations(), batch_size=batch_size):
        released += sum(ledger.payment_release_reservation(payment_id, ABANDONED) for payment_id in page)
    return released


def payment_catch_up_one(*, payment_id: UUID) -> str:
    """Ask the gateway about one open payment and apply the answer; close its session if expired.

    Returns "moved:<status>", "closed", "unchanged" or "error".
    """
    payment = InvoicePayment.objects.select_related("config", "invoice").filter(pk=payment_id).first()
    if payment is None or payment.status not in state.OPEN_STATUSES:
        return "unchanged"  # settled meanwhile by a webhook
    before = payment.status
    payment = payment_refresh_status(payment=payment)
    if payment.status != before:
        return f"moved:{payment.status}"
    if payment.status == PaymentStatus.PENDING and payment.expires_at and payment.expires_at <= timezone.now():
        return _close_expired(payment)
    return "unchanged"


def _close_expired(payment: InvoicePayment) -> str:
    """A session nobody paid before its expiry: closed at the gateway, then marked as it stands."""
    try:
        result = gateway_for(payment.config).expire_session(lookup_for(payment))
    except (GatewayError, UnknownGateway) as exc:
        logger.warning("Could not close the session of payment %s: %s", payment.pk, exc)
        return "error"
    results = ledger.payment_apply(payment_id=payment.pk, payment_update=result, source="catch_up")
    sessions_close_on_commit(results, invoice_id=payment.invoice_id, paid=payment.pk)
    status = InvoicePayment.objects.values_list("status", flat=True).get(pk=payment.pk)
    if status == PaymentStatus.PENDING:
        return "unchanged"
    return "closed" if status in (PaymentStatus.EXPIRED, PaymentStatus.CANCELLED) else f"moved:{status}"


def payments_with_open_disputes() -> QuerySet[InvoicePayment]:
    """Payments with a dispute still open, at a gateway that reports disputes (and lists them)."""
    names = [name for name, cls in gateway_classes().items() if cls.capabilities.disputes]
    open_disputes = PaymentDispute.objects.filter(status__in=state.DISPUTE_OPEN)
    return InvoicePayment.objects.filter(gateway_name__in=names, pk__in=open_disputes.values("payment_id"))


def payment_disputes_refresh(*, payment_id: UUID) -> str:
    """Ask the gateway for a payment's disputes as they stand, and merge them into the books.

    The gateway is asked outside any transaction (no row locked meanwhile); the ledger merges the
    reports as it merges webhooks', so a refresh racing a delivery ends the same. Returns "changed",
    "unchanged" or "error" (a gateway error: the dispute stays open for the next run).
    """
    payment = InvoicePayment.objects.select_related("config").filter(pk=payment_id).first()
    if payment is None:
        return "unchanged"
    try:
        updates = gateway_for(payment.config).list_disputes(lookup_for(payment))
    except (GatewayError, UnknownGateway) as exc:
        logger.warning("Could not list the disputes of payment %s: %s", payment.pk, exc)
        return "error"
    if not updates:
        return "unchanged"
    results = ledger.payment_apply(payment_id=payment.pk, dispute_updates=updates, source="catch_up")
    return "changed" if any(result.outcome == ledger.Outcome.APPLIED for result in results) else "unchanged"


def _guarded(work: Callable[[UUID], str], what: str) -> Callable[[UUID], str]:
    """`work` for one key, its trouble logged and counted as "error": one key must not stop the run."""

    def guarded(key: UUID) -> str:
        try:
            return work(key)
        except Exception:
            logger.exception("%s %s failed", what, key)
            return "error"

    return guarded


_catch_up_guarded = _guarded(lambda key: payment_catch_up_one(payment_id=key), "Catch-up of payment")
_refresh_guarded = _guarded(lambda key: payment_disputes_refresh(payment_id=key), "Refreshing the disputes of payment")
_send_again_guarded = _guarded(lambda key: refund_send_unanswered(refund_id=key), "Sending again refund")


def payments_catch_up(
    *,
    older_than: timedelta = timedelta(minutes=15),
    batch_size: int = 200,
    workers: int = 4,
    on_progress: Progress | None = None,
) -> CatchUpSummary:
    """Every payment open for longer than `older_than`: ask its gateway, apply, close if expired.
    Then every payment with a dispute still open: refresh its disputes from its gateway.

    `workers` threads ask gateways at once (1: all in this thread); pages of `batch_size` keys
    feed them through a bounded queue, so memory stays flat whatever the backlog. `on_progress`
    counts both kinds of work against their sum.
    """
    payments, disputed = stale_payments(older_than=older_than), payments_with_open_disputes()
    summary = CatchUpSummary(
        total=payments.count(),
        released=reservations_release_lapsed(batch_size=batch_size),
        disputed=disputed.count(),
    )
    lock = threading.Lock()

    def recorder(add: Callable[[str], None], work: Callable[[UUID], str]) -> Callable[[UUID], None]:
        def handle(payment_id: UUID) -> None:
            outcome = work(payment_id)
            with lock:
                add(outcome)
                if on_progress is not None:
                    on_progress(summary.done, summary.total + summary.disputed)

        return handle

    for page in keyset_pages(refunds_unanswered(older_than=older_than), batch_size=batch_size):  # usually none
        for refund_id in page:
            summary.refunds_unanswered[_send_again_guarded(refund_id)] += 1
    walks = [(payments, recorder(summary.add, _catch_up_guarded))]
    if summary.disputed:  # usually none: no walk then
        walks.append((disputed, recorder(summary.add_dispute_refresh, _refresh_guarded)))
    for queryset, handle in walks:
        pages = keyset_pages(queryset, batch_size=batch_size)
        if workers <= 1:
            for page in pages:
                for payment_id in page:
                    handle(payment_id)
        else:
            _run_in_threads(pages, workers=workers, queue_size=batch_size, handle=handle)
    return summary


_DONE = object()


def _run_in_threads(
    pages: Iterator[list[Any]], *, workers: int, queue_size: int, handle: Callable[[Any], None]
) -> None:
    """Feed keys to `workers` threads through a bounded queue. Each thread has its own database
    connection (Django's are per thread) and closes it when done."""
    tasks: queue.Queue[Any] = queue.Queue(maxsize=max(queue_size, workers))

    def work() -> None:
        try:
            while (key := tasks.get()) is not _DONE:
                handle(key)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, name=f"catch-up-{n}", daemon=True) for n in range(workers)]
    for thread in threads:
        thread.start()
    try:
        for page in pages:
            for key in page:
                tasks.put(key)
    finally:
        for _ in threads:
            tasks.put(_DONE)
        for thread in threads:
            thread.join()


# -- stored events, processed again -----------------------------------------------------------


@dataclass
class ReprocessSummary:
    total: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # processed, ignored, deferred, failed...

    def lines(self) -> list[str]:
        found = ", ".join(f"{count} {status}" for status, count in sorted(self.outcomes.items())) or "nothing to do"
        return [f"stored events to process again: {self.total}", f"now: {found}"]


def events_to_reprocess(*, older_than: timedelta) -> QuerySet[PaymentWebhookEvent]:
    """Failed and deferred events, and events left `received` by a process that died mid-way.

    `older_than` leaves alone the events a delivery is working on right now.
    """
    statuses = [
        PaymentWebhookEvent.Status.FAILED,
        PaymentWebhookEvent.Status.DEFERRED,
        PaymentWebhookEvent.Status.RECEIVED,
    ]
    return PaymentWebhookEvent.objects.filter(status__in=statuses, received_at__lte=timezone.now() - older_than)


def webhook_events_reprocess(
    *, older_than: timedelta = timedelta(minutes=1), batch_size: int = 200, on_progress: Progress | None = None
) -> ReprocessSummary:
    """Apply again every stored event that is not done, oldest key first, one page at a time."""
    events = events_to_reprocess(older_than=older_than)
    summary = ReprocessSummary(total=events.count())
    done = 0
    for page in keyset_pages(events, batch_size=batch_size):
        for row in PaymentWebhookEvent.objects.select_related("config").filter(pk__in=page).order_by("pk"):
            summary.outcomes[_reprocess_guarded(row)] += 1
            done += 1
            if on_progress is not None:
                on_progress(done, summary.total)
    return summary


def _reprocess_guarded(row: Model) -> str:
    from trackify.payments.services.webhooks import webhook_event_reprocess

    assert isinstance(row, PaymentWebhookEvent)
    try:
        return webhook_event_reprocess(event_row=row).status
    except Exception:  # stored as failed again, with its error, by the webhook path
        logger.warning("Stored webhook event #%s failed again", row.pk, exc_info=True)
        return "failed"

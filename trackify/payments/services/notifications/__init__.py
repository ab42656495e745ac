"""Telling people: e-mails to the client and the owner, and signed webhooks to the owner's systems.

A transactional outbox, so that nothing is lost and nothing is sent twice whatever the provider's
webhooks do:

1. `outbox`: the ledger records a `NotificationEvent` in the same transaction as the change that
   causes it, under a unique key (type, object, state). A duplicate or reordered webhook finds the
   key taken; a crash before the commit leaves nothing.
2. `sender`: after the commit (the request's `on_commit` in the embedded default, a Celery task in
   async mode, `manage.py notifications_deliver` from cron), each event is fanned out by the
   channels (`channels`) into `NotificationDelivery` rows, unique per (event, channel, kind,
   target), and each due delivery is taken with `SELECT … FOR UPDATE SKIP LOCKED`, sent, and marked
   sent, or retried with exponential back-off, or marked failed after the channel's last attempt.
"""

"""The authorization matrix: every endpoint by {owner, another user, anonymous, right token, wrong token}.

Each cell states the expected status; every answer to someone other than the owner is searched
for the owner's private data (another invoice, the configs' ids and secrets, the client's e-mail).
Unknown and forbidden answer the same 404, so that ids cannot be probed. The figures are written
to var/authorization-matrix.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.test import Client

from tests.conftest import client_for
from tests.payments.api.conftest import create_session, pay
from tests.payments.disputes import report_dispute

ACTORS = ["owner", "other", "anonymous", "right_token", "wrong_token"]
# (method, url template, body, expected status per actor, in ACTORS order)
MATRIX: list[tuple[str, str, dict[str, Any] | None, tuple[int, ...]]] = [
    ("get", "/invoices/", None, (200, 200, 403, 403, 403)),
    ("get", "/invoices/{invoice}/", None, (200, 404, 403, 403, 403)),
    ("get", "/payment/gateway-types/", None, (200, 200, 403, 403, 403)),
    ("get", "/payment/gateways/", None, (200, 200, 403, 403, 403)),
    ("get", "/payment/gateways/{config}/", None, (200, 404, 403, 403, 403)),
    ("patch", "/payment/gateways/{config}/", {"display_name": "Renamed"}, (200, 404, 403, 403, 403)),
    ("post", "/payment/gateways/{config}/default/", None, (200, 404, 403, 403, 403)),
    ("post", "/payment/gateways/{config}/test-connection/", None, (200, 404, 403, 403, 403)),
    ("delete", "/payment/gateways/{spare_config}/", None, (204, 404, 403, 403, 403)),
    ("get", "/payment/invoice/{invoice}/gateway/", None, (200, 404, 404, 200, 404)),
    # The open session of 10.00 is reused (200) by whoever may pay the invoice.
    ("post", "/payment/create-session/", {"invoice_id": "{invoice}", "amount": "10.00"}, (200, 404, 404, 200, 404)),
    ("get", "/payment/status/{pending}/", None, (200, 404, 404, 200, 404)),
    ("post", "/payment/sandbox/{pending}/complete/", {"outcome": "processing"}, (409, 404, 404, 200, 404)),
    ("post", "/payment/{paid}/refund/", {"amount": "1.00"}, (201, 404, 403, 403, 403)),
    ("get", "/payment/gateways/{config}/webhook-health/", None, (200, 404, 403, 403, 403)),
    # Lists answer another user with their own (empty) list: nothing of the owner's shows in it.
    ("get", "/payment/payments/", None, (200, 200, 403, 403, 403)),
    ("get", "/payment/payments/{disputed}/", None, (200, 404, 403, 403, 403)),
    ("get", "/payment/disputes/", None, (200, 200, 403, 403, 403)),
    ("get", "/payment/disputes/?open=true", None, (200, 200, 403, 403, 403)),
    ("get", "/payment/disputes/?needs_response=true", None, (200, 200, 403, 403, 403)),
    # Each user reads and changes their own settings: another user gets theirs, never the owner's.
    ("get", "/payment/notification-settings/", None, (200, 200, 403, 403, 403)),
    ("patch", "/payment/notification-settings/", {"kinds": {"owner_refund": False}}, (200, 200, 403, 403, 403)),
    ("get", "/payment/notification-emails/", None, (200, 200, 403, 403, 403)),
    # Webhook endpoints: another user lists and creates their own; the owner's answer 404 to them.
    ("get", "/payment/webhook-endpoints/", None, (200, 200, 403, 403, 403)),
    ("post", "/payment/webhook-endpoints/", {"url": "http://127.0.0.1:9/other"}, (201, 201, 403, 403, 403)),
    ("get", "/payment/webhook-endpoints/{endpoint}/", None, (200, 404, 403, 403, 403)),
    ("patch", "/payment/webhook-endpoints/{endpoint}/", {"description": "Renamed"}, (200, 404, 403, 403, 403)),
    ("post", "/payment/webhook-endpoints/{endpoint}/roll-secret/", None, (200, 404, 403, 403, 403)),
    ("get", "/payment/webhook-endpoints/{endpoint}/deliveries/", None, (200, 404, 403, 403, 403)),
    ("post", "/payment/webhook-endpoints/{endpoint}/test-event/", None, (202, 404, 403, 403, 403)),
    ("post", "/payment/webhook-endpoints/{endpoint}/deliveries/{delivery}/send-again/", None,
     (202, 404, 403, 403, 403)),
    ("delete", "/payment/webhook-endpoints/{spare_endpoint}/", None, (204, 404, 403, 403, 403)),
]
# The owner goes last in each row, so that a refused caller's attempt meets the same state.
ORDER = ["other", "anonymous", "wrong_token", "right_token", "owner"]


def _client(actor: str, clients: dict[str, Client], token: str) -> tuple[Client, dict[str, str]]:
    if actor == "right_token":
        return clients["anonymous"], {"HTTP_X_INVOICE_TOKEN": token}
    if actor == "wrong_token":
        return clients["anonymous"], {"HTTP_X_INVOICE_TOKEN": "A" * 43}
    return clients[actor], {}


def test_every_endpoint_answers_each_caller_as_expected_and_leaks_nothing(
    user, other_user, make_invoice, sandbox_config, api
):
    from trackify.payments.services.gateway_configs import gateway_config_create
    from trackify.payments.services.webhook_endpoints import webhook_endpoint_create, webhook_endpoint_send_test

    # A user name no answer holds by chance ("owner" is in e-mail kind names such as owner_refund).
    user.username = "owner-of-everything-private"
    user.save(update_fields=["username"])
    invoice = make_invoice(allow_partial_payment=True)
    paid_payment_id = pay(api, invoice, amount="20.00")
    pending = create_session(api, invoice, amount="10.00")
    assert pending.status_code == 201
    pending_payment_id = pending.json()["payment_id"]
    private_invoice = make_invoice(number="PRIVATE-0042", client_email="private-client@example.org")
    spare = gateway_config_create(owner=user, gateway_name="sandbox", display_name="Spare")
    # A disputed payment of another invoice (a refund of `paid` must stay possible).
    disputed_invoice = make_invoice(number="DISPUTED-0077")
    disputed_payment_id = pay(api, disputed_invoice)
    dispute = report_dispute(disputed_payment_id, gateway_dispute_id="dp_private_0077")
    # A webhook endpoint with a delivery (to a closed port: it fails, and is sent again), and a spare to delete.
    hook = webhook_endpoint_create(owner=user, url="http://127.0.0.1:9/private-hooks", description="Private ERP")
    spare_hook = webhook_endpoint_create(owner=user, url="http://127.0.0.1:9/spare").endpoint
    delivery = webhook_endpoint_send_test(endpoint=hook.endpoint)
    ids = {"invoice": invoice.pk, "endpoint": hook.endpoint.pk, "spare_endpoint": spare_hook.pk,
           "delivery": delivery.pk, "config": sandbox_config.pk, "spare_config": spare.pk,
           "pending": pending_payment_id, "paid": paid_payment_id, "disputed": disputed_payment_id}
    private = [private_invoice.number, str(private_invoice.pk), private_invoice.public_token,
               "private-client@example.org", str(sandbox_config.pk), str(spare.pk), user.username,
               sandbox_config.credentials["webhook_secret"], disputed_invoice.number, disputed_payment_id,
               str(dispute.pk), dispute.gateway_dispute_id, paid_payment_id, hook.secret, str(hook.endpoint.pk),
               "private-hooks", "Private ERP", str(delivery.pk)]
    # What the pay-link holder may see of their own invoice, but nobody else may.
    invoice_private = [invoice.client_email, invoice.public_token]
    clients = {"owner": client_for(user), "other": client_for(other_user), "anonymous": Client()}
    violations: list[str] = []
    requests = 0
    for method, template, body, expected in MATRIX:
        url = template.format(**ids)
        for actor in ORDER:
            client, headers = _client(actor, clients, invoice.public_token)
            data = json.dumps(body).replace("{invoice}", str(invoice.pk)) if body else None
            response = getattr(client, method)(url, data=data, content_type="application/json", **headers)
            requests += 1
            want = expected[ACTORS.index(actor)]
            if response.status_code != want:
                violations.append(f"{method.upper()} {template} as {actor}: {response.status_code}, expected {want}")
            if actor != "owner":
                content = response.content.decode()
                secrets = private + (invoice_private if actor != "right_token" else [])
                if actor == "right_token" and template.startswith("/payment/sandbox/"):
                    # The sandbox's test API hands the payer the signed webhook it sent, whose URL names
                    # the config: an id that grants nothing without the config's signing secret.
                    secrets.remove(str(sandbox_config.pk))
                if actor == "right_token" and template == "/payment/invoice/{invoice}/gateway/":
                    # The gateways the payer may choose between are named by their config ids (what
                    # create-session takes): ids that grant nothing, as above.
                    secrets = [item for item in secrets if item not in (str(sandbox_config.pk), str(spare.pk))]
                violations += [f"{method.upper()} {template} as {actor} shows {item!r}" for item in secrets
                               if item in content]
    figures = {"endpoints": len(MATRIX), "actors": len(ACTORS), "requests": requests, "violations": len(violations)}
    out = Path(__file__).resolve().parents[2] / "var"
    out.mkdir(exist_ok=True)
    (out / "authorization-matrix.json").write_text(json.dumps(figures, indent=2))
    print(f"authorization matrix: {figures}")
    assert not violations, "\n".join(violations)

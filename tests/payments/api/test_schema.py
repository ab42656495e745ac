"""The OpenAPI schema documents every endpoint, and the interactive docs answer."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

EXPECTED_OPERATIONS = {
    ("/invoices/", "get"),
    ("/invoices/", "post"),
    ("/invoices/{invoice_id}/", "get"),
    ("/payment/gateway-types/", "get"),
    ("/payment/gateways/", "get"),
    ("/payment/gateways/", "post"),
    ("/payment/gateways/{config_id}/", "get"),
    ("/payment/gateways/{config_id}/", "patch"),
    ("/payment/gateways/{config_id}/", "delete"),
    ("/payment/gateways/{config_id}/default/", "post"),
    ("/payment/gateways/{config_id}/test-connection/", "post"),
    ("/payment/create-session/", "post"),
    ("/payment/status/{payment_id}/", "get"),
    ("/payment/invoice/{invoice_id}/gateway/", "get"),
    ("/payment/{payment_id}/refund/", "post"),
    ("/payment/payments/", "get"),
    ("/payment/payments/{payment_id}/", "get"),
    ("/payment/disputes/", "get"),
    ("/payment/gateways/{config_id}/webhook-health/", "get"),
    ("/payment/webhook/{gateway_name}/", "post"),
    ("/payment/webhook/{gateway_name}/{config_id}/", "post"),
    ("/payment/sandbox/{payment_id}/complete/", "post"),
    ("/payment/sandbox/{payment_id}/dispute/", "post"),
    ("/payment/notification-settings/", "get"),
    ("/payment/notification-settings/", "patch"),
    ("/payment/notification-emails/", "get"),
    ("/payment/notification-emails/{delivery_id}/send-again/", "post"),
    ("/payment/webhook-endpoints/", "get"),
    ("/payment/webhook-endpoints/", "post"),
    ("/payment/webhook-endpoints/{endpoint_id}/", "get"),
    ("/payment/webhook-endpoints/{endpoint_id}/", "patch"),
    ("/payment/webhook-endpoints/{endpoint_id}/", "delete"),
    ("/payment/webhook-endpoints/{endpoint_id}/roll-secret/", "post"),
    ("/payment/webhook-endpoints/{endpoint_id}/deliveries/", "get"),
    ("/payment/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/send-again/", "post"),
    ("/payment/webhook-endpoints/{endpoint_id}/test-event/", "post"),
}


@pytest.fixture
def schema(anon):
    response = anon.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_schema_renders_as_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Trackify Payments API"


def test_the_schema_lists_every_endpoint(schema):
    documented = {(path, method) for path, item in schema["paths"].items() for method in item if method != "parameters"}
    missing = EXPECTED_OPERATIONS - documented
    assert not missing, missing


def test_amounts_are_documented_as_strings(schema):
    session = schema["components"]["schemas"]["PaymentSession"]
    assert session["properties"]["amount"]["type"] == "string"
    status = schema["components"]["schemas"]["PaymentStatus"]
    assert status["properties"]["refunded_amount"]["type"] == "string"


def test_credentials_are_write_only_in_the_schema(schema):
    components = schema["components"]["schemas"]
    create_request = next(v for k, v in components.items() if k.startswith("GatewayConfigCreate"))
    assert "credentials" in create_request["properties"]
    config = components["GatewayConfig"]
    assert config["properties"]["credentials"].get("readOnly") is True


def test_the_yaml_schema_renders_too(anon):
    response = anon.get("/api/schema/")
    assert response.status_code == 200
    assert b"openapi: 3" in response.content


def test_the_interactive_docs_answer(anon):
    response = anon.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_every_operation_documents_the_database_outage_answer(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            unavailable = operation["responses"].get("503")
            assert unavailable is not None, (path, method)
            assert "database is unavailable" in unavailable["description"], (path, method)
            assert "Retry-After" in unavailable["headers"], (path, method)
            assert unavailable["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_payments_list_documents_its_paging_filter_and_search(schema):
    operation = schema["paths"]["/payment/payments/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"page", "page_size", "status", "q"}
    listed = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert listed.endswith("/PaginatedOwnerPaymentList")


def test_the_disputes_list_documents_its_paging_and_filters(schema):
    operation = schema["paths"]["/payment/disputes/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) >= {"page", "page_size", "open", "needs_response"}
    flag = {"type": "string", "enum": ["true", "false", ""]}  # blank: no filter, as the payments list's status
    assert parameters["open"]["schema"] == parameters["needs_response"]["schema"] == flag
    assert parameters["open"]["description"] and parameters["needs_response"]["description"]
    listed = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert listed.endswith("/PaginatedDisputeList")


def test_a_dispute_is_documented_field_by_field_with_its_status_values(schema):
    from trackify.payments.gateways.types import DisputeStatus

    components = schema["components"]["schemas"]
    dispute = components["Dispute"]["properties"]
    assert set(dispute) == {
        "dispute_id", "payment_id", "invoice_id", "invoice_number", "client_name", "gateway", "gateway_display_name",
        "gateway_dispute_id", "amount", "currency", "reason", "status", "is_inquiry", "needs_response",
        "evidence_due_by", "days_left", "withdrawn_amount", "reinstated_amount", "held_amount", "dashboard_url",
        "created_at", "closed_at",
    }  # fmt: skip
    assert components["DisputeStatusEnum"]["enum"] == [s.value for s in DisputeStatus]
    assert dispute["status"]["allOf"] == [{"$ref": "#/components/schemas/DisputeStatusEnum"}]
    assert (dispute["days_left"]["type"], dispute["days_left"]["nullable"]) == ("integer", True)
    assert dispute["held_amount"]["type"] == "string"
    timeline = components["PaymentTimeline"]["properties"]
    assert timeline["disputes"]["items"] == {"$ref": "#/components/schemas/TimelineDispute"}
    assert "changes" in components["TimelineDispute"]["properties"]
    assert timeline["refund_blocked_reason"]["type"] == "string"
    row = components["OwnerPayment"]["properties"]
    assert (row["disputed_amount"]["type"], row["open_disputes"]["type"]) == ("string", "integer")
    health = components["WebhookHealth"]["properties"]
    assert health["disputes_needing_response"]["type"] == "integer"
    assert health["nearest_dispute_deadline"]["nullable"] is True

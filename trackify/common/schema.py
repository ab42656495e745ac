"""OpenAPI descriptions drf-spectacular cannot infer by itself. Imported by PaymentsConfig.ready()."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class AnonymousCsrfCheckScheme(OpenApiAuthenticationExtension):
    target_class = "trackify.common.authentication.AnonymousCsrfCheck"
    name = "csrfToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-CSRFToken",
            "description": "Browsers without a session send the csrftoken cookie's value on unsafe methods.",
        }


# -- the error responses of every operation ---------------------------------------------------------

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error the API answers: a stable code and a message fit to show.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "not_found"},
                "message": {"type": "string", "example": "No such invoice."},
                "field": {"type": "string", "description": "The input field the error is about, when one is."},
                "fields": {"description": "Per-field validation messages, when the input did not validate."},
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}

_WHY = {
    "400": "The input is malformed or not acceptable (a JSON parse error, a validation error).",
    "401": "The credentials given are not valid.",
    "402": "The gateway declined the payment.",
    "403": "Not authenticated, or a CSRF check failed (browsers without a session, on unsafe methods).",
    "404": "Unknown, or not yours (both answer the same), or a wrong invoice token.",
    "405": "The method is not allowed here.",
    "406": "The Accept header asks for something other than JSON.",
    "409": "The request contradicts the current state (already paid, idempotency key reused...).",
    "413": "The body is larger than allowed.",
    "415": "The body is not JSON.",
    "429": "Too many requests: try again after the Retry-After header's seconds.",
    "502": "The payment gateway answered with an error.",
    "503": "The database is unavailable; retry after Retry-After seconds.",
}
_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}}
_GATEWAY_CALLERS = ("create-session", "refund", "test-connection", "status", "gateway/", "default/")


def _codes_for(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    public = {} in operation.get("security", [{}])
    codes = ["400", "404", "405", "406", "429", "503"]
    codes += ["403"] if public else ["401", "403"]
    if method in ("post", "put", "patch", "delete"):
        codes += ["403", "409", "413", "415"]
    if any(part in path for part in _GATEWAY_CALLERS):
        codes += ["402", "502"]
    return sorted(set(codes))


def document_errors(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: each operation lists its error statuses with the Error shape.

    A status the operation documents already (the webhook's own descriptions) keeps its description.
    """
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code in _codes_for(path, method, operation):
                responses.setdefault(code, {"description": _WHY[code]})
            for code, response in responses.items():
                if code[0] in "45":
                    response.setdefault("description", _WHY.get(code, "An error."))
                    response["content"] = {"application/json": {"schema": ref}}
                    if code in ("429", "503"):
                        response["headers"] = _RETRY_AFTER
    return result

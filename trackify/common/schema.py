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

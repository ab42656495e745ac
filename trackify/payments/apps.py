from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "trackify.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from trackify.common import schema  # noqa: F401 - registers OpenAPI extensions

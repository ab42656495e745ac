from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "trackify.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from trackify.common import schema  # noqa: F401 - registers OpenAPI extensions
        from trackify.payments import checks  # registers the system checks
        from trackify.payments.services.sandbox_accounts import sandbox_account_endpoint
        from trackify.sandbox import accounts

        accounts.register_directory(sandbox_account_endpoint)
        checks.warn_at_start()

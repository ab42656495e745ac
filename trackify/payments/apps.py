from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "trackify.payments"
    label = "payments"
    verbose_name = "Payments"

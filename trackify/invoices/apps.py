from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "trackify.invoices"
    label = "invoices"
    verbose_name = "Invoices"

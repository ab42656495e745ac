from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "trackify.web"
    label = "web"
    verbose_name = "Public pages"

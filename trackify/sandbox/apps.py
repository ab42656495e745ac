from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "trackify.sandbox"
    label = "sandbox"
    verbose_name = "Sandbox payment provider (simulated)"

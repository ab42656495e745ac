"""The admin's gateway configuration form: one field per credential of the gateway.

Secret credentials are password inputs that never show the stored value; left empty, the stored value
is kept. Other credentials are plain inputs showing what is stored.
"""

from __future__ import annotations

from typing import Any

from django import forms

from trackify.common.errors import TrackifyError
from trackify.payments.gateways.base import PaymentGatewayBase
from trackify.payments.gateways.registry import gateway_classes
from trackify.payments.labels import FLOW
from trackify.payments.models import PaymentGatewayConfig
from trackify.payments.services import gateway_configs as config_services

PREFIX = "credential__"


def credential_key(gateway_name: str, credential: str) -> str:
    return f"{PREFIX}{gateway_name}__{credential}"


def credential_fields(config: PaymentGatewayConfig | None) -> dict[str, forms.Field]:
    """Form fields for the credentials of the config's gateway, or of every gateway on a new config."""
    classes = gateway_classes()
    if config is not None:
        classes = {name: cls for name, cls in classes.items() if name == config.gateway_name}
    stored = config.credentials if config is not None else {}
    fields: dict[str, forms.Field] = {}
    for name, cls in classes.items():
        for spec in cls.credential_fields:
            label = spec.label if config is not None else f"{cls.display_name}: {spec.label}"
            fields[credential_key(name, spec.name)] = _field(spec, label, has_stored=bool(stored.get(spec.name)))
    return fields


def _field(spec: Any, label: str, *, has_stored: bool) -> forms.Field:
    if spec.secret:
        keep = "A value is stored: leave empty to keep it. " if has_stored else ""
        widget: forms.Widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
        return forms.CharField(required=False, label=label, widget=widget, help_text=keep + spec.help_text, strip=True)
    widget = forms.TextInput(attrs={"autocomplete": "off", "size": 60})
    return forms.CharField(required=False, label=label, widget=widget, help_text=spec.help_text, strip=True)


class GatewayConfigForm(forms.ModelForm):
    gateway_name = forms.ChoiceField(choices=[])

    class Meta:
        model = PaymentGatewayConfig
        fields = ["owner", "gateway_name", "display_name", "flow", "test_mode", "is_default", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = [(name, cls.display_name) for name, cls in gateway_classes().items()]
        self.fields["gateway_name"].choices = choices  # type: ignore[attr-defined]
        self.fields["flow"].choices = [(str(value), text) for value, text in FLOW.items()]  # type: ignore[attr-defined]
        if not self.instance._state.adding:  # a UUID pk is set even before the first save
            self.fields["gateway_name"].disabled = True
            self.fields["owner"].disabled = True
            secret = _secret_names(self.instance.gateway_name)
            for name, value in self.instance.credentials.items():
                key = credential_key(self.instance.gateway_name, name)
                if key in self.fields and name not in secret:
                    self.initial[key] = value

    def new_credentials(self, gateway_name: str) -> dict[str, str]:
        """The values typed for this gateway's credentials. An empty secret keeps what is stored (its
        input never shows it); an empty plain field that held a value clears it (its input showed it)."""
        prefix = f"{PREFIX}{gateway_name}__"
        secret = _secret_names(gateway_name)
        stored = {} if self.instance._state.adding else self.instance.credentials
        typed = {key.removeprefix(prefix): value for key, value in self.cleaned_data.items() if key.startswith(prefix)}
        return {name: value for name, value in typed.items() if value or (name not in secret and stored.get(name))}

    def clean(self) -> dict[str, Any]:
        """Run the service's own checks now, so a bad value is a form error, not a failed save."""
        data = super().clean() or {}
        gateway_name = data.get("gateway_name") or self.instance.gateway_name
        if gateway_name:
            data["new_credentials"] = self.new_credentials(gateway_name)
            stored = {} if self.instance._state.adding else self.instance.credentials
            try:
                config_services.gateway_config_check(
                    gateway_name=gateway_name,
                    credentials={**stored, **data["new_credentials"]},
                    test_mode=data.get("test_mode", True),
                    flow=data.get("flow") or "redirect",
                )
            except TrackifyError as exc:
                key = credential_key(gateway_name, exc.field) if exc.field else None
                if key and key in self.fields:
                    self.add_error(key, exc.message)
                else:
                    raise forms.ValidationError(exc.message) from exc
        return data


def _secret_names(gateway_name: str) -> set[str]:
    cls: type[PaymentGatewayBase] | None = gateway_classes().get(gateway_name)
    return {spec.name for spec in cls.credential_fields if spec.secret} if cls else set()

"""The Stripe credential form and its checks. Pure: no call to Stripe (that is `test_connection`).

Error messages name the field and the expected form, never the value that was given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from trackify.common.errors import ValidationFailed
from trackify.payments.gateways.base import refuse_live_mode_where_test_only
from trackify.payments.gateways.types import CredentialField

SECRET_KEY = "secret_key"
PUBLISHABLE_KEY = "publishable_key"
WEBHOOK_SECRET = "webhook_secret"

CREDENTIAL_FIELDS: tuple[CredentialField, ...] = (
    CredentialField(
        name=SECRET_KEY,
        label="Secret key",
        help_text="sk_test_… or sk_live_…, or a restricted key rk_…, from Developers → API keys.",
    ),
    CredentialField(
        name=PUBLISHABLE_KEY,
        label="Publishable key",
        secret=False,
        help_text="pk_test_… or pk_live_…; the browser of the person paying sees it.",
    ),
    CredentialField(
        name=WEBHOOK_SECRET,
        label="Webhook signing secret",
        required=False,
        help_text=(
            "whsec_…, shown by Stripe for the webhook endpoint you create for this configuration's "
            "webhook URL (or printed by `stripe listen`). Payments are confirmed only once it is set."
        ),
    ),
)

Mode = Literal["test", "live"]

_SECRET_KEY = re.compile(r"^(?:sk|rk)_(test|live)_[A-Za-z0-9]{10,250}$")
_PUBLISHABLE_KEY = re.compile(r"^pk_(test|live)_[A-Za-z0-9]{10,250}$")
_WEBHOOK_SECRET = re.compile(r"^whsec_[A-Za-z0-9+/=]{10,250}$")


def key_mode(key: str) -> Mode | None:
    """"test" or "live" for a secret, restricted or publishable key; None for anything else."""
    match = _SECRET_KEY.match(key) or _PUBLISHABLE_KEY.match(key)
    if match is None:
        return None
    return "test" if match.group(1) == "test" else "live"


def _mix_up(value: str) -> str:
    """A hint when a value belongs in another field (a common slip when pasting keys)."""
    if value.startswith("pk_"):
        return " This looks like a publishable key (pk_…)."
    if value.startswith(("sk_", "rk_")):
        return " This looks like a secret key; it belongs in the secret key field."
    if value.startswith("whsec_"):
        return " This looks like a webhook signing secret (whsec_…)."
    return ""


def _check_forms(secret: str, publishable: str, webhook_secret: str) -> None:
    """Each key has the form of its kind (a mixed-up key is named as what it looks like)."""
    if not _SECRET_KEY.match(secret):
        hint = "" if secret.startswith(("sk_", "rk_")) else _mix_up(secret)
        raise ValidationFailed(
            f"The secret key must look like sk_test_…, sk_live_… or rk_test_…/rk_live_….{hint}",
            field=SECRET_KEY,
        )
    if not _PUBLISHABLE_KEY.match(publishable):
        hint = "" if publishable.startswith("pk_") else _mix_up(publishable)
        raise ValidationFailed(
            f"The publishable key must look like pk_test_… or pk_live_….{hint}", field=PUBLISHABLE_KEY
        )
    if webhook_secret and not _WEBHOOK_SECRET.match(webhook_secret):
        hint = "" if webhook_secret.startswith("whsec_") else _mix_up(webhook_secret)
        raise ValidationFailed(
            f"The webhook signing secret must look like whsec_….{hint}", field=WEBHOOK_SECRET
        )


def check_credentials(
    credentials: Mapping[str, str], *, test_mode: bool
) -> dict[str, str]:
    """Check each key's form and that the keys agree with each other and with the config's mode."""
    cleaned = dict(credentials)
    secret = cleaned.get(SECRET_KEY, "")
    publishable = cleaned.get(PUBLISHABLE_KEY, "")
    webhook_secret = cleaned.get(WEBHOOK_SECRET, "")

    _check_forms(secret, publishable, webhook_secret)
    if not webhook_secret:
        cleaned.pop(WEBHOOK_SECRET, None)

    secret_mode, publishable_mode = key_mode(secret), key_mode(publishable)
    if secret_mode != publishable_mode:
        raise ValidationFailed(
            f"The secret key is a {secret_mode} key but the publishable key is a {publishable_mode} key; "
            "both must come from the same mode of the same Stripe account.",
            field=PUBLISHABLE_KEY,
        )
    refuse_live_mode_where_test_only(
        live=secret_mode == "live",
        message="This installation accepts Stripe test keys only (sk_test_…, pk_test_…).",
        field=SECRET_KEY,
    )
    if (secret_mode == "test") != test_mode:
        wanted = "test" if test_mode else "live"
        raise ValidationFailed(
            f"These are {secret_mode} keys, but the configuration is in {wanted} mode.", field=SECRET_KEY
        )
    return cleaned

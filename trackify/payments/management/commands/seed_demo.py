"""Demo data for a first run: a user, a sandbox gateway (Stripe, PayPal, Mollie: if keys are set), invoices."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from trackify.invoices.models import Invoice
from trackify.invoices.selectors import invoice_pay_url
from trackify.invoices.services import invoice_create
from trackify.payments import crypto
from trackify.payments.gateways.registry import gateway_classes
from trackify.payments.models import PaymentGatewayConfig
from trackify.payments.services.gateway_configs import gateway_config_create, gateway_config_update

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "trackify-demo"  # a local demo account, printed on purpose
DEMO_INVOICES: list[dict[str, Any]] = [
    {"number": "DEMO-001", "client_name": "Ada Client", "client_email": "ada@example.com",
     "currency": "EUR", "total": "1250.00", "allow_partial_payment": False},
    {"number": "DEMO-002", "client_name": "Grace Customer", "client_email": "grace@example.com",
     "currency": "EUR", "total": "480.00", "allow_partial_payment": True},
]


def ensure_dev_encryption_key() -> bool:
    """Development only: create the git-ignored key file on first run. Returns True if created."""
    if settings.TRACKIFY_ENCRYPTION_KEYS:
        return False
    key_file = getattr(settings, "DEV_ENCRYPTION_KEY_FILE", None)
    if key_file is None or not settings.DEBUG:
        raise CommandError(
            "TRACKIFY_ENCRYPTION_KEYS is not set. Generate one with `manage.py generate_encryption_key`."
        )
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = crypto.generate_key()
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    settings.TRACKIFY_ENCRYPTION_KEYS = [key]
    crypto._multi_fernet.cache_clear()
    return True


class Command(BaseCommand):
    help = "Create (idempotently) a demo user with an API token, a default sandbox gateway and two open invoices."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if ensure_dev_encryption_key():
            key_file = settings.DEV_ENCRYPTION_KEY_FILE  # type: ignore[misc]
            self.stderr.write(f"Generated a development encryption key in {key_file}")
        if "sandbox" not in gateway_classes():
            raise CommandError("The sandbox gateway is disabled (TRACKIFY_SANDBOX_ENABLED); the demo needs it.")
        with transaction.atomic():
            result = self._seed()
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
            return
        site = settings.TRACKIFY_SITE_URL
        credentials = f"{result['username']} / {result['password']}"
        self.stdout.write(f"Sign in at {site}/login/ as {credentials} (admin panel: {site}/admin/)")
        self.stdout.write(f"API token: {result['api_token']}")
        for invoice in result["invoices"]:
            self.stdout.write(f"Pay invoice {invoice['number']}: {invoice['pay_url']}")

    def _seed(self) -> dict[str, Any]:
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"email": "demo@example.com", "is_staff": True, "is_superuser": True}
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        token, _ = Token.objects.get_or_create(user=user)

        configs = PaymentGatewayConfig.objects.filter(owner=user, archived_at__isnull=True)
        sandbox = configs.filter(gateway_name="sandbox").first()
        if sandbox is None:
            sandbox = gateway_config_create(owner=user, gateway_name="sandbox", display_name="Sandbox", is_default=True)
        stripe = self._stripe_from_environment(user)
        paypal = self._paypal_from_environment(user)
        mollie = self._mollie_from_environment(user)

        invoices = []
        for spec in DEMO_INVOICES:
            invoice = Invoice.objects.filter(owner=user, number=spec["number"]).first()
            if invoice is None:
                due_on = timezone.localdate() + timedelta(days=30)
                invoice = invoice_create(owner=user, **spec, issuer_name="Demo Design Studio", due_on=due_on)
            invoices.append(
                {"id": str(invoice.pk), "number": invoice.number, "public_token": invoice.public_token,
                 "pay_url": invoice_pay_url(invoice)}
            )
        result: dict[str, Any] = {
            "username": DEMO_USERNAME,
            "password": DEMO_PASSWORD,
            "api_token": token.key,
            "gateway_config_id": str(sandbox.pk),
            "invoices": invoices,
        }
        if stripe is not None:
            result["stripe_gateway_config_id"] = str(stripe.pk)
        if paypal is not None:
            result["paypal_gateway_config_id"] = str(paypal.pk)
        if mollie is not None:
            result["mollie_gateway_config_id"] = str(mollie.pk)
        return result

    def _paypal_from_environment(self, user: Any) -> PaymentGatewayConfig | None:
        """With PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET (and PAYPAL_WEBHOOK_ID) set, add (or update)
        PayPal in test mode (a sandbox REST app); it is not made the default."""
        from_env = {
            "client_id": os.environ.get("PAYPAL_CLIENT_ID", ""),
            "client_secret": os.environ.get("PAYPAL_CLIENT_SECRET", ""),
            "webhook_id": os.environ.get("PAYPAL_WEBHOOK_ID", ""),
        }
        keys = {name: value for name, value in from_env.items() if value}  # unset keeps what is stored
        if not (keys.get("client_id") and keys.get("client_secret")) or "paypal" not in gateway_classes():
            return None
        configs = PaymentGatewayConfig.objects.filter(owner=user, archived_at__isnull=True)
        existing = configs.filter(gateway_name="paypal").first()
        if existing is not None:
            return gateway_config_update(config=existing, credentials=keys)
        return gateway_config_create(
            owner=user, gateway_name="paypal", display_name="PayPal (sandbox)", credentials=keys
        )

    def _stripe_from_environment(self, user: Any) -> PaymentGatewayConfig | None:
        """With STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET set, add (or update) Stripe."""
        from_env = {
            "secret_key": os.environ.get("STRIPE_SECRET_KEY", ""),
            "publishable_key": os.environ.get("STRIPE_PUBLISHABLE_KEY", ""),
            "webhook_secret": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        }
        keys = {name: value for name, value in from_env.items() if value}  # unset keeps what is stored
        if not keys.get("secret_key") or "stripe" not in gateway_classes():
            return None
        configs = PaymentGatewayConfig.objects.filter(owner=user, archived_at__isnull=True)
        existing = configs.filter(gateway_name="stripe").first()
        if existing is not None:
            return gateway_config_update(config=existing, credentials=keys, is_default=True)
        return gateway_config_create(owner=user, gateway_name="stripe", display_name="Stripe (test)", credentials=keys,
                                     is_default=True)

    def _mollie_from_environment(self, user: Any) -> PaymentGatewayConfig | None:
        """With MOLLIE_API_KEY (a test_… key) set, add (or update) a Mollie config in test mode; not the default."""
        api_key = os.environ.get("MOLLIE_API_KEY", "")
        if not api_key or "mollie" not in gateway_classes():
            return None
        configs = PaymentGatewayConfig.objects.filter(owner=user, archived_at__isnull=True)
        existing = configs.filter(gateway_name="mollie").first()
        if existing is not None:
            return gateway_config_update(config=existing, credentials={"api_key": api_key})
        return gateway_config_create(
            owner=user, gateway_name="mollie", display_name="Mollie (test)", credentials={"api_key": api_key}
        )

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
django_application = get_wsgi_application()

# Webhook deliveries are served in front of Django's request handling (trackify/payments/api/webhook_lane.py).
from trackify.payments.api.webhook_lane import wrap  # noqa: E402  (after Django is set up)

application = wrap(django_application)

from django.urls import path

from bench.baseline.views import status, webhook

urlpatterns = [
    path("webhook/<uuid:config_id>/", webhook),
    path("status/<uuid:payment_id>/", status),
]

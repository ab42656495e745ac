from django.urls import path

from bench.baseline.views import webhook

urlpatterns = [path("webhook/<uuid:config_id>/", webhook)]

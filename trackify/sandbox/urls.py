from django.urls import path

from trackify.sandbox import views

# Mounted at /sandbox/ (the provider's hosted pages) and /payment/sandbox/ (its test API).
hosted_urlpatterns = [
    path("checkout/<str:session_id>/", views.hosted_checkout, name="sandbox-checkout"),
]
api_urlpatterns = [
    path("<uuid:payment_id>/complete/", views.SandboxCompleteView.as_view(), name="sandbox-complete"),
]

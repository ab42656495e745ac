from django.urls import path

from trackify.sandbox import views

# Mounted at /sandbox/: the provider's hosted pages. (Its test API, /payment/sandbox/, belongs to
# payments: it checks access to a payment; see trackify.payments.api.sandbox.)
hosted_urlpatterns = [
    path("checkout/<str:session_id>/", views.hosted_checkout, name="sandbox-checkout"),
    path("disputes/<str:dispute_id>/", views.dispute_page, name="sandbox-dispute-page"),
]

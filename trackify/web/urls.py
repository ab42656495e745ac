from django.contrib.auth import views as auth_views
from django.urls import path

from trackify.common.throttling import login_throttled
from trackify.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("pay/<str:invoice_id>/", views.pay_invoice, name="pay-invoice"),
    path("pay/<str:invoice_id>/result/", views.payment_result, name="payment-result"),
    path("receipt/<uuid:payment_id>/", views.payment_receipt, name="payment-receipt"),
    path("payments/", views.payments, name="payments"),
    path("settings/gateways/", views.gateway_settings, name="gateway-settings"),
    path("settings/notifications/", views.notification_settings, name="notification-settings"),
    path(
        "login/",
        # Failed attempts count per address and user name; past TRACKIFY_THROTTLE_LOGIN, 429.
        login_throttled(
            auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True)
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]

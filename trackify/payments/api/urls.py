from django.urls import path

from trackify.payments.api import views
from trackify.payments.api import webhook_endpoints as endpoints
from trackify.payments.api.webhooks import ConfigWebhookView, WebhookView

urlpatterns = [
    # First: the busiest URLs, resolved on every delivery.
    path("webhook/<str:gateway_name>/", WebhookView.as_view(), name="webhook"),
    path("webhook/<str:gateway_name>/<uuid:config_id>/", ConfigWebhookView.as_view(), name="webhook-config"),
    path("gateway-types/", views.GatewayTypeListView.as_view(), name="gateway-types"),
    path("gateways/", views.GatewayConfigListView.as_view(), name="gateway-configs"),
    path("gateways/<uuid:config_id>/", views.GatewayConfigDetailView.as_view(), name="gateway-config"),
    path(
        "gateways/<uuid:config_id>/default/", views.GatewayConfigSetDefaultView.as_view(), name="gateway-config-default"
    ),
    path(
        "gateways/<uuid:config_id>/test-connection/",
        views.GatewayConfigTestConnectionView.as_view(),
        name="gateway-config-test-connection",
    ),
    path(
        "gateways/<uuid:config_id>/webhook-health/",
        views.GatewayConfigWebhookHealthView.as_view(),
        name="gateway-config-webhook-health",
    ),
    path("create-session/", views.CreateSessionView.as_view(), name="create-session"),
    path("status/<uuid:payment_id>/", views.PaymentStatusView.as_view(), name="payment-status"),
    path("status/<uuid:payment_id>/check/", views.PaymentCheckView.as_view(), name="payment-check"),
    path("invoice/<uuid:invoice_id>/gateway/", views.InvoiceGatewayView.as_view(), name="invoice-gateway"),
    path(
        "invoice/<uuid:invoice_id>/refund-overpayment/",
        views.InvoiceRefundOverpaymentView.as_view(),
        name="invoice-refund-overpayment",
    ),
    path("payments/", views.OwnerPaymentListView.as_view(), name="owner-payments"),
    path("payments/<uuid:payment_id>/", views.OwnerPaymentDetailView.as_view(), name="owner-payment"),
    path("notification-settings/", views.NotificationSettingsView.as_view(), name="notification-settings"),
    path("notification-emails/", views.EmailLogView.as_view(), name="notification-emails"),
    path(
        "notification-emails/<uuid:delivery_id>/send-again/",
        views.EmailSendAgainView.as_view(),
        name="notification-email-send-again",
    ),
    path("disputes/", views.OwnerDisputeListView.as_view(), name="owner-disputes"),
    path("webhook-endpoints/", endpoints.WebhookEndpointListView.as_view(), name="webhook-endpoints"),
    path(
        "webhook-endpoints/<uuid:endpoint_id>/", endpoints.WebhookEndpointDetailView.as_view(), name="webhook-endpoint"
    ),
    path(
        "webhook-endpoints/<uuid:endpoint_id>/roll-secret/",
        endpoints.WebhookEndpointRollSecretView.as_view(),
        name="webhook-endpoint-roll-secret",
    ),
    path(
        "webhook-endpoints/<uuid:endpoint_id>/deliveries/",
        endpoints.WebhookEndpointDeliveriesView.as_view(),
        name="webhook-endpoint-deliveries",
    ),
    path(
        "webhook-endpoints/<uuid:endpoint_id>/deliveries/<uuid:delivery_id>/send-again/",
        endpoints.WebhookDeliverySendAgainView.as_view(),
        name="webhook-delivery-send-again",
    ),
    path(
        "webhook-endpoints/<uuid:endpoint_id>/test-event/",
        endpoints.WebhookEndpointTestEventView.as_view(),
        name="webhook-endpoint-test-event",
    ),
    path("<uuid:payment_id>/refund/", views.RefundView.as_view(), name="payment-refund"),
]

from django.urls import path

from trackify.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("pay/<uuid:invoice_id>/", views.pay_invoice, name="pay-invoice"),
    path("pay/<uuid:invoice_id>/result/", views.payment_result, name="payment-result"),
]

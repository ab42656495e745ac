from django.urls import path

from trackify.invoices.api import views

urlpatterns = [
    path("", views.InvoiceListView.as_view(), name="invoices"),
    path("<uuid:invoice_id>/", views.InvoiceDetailView.as_view(), name="invoice"),
]

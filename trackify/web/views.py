"""Server-rendered pages for the client paying an invoice. They call the JSON API from the browser."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from trackify.invoices.models import Invoice


def home(request: HttpRequest) -> HttpResponse:
    invoices = Invoice.objects.filter(owner=request.user)[:20] if request.user.is_authenticated else []
    return render(request, "web/home.html", {"invoices": invoices})


@ensure_csrf_cookie
def pay_invoice(request: HttpRequest, invoice_id: str) -> HttpResponse:
    # Access is checked by the API the page calls; the page itself holds nothing private.
    return render(request, "web/pay.html", {"invoice_id": invoice_id})


@ensure_csrf_cookie
def payment_result(request: HttpRequest, invoice_id: str) -> HttpResponse:
    return render(request, "web/result.html", {"invoice_id": invoice_id})

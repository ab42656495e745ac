"""The pages: Django renders a shell with the ids the page needs; React (frontend/) does the rest
through the JSON API, which checks every access itself."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from trackify.invoices.models import Invoice
from trackify.payments import selectors


def _app(request: HttpRequest, *, entry: str, title: str, data: dict[str, Any], nav: bool = False) -> HttpResponse:
    context = {"entry": entry, "title": title, "data": data, "show_nav": nav}
    response = render(request, "web/app.html", context)
    response["Referrer-Policy"] = "same-origin"  # the page's address holds the invoice token
    return response


def home(request: HttpRequest) -> HttpResponse:
    invoices = Invoice.objects.filter(owner=request.user)[:20] if request.user.is_authenticated else []
    return render(request, "web/home.html", {"invoices": invoices, "show_nav": request.user.is_authenticated})


@ensure_csrf_cookie
def pay_invoice(request: HttpRequest, invoice_id: str) -> HttpResponse:
    # The page holds nothing private: the API it calls checks the token (unknown and wrong look alike).
    return _app(request, entry="pay", title="Pay invoice", data={"invoice-id": invoice_id})


@ensure_csrf_cookie
def payment_result(request: HttpRequest, invoice_id: str) -> HttpResponse:
    return _app(request, entry="result", title="Payment result", data={"invoice-id": invoice_id})


@login_required
@ensure_csrf_cookie
def gateway_settings(request: HttpRequest) -> HttpResponse:
    return _app(request, entry="settings", title="Payment gateways", data={}, nav=True)


@login_required
@ensure_csrf_cookie
def notification_settings(request: HttpRequest) -> HttpResponse:
    return _app(request, entry="notifications", title="Notifications", data={}, nav=True)


@login_required
@ensure_csrf_cookie
def payments(request: HttpRequest) -> HttpResponse:
    return _app(request, entry="payments", title="Payments", data={}, nav=True)


def payment_receipt(request: HttpRequest, payment_id: str) -> HttpResponse:
    """The printable receipt of a succeeded payment, for whoever holds the invoice's token (the
    receipt e-mail links here) or owns it. Wrong token, unknown payment, or not paid: the same 404."""
    receipt = selectors.payment_receipt_for_client(
        payment_id=payment_id, user=request.user, token=request.GET.get("token")
    )
    if receipt is None:
        raise Http404("No such receipt.")
    response = render(request, "web/receipt.html", {"receipt": receipt})
    response["Referrer-Policy"] = "no-referrer"  # the address holds the invoice token
    response["X-Robots-Tag"] = "noindex"
    return response

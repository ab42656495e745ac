"""The sandbox provider's hosted pages: the checkout a payer sees, and a dispute's page.

Like a real provider's page, the checkout knows nothing of the platform: it tells the account's
webhook URL what happened (`provider.notify`) and sends the payer back to the return URL.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from trackify.common.money import format_amount
from trackify.sandbox import provider


@require_http_methods(["GET", "POST"])
def hosted_checkout(request: HttpRequest, session_id: str) -> HttpResponse:
    """The page a payer is redirected to: choose what happens to the payment."""
    try:
        session = provider.get_session(session_id)
    except provider.SandboxError:
        return render(request, "sandbox/checkout.html", {"missing": True}, status=404)
    error = ""
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        try:
            event = provider.complete_session(session.id, outcome)
        except provider.SandboxError as exc:
            error = str(exc)
        else:
            provider.notify(session.account_id, event)
            target = session.cancel_url if outcome == "cancelled" else session.return_url
            return HttpResponseRedirect(target)
    context = {
        "session": session,
        "amount": format_amount(session.amount, session.currency),
        "is_open": session.status == provider.Status.OPEN,
        "error": error,
    }
    return render(request, "sandbox/checkout.html", context, status=409 if error else 200)


@require_GET
def dispute_page(request: HttpRequest, dispute_id: str) -> HttpResponse:
    """Where a real provider's merchant answers a dispute (submits evidence). The sandbox's page only
    shows it: it has no merchant login, and its test API (owner only) decides disputes instead."""
    try:
        dispute = provider.get_dispute(dispute_id)
    except provider.SandboxError:
        return render(request, "sandbox/dispute.html", {"missing": True}, status=404)
    context = {
        "dispute": dispute,
        "amount": format_amount(dispute.amount, dispute.currency),
        "withdrawn": format_amount(dispute.withdrawn, dispute.currency),
        "reinstated": format_amount(dispute.reinstated, dispute.currency),
        "is_open": dispute.status in provider.OPEN_DISPUTE_STATUSES,
    }
    return render(request, "sandbox/dispute.html", context)

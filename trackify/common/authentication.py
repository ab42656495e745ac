from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from rest_framework.authentication import BaseAuthentication, CSRFCheck
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request


def _no_view(request: HttpRequest) -> HttpResponse:  # CSRFCheck needs a callable to wrap; never called
    return HttpResponse()


class AnonymousCsrfCheck(BaseAuthentication):
    """CSRF for anonymous browsers too (DRF checks it only for session-authenticated users).

    Listed last: it runs only when neither a session nor a token identified the caller, and it
    never authenticates anybody. Webhook views set `authentication_classes = []`, which makes
    them the only endpoints without CSRF protection.
    """

    def authenticate(self, request: Request) -> None:
        if request.method in SAFE_METHODS:
            return None
        check = CSRFCheck(_no_view)
        django_request = request._request
        check.process_request(django_request)
        reason = check.process_view(django_request, _no_view, (), {})
        if reason:  # DRF's CSRFCheck answers the reason as a string
            raise PermissionDenied(f"CSRF failed: {reason}")
        return None

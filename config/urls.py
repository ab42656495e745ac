from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from trackify.common.throttling import login_throttled
from trackify.common.views import json_not_found, json_server_error
from trackify.payments.api.sandbox import urlpatterns as sandbox_api
from trackify.sandbox.urls import hosted_urlpatterns as sandbox_hosted

urlpatterns = [
    # First: webhook deliveries, the busiest requests, are resolved here before anything else is tried.
    path("payment/", include("trackify.payments.api.urls")),
    # Before admin.site.urls, so that the admin's own login form is the throttled one.
    path("admin/login/", login_throttled(admin.site.login), name="admin-login-throttled"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="web/redoc.html"),
        name="api-redoc",
    ),
    path("invoices/", include("trackify.invoices.api.urls")),
    path("", include("trackify.web.urls")),
]

if settings.TRACKIFY_SANDBOX_ENABLED:
    urlpatterns += [
        path("payment/sandbox/", include(sandbox_api)),
        path("sandbox/", include(sandbox_hosted)),
    ]

handler404 = json_not_found
handler500 = json_server_error

"""What Django's error pages (DEBUG on) and error reports may show: no secret, ever.

Django hides settings and request headers whose names look secret, and the local variables of
functions marked `@sensitive_variables`. This filter adds our credential names to the settings
list, and hides, in every frame, marked or not, any local variable whose name looks secret, any dict entry
whose key does, and any `Secret` or `SecretMapping`. It is active with DEBUG on as well: Django's
own filter steps aside then, which is how a webhook signing secret once reached the error page.
"""

from __future__ import annotations

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

from trackify.common.secrets import Secret, SecretMapping

# Django's own list (API, TOKEN, KEY, SECRET, PASS, SIGNATURE, HTTP_COOKIE) plus ours.
SECRET_NAMES = re.compile(
    r"API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|CREDENTIAL|WHSEC|FERNET|ENCRYPT|DATABASE_URL|DSN"
    r"|AUTHORIZATION|SESSIONID|CSRF|EXPECTED|MAC|DIGEST|PRIVATE",
    flags=re.IGNORECASE,
)


class TrackifyExceptionReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = SECRET_NAMES

    def is_active(self, request: Any) -> bool:
        return True  # with DEBUG on too: that is when the pages are shown

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self._cleanse_local(name, value)) for name, value in variables]

    def _cleanse_local(self, name: str, value: Any) -> Any:
        if isinstance(value, (Secret, SecretMapping)):
            return self.cleansed_substitute
        if isinstance(value, str) and value == self.cleansed_substitute:
            return value
        # By name, and inside dicts by key: {"webhook_secret": "…"} shows its key, not its value.
        return self.cleanse_setting(name, value)

"""{% vite_styles %} and {% vite_entry "pay" %}: the built front end's tags for a page."""

from __future__ import annotations

import logging

from django import template
from django.conf import settings
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from trackify.web import vite

register = template.Library()
logger = logging.getLogger(__name__)

NOT_BUILT = "This page needs the front end, which is not built: run `make run` (or `npm run build` in frontend/)."


@register.simple_tag
def vite_styles() -> SafeString:
    if settings.TRACKIFY_VITE_DEV:
        return format_html('<link rel="stylesheet" href="{}">', vite.dev_server_style())
    try:
        styles = vite.entry_assets("pay").styles
    except vite.FrontendNotBuilt:
        return SafeString("")
    return format_html_join("\n", '<link rel="stylesheet" href="{}">', ((href,) for href in styles))


@register.simple_tag
def vite_entry(name: str) -> SafeString:
    if settings.TRACKIFY_VITE_DEV:
        return vite.dev_server_tags(name)
    try:
        assets = vite.entry_assets(name)
    except vite.FrontendNotBuilt as exc:
        logger.error("%s", exc)
        return format_html('<p class="notice error" role="alert">{}</p>', NOT_BUILT)
    preloads = format_html_join("\n", '<link rel="modulepreload" href="{}">', ((href,) for href in assets.preloads))
    return format_html('{}\n<script type="module" src="{}"></script>', preloads, assets.script)

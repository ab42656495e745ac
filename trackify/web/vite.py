"""The pages' script and style tags, from the manifest `vite build` writes (or Vite's dev server)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString

logger = logging.getLogger(__name__)

APP_PREFIX = "app/"  # where frontend/dist/ appears under STATIC_URL (STATICFILES_DIRS)
STYLE_ENTRY = "src/styles/app.css"


class FrontendNotBuilt(Exception):
    """frontend/dist/ has no manifest: `make run` (or `npm run build` in frontend/) builds it."""


@dataclass(frozen=True)
class EntryAssets:
    script: str
    preloads: tuple[str, ...]
    styles: tuple[str, ...]


def _manifest_path() -> Path:
    return Path(settings.TRACKIFY_FRONTEND_DIST) / ".vite" / "manifest.json"


@lru_cache(maxsize=4)
def _read_manifest(path: str, mtime_ns: int) -> dict[str, Any]:
    return dict(json.loads(Path(path).read_text()))


def manifest() -> dict[str, Any]:
    path = _manifest_path()
    try:
        return _read_manifest(str(path), path.stat().st_mtime_ns)
    except FileNotFoundError as exc:
        raise FrontendNotBuilt(f"{path} is missing: build the front end (`make run`, or `npm run build`).") from exc


def _url(file: str) -> str:
    return f"{settings.STATIC_URL}{APP_PREFIX}{file}"


def entry_assets(name: str) -> EntryAssets:
    """The entry's script, the chunks it imports statically (to preload) and its styles."""
    chunks = manifest()
    key = f"src/entries/{name}.jsx"
    if key not in chunks:
        raise FrontendNotBuilt(f"The front end build has no entry {key}; rebuild it.")
    preloads: list[str] = []
    seen: set[str] = set()

    def walk(chunk_key: str) -> None:
        for imported in chunks[chunk_key].get("imports", []):
            if imported not in seen:
                seen.add(imported)
                preloads.append(_url(chunks[imported]["file"]))
                walk(imported)

    walk(key)
    styles = [_url(chunks[STYLE_ENTRY]["file"])] if STYLE_ENTRY in chunks else []
    return EntryAssets(script=_url(chunks[key]["file"]), preloads=tuple(preloads), styles=tuple(styles))


def dev_server_style() -> str:
    return f"{settings.STATIC_URL}{APP_PREFIX}{STYLE_ENTRY}"


_REFRESH_PREAMBLE = (
    'import RefreshRuntime from "{}";RefreshRuntime.injectIntoGlobalHook(window);window.$RefreshReg$=()=>{{}};'
    "window.$RefreshSig$=()=>(type)=>type;window.__vite_plugin_react_preamble_installed__=true;"
)


def dev_server_tags(name: str) -> SafeString:
    """Vite's dev server serves the sources under the same /static/app/ base, with hot reload."""
    base = f"{settings.STATIC_URL}{APP_PREFIX}"
    return format_html(
        '<script type="module">' + _REFRESH_PREAMBLE + "</script>\n"
        '<script type="module" src="{}"></script>\n<script type="module" src="{}"></script>',
        f"{base}@react-refresh",
        f"{base}@vite/client",
        f"{base}src/entries/{name}.jsx",
    )

"""A progress bar for long management commands: redrawn in place on a terminal, a line per tenth
of the way otherwise (cron mail and log files stay short)."""

from __future__ import annotations

from django.core.management.base import OutputWrapper


class ProgressBar:
    def __init__(self, stream: OutputWrapper, label: str, *, width: int = 30, enabled: bool = True):
        self.stream, self.label, self.width, self.enabled = stream, label, width, enabled
        self.interactive = stream.isatty()
        self._last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        filled = self.width * done // total
        line = f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}"
        if self.interactive:
            self.stream.write(f"\r{line}", ending="\n" if done >= total else "")
            self.stream.flush()
            return
        tenth = 10 * done // total
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            self.stream.write(line)

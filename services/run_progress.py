"""What ``hookbus run`` shows while it starts: each step (the broker, then each service) with a
tick once it is ready, or a cross with the reason and the log file to read.

Progress goes to stderr, so stdout keeps only the two lines a script may read (the base URL and
the admin token). On a terminal a step is shown while it is waited for and overwritten by its
outcome; elsewhere (a pipe, a CI log) only the outcome lines are written.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

# Lines of a service's log quoted when it does not come up, each cut to this many characters.
TAIL_LINES = 5
TAIL_WIDTH = 240
STEP_WIDTH = 13  # "Kafka broker" and the service names, aligned


class Progress:
    """One line per start-up step on ``stream`` (default stderr)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty()
        encoding = (getattr(self.stream, "encoding", None) or "ascii").lower()
        fancy = encoding.replace("-", "").startswith("utf")
        self.ok, self.bad, self.busy = ("✓", "✗", "…") if fancy else ("ok", "!!", "..")
        self._step: str | None = None
        self._started = 0.0

    def say(self, text: str) -> None:
        """A line of its own (a heading or a note)."""
        self._write(f"{text}\n")

    def begin(self, step: str) -> None:
        """Start waiting for ``step`` (shown at once on a terminal)."""
        self._step, self._started = step, time.monotonic()
        if self.live:
            self._write(f"  {self.busy} {step}")

    def done(self, detail: str = "") -> None:
        """The current step is ready: a tick, its detail and how long it took."""
        took = time.monotonic() - self._started
        extra = f"  {detail}" if detail else ""
        self._end(f"  {self.ok} {self._step:<{STEP_WIDTH}}{extra} ({took:.1f} s)")

    def failed(self, reason: str, log: Path | None = None) -> None:
        """The current step did not come up: a cross, why, and the log file with its tail."""
        self._end(f"  {self.bad} {self._step}: {reason}")
        if log is not None:
            self._write(f"    log: {log}\n")
            for line in tail(log):
                self._write(f"    | {line}\n")

    def slow(self, reason: str, log: Path | None = None) -> None:
        """The current step is late: say so with its log, and keep waiting for it."""
        step, started = self._step, self._started
        self.failed(f"{reason}; still waiting", log)
        self.begin(step or "")
        self._started = started

    def _end(self, line: str) -> None:
        prefix = "\r\x1b[K" if self.live else ""
        self._write(f"{prefix}{line}\n")
        self._step = None

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def tail(path: Path, lines: int = TAIL_LINES) -> list[str]:
    """The last ``lines`` lines of ``path`` (each cut short), or none when it cannot be read."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return []
    last = [line for line in text.splitlines() if line.strip()][-lines:]
    return [line if len(line) <= TAIL_WIDTH else line[: TAIL_WIDTH - 3] + "..." for line in last]

"""The installed ``hookbus`` command run as a subprocess against a stack: once to the end, or
in the background (``tail``, ``listen``) with its output lines collected as they come."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import orjson

from tests.support.stack import Stack
from tests.support.waiting import poll

# The console script the package installs, beside this interpreter (as a user would run it).
HOOKBUS = Path(sys.executable).parent / "hookbus"


def environment(stack: Stack | None, **extra: str) -> dict[str, str]:
    """The environment with HOOKBUS_URL and HOOKBUS_TOKEN for ``stack`` (no admin token, so
    the client's own token handling is what is used)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKBUS_")}
    env["NO_COLOR"] = "1"
    if stack is not None:
        env.update(HOOKBUS_URL=stack.base_url, HOOKBUS_TOKEN=stack.token)
    env.update(extra)
    return env


def hookbus(
    stack: Stack | None, *args: str, stdin: str | None = None, timeout: float = 120, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``hookbus args...`` to its end."""
    return subprocess.run(
        [str(HOOKBUS), *args],
        env=environment(stack, **env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def answer(stack: Stack, *args: str, stdin: str | None = None) -> Any:
    """The JSON ``hookbus --json args...`` printed; fail unless it exited 0."""
    done = hookbus(stack, "--json", *args, stdin=stdin)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    return orjson.loads(done.stdout)


class Background:
    """``hookbus args...`` running on; its stdout and stderr lines gathered by two threads."""

    def __init__(self, stack: Stack, *args: str) -> None:
        self.process = subprocess.Popen(
            [str(HOOKBUS), *args],
            env=environment(stack),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        assert self.process.stdout is not None and self.process.stderr is not None
        for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=self._gather, args=(stream, lines), daemon=True).start()

    @staticmethod
    def _gather(stream: IO[str], lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def wait_line(self, text: str, stderr: bool = False, timeout: float = 60) -> str:
        """The first line holding ``text`` (polled); fails if the command exited first."""
        lines = self.err if stderr else self.out

        def found() -> str | None:
            hit = next((line for line in list(lines) if text in line), None)
            if hit is None and self.process.poll() is not None:
                raise AssertionError(f"hookbus exited {self.process.returncode}: {self.output()}")
            return hit

        result: str = poll(found, timeout)
        return result

    def output(self) -> str:
        return "\n".join(["stdout:", *self.out, "stderr:", *self.err])

    def interrupt(self, timeout: float = 20) -> int:
        """Ctrl-C; its exit code."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

"""The ``hookbus`` client commands' own logic, without a server: the grammar and its help,
reading payloads and times, table cells, tail lines, and what listen forwards."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from pathlib import Path

import click
import httpx
import pytest
from click.testing import CliRunner
from rich.console import Console
from standardwebhooks.webhooks import Webhook

from services.cli_client.api import Api
from services.cli_client.entry import PROCESS_COMMANDS, hookbus
from services.cli_client.lines import attempt_line, inbound_line, line
from services.cli_client.listen import as_received, signed
from services.cli_client.output import Column, cell, table
from services.cli_client.payloads import moment, read_json
from services.cli_client.session import Session
from shared.signing import generate_secret


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path under ``group`` (groups too), e.g. ``("endpoints", "rotate")``."""
    found = []
    for name, command in group.commands.items():
        if name in PROCESS_COMMANDS:
            continue
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found.extend(commands(command, (*prefix, name)))
    return found


ALL = commands(hookbus)


def test_the_grammar_has_every_command_of_the_handbook() -> None:
    wanted = {
        (group, verb)
        for group in ("apps", "endpoints", "event-types", "sources", "routes")
        for verb in ("list", "get", "create", "update", "delete")
    }
    wanted |= {("endpoints", "ping"), ("endpoints", "secret"), ("endpoints", "rotate")}
    wanted |= {
        (g, v) for g in ("messages", "attempts", "inbound", "dead-letters") for v in ("list", "get")
    }
    wanted |= {("inbound", "resubmit"), ("send",), ("replay",), ("tail",), ("listen",)}
    assert wanted <= set(ALL)


@pytest.mark.parametrize("path", ALL, ids=" ".join)
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    shown = CliRunner().invoke(hookbus, [*path, "--help"])
    assert shown.exit_code == 0, shown.output
    assert "Example:" in shown.output and "hookbus " in shown.output.split("Example:")[1]


def test_moments_are_iso_or_a_duration_ago() -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert moment("2h", now) == "2026-11-22T10:00:00.000Z"
    assert moment("7d", now) == "2026-11-15T12:00:00.000Z"
    assert moment("2026-11-22T10:15:30Z") == "2026-11-22T10:15:30.000Z"
    assert moment("2026-11-22T10:15:30+01:00") == "2026-11-22T09:15:30.000Z"
    assert moment("2026-11-22T10:15:30") == "2026-11-22T10:15:30.000Z"
    with pytest.raises(click.BadParameter):
        moment("yesterday")


def test_json_comes_from_the_argument_a_file_or_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "p.json").write_text('{"from": "file"}')
    assert read_json('{"from": "arg"}') == {"from": "arg"}
    assert read_json(f"@{tmp_path}/p.json") == {"from": "file"}
    monkeypatch.setattr("sys.stdin", io.StringIO('{"from": "stdin"}'))
    assert read_json("-") == {"from": "stdin"}
    with pytest.raises(click.BadParameter, match="not valid JSON"):
        read_json("{nope")
    with pytest.raises(click.BadParameter, match="cannot read"):
        read_json(f"@{tmp_path}/missing.json")


def test_cells_and_tables_cut_long_values_but_never_ids() -> None:
    assert cell(None) == "-" and cell(True) == "yes" and cell(["a", "b"]) == "a, b"
    assert cell({"k": 1}) == '{"k":1}'
    row = {"id": "ep_" + "X" * 40, "url": "https://example.com/" + "p" * 100}
    out = Console(width=80, record=True, file=io.StringIO())
    out.print(table([row], [Column("ID", "id", None), Column("URL", "url", 30)]))
    text = out.export_text()
    assert row["id"] in text and "…" in text and row["url"] not in text


def test_tail_lines_say_what_happened() -> None:
    attempt = {
        "id": "atm_1",
        "message_id": "msg_1",
        "endpoint_id": "ep_1",
        "attempt": 2,
        "timestamp": "2026-11-22T10:15:30.150Z",
        "duration_ms": 12,
        "response": {"status": 500},
        "error": None,
        "outcome": "retrying",
    }
    text = attempt_line(attempt)
    assert text.plain == "10:15:30  attempt  atm_1  msg_1 -> ep_1  #2  500  retrying  12 ms"
    assert text.style == "yellow"
    assert attempt_line({**attempt, "outcome": "exhausted"}).style == "bold red"
    inbound = {
        "id": "in_1",
        "source_id": "src_1",
        "received_at": "2026-11-22T10:30:00.000Z",
        "method": "POST",
        "path": "git/push",
        "query": "env=prod",
        "verification": {"result": "failed"},
        "status": "rejected",
        "routes": [],
    }
    assert inbound_line(inbound).plain == (
        "10:30:00  inbound  in_1  src_1  POST /git/push?env=prod  rejected  failed"
    )
    assert inbound_line(inbound).style == "red"
    assert "invoice.paid" in line("message", {"id": "m", "event_type": "invoice.paid"}).plain
    # On a terminal the style becomes colour; a pipe gets the plain text.
    shown, piped = io.StringIO(), io.StringIO()
    Console(force_terminal=True, color_system="standard", file=shown).print(
        attempt_line({**attempt, "outcome": "succeeded"})
    )
    assert "\x1b[32m" in shown.getvalue()
    Console(file=piped).print(attempt_line(attempt))
    assert "\x1b[" not in piped.getvalue() and "retrying" in piped.getvalue()


def test_listen_signs_messages_as_standard_webhooks_verifies() -> None:
    secret = generate_secret()
    message = {"id": "msg_1", "event_type": "a.b", "payload": {"x": 1}, "timestamp": "T"}
    headers, body = signed(message, secret, int(datetime.now(UTC).timestamp()))
    assert Webhook(secret).verify(body, headers) == {
        "type": "a.b",
        "timestamp": "T",
        "data": {"x": 1},
    }


def test_listen_forwards_a_received_request_as_it_came() -> None:
    request = {
        "method": "PUT",
        "path": "git/push",
        "query": "env=prod",
        "headers": {"host": "hookbus", "content-length": "3", "x-github-event": "push"},
        "body": base64.b64encode(b"\x00\x01\x02").decode(),
        "body_encoding": "base64",
    }
    method, url, headers, body = as_received(request, "http://localhost:3000/hooks/?a=1")
    assert (method, str(url), body) == (
        "PUT",
        "http://localhost:3000/hooks/git/push?a=1&env=prod",
        b"\x00\x01\x02",
    )
    assert headers == {"x-github-event": "push"}
    _, bare, _, empty = as_received({"method": "POST", "body": None}, "http://localhost:3000/x")
    assert str(bare) == "http://localhost:3000/x" and empty == b""


def test_ctrl_c_while_watching_a_replay_leaves_it_running_and_says_how_to_follow_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str, str]] = []

    def hookbus_api(request: httpx.Request) -> httpx.Response:
        calls.append((request.method, request.url.path))
        if request.method == "POST":
            return httpx.Response(202, json={"id": "task_1"})
        running = {"id": "task_1", "status": "running", "total": 9, "done": 2}
        return httpx.Response(200, json=running)

    api = Api("http://hookbus.test", "t")
    api.http = httpx.Client(base_url=api.base_url, transport=httpx.MockTransport(hookbus_api))

    def interrupted(_seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("services.cli_client.tasks.time.sleep", interrupted)
    result = CliRunner().invoke(hookbus, ["replay", "acme", "--since", "1h"], obj=Session(_api=api))
    assert result.exit_code == 0, result.output
    assert "hookbus tasks watch task_1" in result.output
    # Started, looked at once, then left alone: never cancelled.
    assert calls == [("POST", "/v1/apps/acme/replay"), ("GET", "/v1/tasks/task_1")]

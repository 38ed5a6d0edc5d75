"""``hookbus replay`` starts a replay task and follows it with a progress bar; ``hookbus tasks``
lists, shows and follows background tasks. Ctrl-C only stops the watching: a task runs on in
hookbus whatever the terminal does."""

from __future__ import annotations

import time
from typing import Any

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from services.cli_client.api import ApiRefused, segment
from services.cli_client.output import ERR, OUT, Column, note, print_json
from services.cli_client.payloads import moment
from services.cli_client.session import Session, json_option, paging, pass_session

COLUMNS = [
    Column("ID", "id", None),
    Column("KIND", "kind", 12),
    Column("STATUS", "status", 8),
    Column("DONE", "done", 10),
    Column("TOTAL", "total", 10),
    Column("SENT", "sent", 10),
    Column("APP", "app_id", None),
    Column("CREATED", "created_at", None),
    Column("FINISHED", "finished_at", None),
]
POLL_SECONDS = 0.5


class RateColumn(ProgressColumn):
    """Items per second, as rich measures it from the recent updates."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.1f}/s", style="cyan")


def bar(console_out: Any) -> Progress:
    """done of total, a bar, the rate and the time left."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeRemainingColumn(),
        console=console_out,
    )


def follow(session: Session, task_id: str) -> dict[str, Any]:
    """Poll the task until it is no longer running, drawing its progress; return it last seen.

    Ctrl-C (KeyboardInterrupt) passes through to the caller, the task still running."""
    path = f"/v1/tasks/{segment(task_id)}"
    state: dict[str, Any] = session.api.call("GET", path)
    if session.as_json:
        while state.get("status") == "running":
            time.sleep(POLL_SECONDS)
            state = session.api.call("GET", path)
        return state
    with bar(ERR) as progress:
        shown = progress.add_task(task_id, total=state.get("total") or None)
        while True:
            progress.update(shown, total=state.get("total") or None, completed=state.get("done", 0))
            if state.get("status") != "running":
                break
            time.sleep(POLL_SECONDS)
            state = session.api.call("GET", path)
    return state


def summary(task_id: str, state: dict[str, Any]) -> str:
    """``task_… done: 3 of 3 messages, 3 deliveries sent`` (and the error of a failed one)."""
    text = f"{task_id} {state.get('status')}: {state.get('done')} of {state.get('total')} messages"
    if state.get("sent") is not None:
        text += f", {state['sent']} deliveries sent"
    if state.get("error"):
        text += f" ({state['error']})"
    return text


def watch(session: Session, task_id: str) -> None:
    """Follow a task to its end and report it; Ctrl-C says how to follow it again."""
    try:
        state = follow(session, task_id)
    except KeyboardInterrupt:
        note(
            f"{task_id} goes on running in hookbus. Follow it again with:\n"
            f"  hookbus tasks watch {task_id}",
            style="",
        )
        return
    if session.as_json:
        print_json(state)
    else:
        OUT.print(summary(task_id, state), markup=False, soft_wrap=True)
    if state.get("status") != "done":
        raise ApiRefused(200, "task_failed", f"{task_id} ended {state.get('status')}", state)


@click.command()
@click.argument("app")
@click.option("--since", required=True, help="ISO 8601, or a duration ago: 30m, 2h, 7d.")
@click.option("--until", help="ISO 8601, or a duration ago (default: now).")
@click.option("--endpoint", help="Only to this endpoint (id or uid).")
@click.option("--event-type", "types", multiple=True, help="Only these event types (repeatable).")
@click.option(
    "--only",
    type=click.Choice(["all", "failed"]),
    default="all",
    show_default=True,
    help="Every matching message, or only those whose delivery failed.",
)
@click.option("--no-wait", is_flag=True, help="Start the task, print its id and return.")
@json_option
@pass_session
def replay(
    session: Session,
    app: str,
    since: str,
    until: str | None,
    endpoint: str | None,
    types: tuple[str, ...],
    only: str,
    no_wait: bool,
) -> None:
    """Re-deliver an app's messages in a time window, with a progress bar.

    Ctrl-C stops the watching only: the replay goes on in hookbus.

    \b
    Example:
      hookbus replay acme --since 2h
      hookbus replay acme --since 2026-11-22T10:00:00Z --until 1h --endpoint ep_01JD3R...
    """
    request: dict[str, Any] = {"since": moment(since), "only": only}
    if until is not None:
        request["until"] = moment(until)
    if endpoint is not None:
        request["endpoint_id"] = endpoint
    if types:
        request["event_types"] = list(types)
    started = session.api.call("POST", f"/v1/apps/{segment(app)}/replay", body=request)
    task_id = str(started["id"])
    if no_wait:
        if session.as_json:
            print_json(started)
        else:
            print(task_id, flush=True)
        return
    if not session.as_json:
        note(f"replay {task_id} started (Ctrl-C stops watching, not the replay)")
    watch(session, task_id)


@click.group()
def tasks() -> None:
    """Background tasks (replays, recoveries): their status and progress.

    \b
    Example:
      hookbus tasks list
      hookbus tasks watch task_01JD3R...
    """


@tasks.command("list")
@click.option("--app", help="Only this app's tasks (id or uid).")
@paging
@pass_session
def list_tasks(
    session: Session, app: str | None, limit: int | None, cursor: str | None, every: bool
) -> None:
    """List tasks, newest first.

    \b
    Example:
      hookbus tasks list --app acme --limit 5
    """
    params = {"app": app}
    session.listing("/v1/tasks", COLUMNS, params, limit=limit, cursor=cursor, every=every)


@tasks.command("get")
@click.argument("task")
@json_option
@pass_session
def get_task(session: Session, task: str) -> None:
    """Show one task.

    \b
    Example:
      hookbus tasks get task_01JD3R...
    """
    session.show("GET", f"/v1/tasks/{segment(task)}")


@tasks.command("watch")
@click.argument("task")
@json_option
@pass_session
def watch_task(session: Session, task: str) -> None:
    """Follow a task with a progress bar until it ends.

    \b
    Example:
      hookbus tasks watch task_01JD3R...
    """
    watch(session, task)

"""The dashboard and the customer portal in a real headless Chromium, on the real stack: an
endpoint created through the form gets its ping, a delivery opens to its request and response,
Resend adds an attempt live, every page has its own URL, a portal link sees its app only, no
request leaves the machine and no page logs an error. Screenshots of each main page are saved
(with ``HOOKBUS_UPDATE_DOCS=1``, the endpoint page's also as docs/dashboard-endpoint.png, which
the README shows)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.browser import Watch, launched, watched_context
from tests.support.inbound import logged, route, send, source
from tests.support.outbound import new_app, new_endpoint, publish
from tests.support.receiver import Receiver
from tests.support.stack import REPO, Stack
from tests.support.waiting import poll

DOCS_SHOT = REPO / "docs" / "dashboard-endpoint.png"
# One quick retry, so a failing delivery reaches its last attempt while the page is open.
STACK_ENV = {"HOOKBUS_RETRY_SCHEDULE": "1s"}
WIDE = {"width": 1280, "height": 860}
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched() as running:
        yield running


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("HOOKBUS_TEST_SCREENSHOTS")
    folder = Path(given) if given else Path(tmp_path_factory.mktemp("dashboard-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"dashboard screenshots in {folder}")
    return folder


def check_stayed_local(watch: Watch) -> None:
    """No request left 127.0.0.1, and no page logged an error."""
    assert watch.requested, "the browser made no request at all"
    assert watch.refused == [], f"requests that would have left the machine: {watch.refused}"
    hosts = {urlsplit(url).hostname for url in watch.requested if url.startswith("http")}
    assert hosts == {"127.0.0.1"}, hosts
    assert watch.errors == [], f"console errors: {watch.errors}"


def unnamed_controls(page: Any) -> list[str]:
    """Links, buttons and fields on the page that have no accessible name."""
    result: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('a, button, input, select, textarea')]
        .filter((el) => el.type !== 'hidden' && el.offsetParent !== null)
        .filter((el) => {
          const byLabel = el.labels && [...el.labels].some((l) => l.textContent.trim());
          const by = el.getAttribute('aria-label') || el.getAttribute('title');
          const text = (el.textContent || '').trim();
          const labelled = el.getAttribute('aria-labelledby');
          return !(byLabel || by || labelled || (el.matches('a, button') && text));
        })
        .map((el) => el.outerHTML.slice(0, 120))"""
    )
    return result


@pytest.fixture
def dashboard(browser: Any, stack: Stack, shots: Path) -> Iterator[Any]:
    """A page signed in to the dashboard with the keyboard alone."""
    context, watch = watched_context(browser, viewport=WIDE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{stack.base_url}/dashboard/")
    token = page.get_by_label("Token")
    token.wait_for()
    page.screenshot(path=str(shots / "sign-in.png"))
    for _ in range(10):
        if token.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    assert token.evaluate("el => el === document.activeElement"), "Tab never reached Token"
    page.keyboard.type(stack.token)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Apps", exact=True).wait_for()
    yield page
    context.close()
    check_stayed_local(watch)


def shoot(page: Any, path: Path) -> None:
    """A full-page screenshot from the top."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)


def deliveries(page: Any) -> Any:
    return page.locator("table.deliveries > tbody > tr:not(.detail-row)")


def test_an_endpoint_made_in_the_form_gets_its_ping_opens_and_resends(
    dashboard: Any, stack: Stack, receiver: Receiver, shots: Path
) -> None:
    page = dashboard
    app = stack.client.post("/v1/apps", json={"name": "Acme Corp", "uid": "acme"}).json()["id"]
    page.goto(f"{stack.base_url}/dashboard/apps/{app}")
    page.get_by_role("link", name="Add endpoint").click()
    page.get_by_label("URL", exact=True).fill(f"{receiver.url}/hooks/billing")
    page.get_by_label("Description").fill("Billing service")
    page.get_by_role("button", name="Create endpoint").click()
    page.wait_for_url(re.compile(rf"/dashboard/apps/{app}/endpoints/ep_\w+$"))
    endpoint = page.url.rsplit("/", 1)[1]
    # The creation ping shows up with its 200, without a reload.
    row = deliveries(page).first
    row.get_by_text("webhook.ping").wait_for()
    assert row.locator(".status").inner_text() == "200"
    # Opened with the keyboard: the request sent and the response got.
    row.get_by_role("button", name=re.compile("^Details of attempt")).focus()
    page.keyboard.press("Enter")
    detail = page.locator(".attempt-detail")
    request = detail.get_by_label("Request", exact=True)
    assert f"{receiver.url}/hooks/billing" in request.inner_text()
    assert "webhook-signature" in request.get_by_label("Request headers").inner_text()
    assert '"type": "webhook.ping"' in request.get_by_label("Request body").inner_text()
    response = detail.get_by_label("Response", exact=True)
    assert response.locator(".status").inner_text() == "200"
    assert response.get_by_label("Response body").inner_text() == "ok"
    assert "text/plain" in response.get_by_label("Response headers").inner_text()
    # Resend: a second attempt of the same message appears, live.
    row.get_by_role("button", name=re.compile("^Resend message")).click()
    poll(lambda: deliveries(page).count() == 2, timeout=30)
    ping_id = receiver.requests[0].headers["webhook-id"]
    assert [r.headers["webhook-id"] for r in receiver.wait_for(lambda _: True, 2)] == [ping_id] * 2

    # Published messages arrive on the open page too, failures and their retry included.
    def declines(request: Any) -> tuple[int, bytes]:
        if b'"declined"' in request.body:
            return 500, b'{"error": "card declined"}'
        return 200, b"ok"

    receiver.respond = declines
    for n in range(6):
        status = "declined" if n in (1, 4) else "paid"
        payload = {"invoice_id": f"inv_{n}", "amount": 4200 + n, "status": status}
        publish(stack, app, f"invoice.{status}", payload)
    poll(lambda: deliveries(page).count() == 2 + 6 + 2, timeout=30)
    assert deliveries(page).locator(".status-bad").count() == 4
    page.locator("button[aria-expanded=true]").click()  # closed again for the picture
    shoot(page, shots / "endpoint.png")
    if os.environ.get("HOOKBUS_UPDATE_DOCS"):  # only on request, so a test run leaves git clean
        page.screenshot(path=str(DOCS_SHOT))
    assert unnamed_controls(page) == []
    assert endpoint.startswith("ep_")


def seed(stack: Stack, receiver: Receiver) -> dict[str, str]:
    """One of everything the pages show."""
    app = new_app(stack, "Globex")
    stack.client.post(
        "/v1/event-types",
        json={
            "name": "order.shipped",
            "description": "An order left",
            "schema": {"type": "object"},
        },
    )
    ep = new_endpoint(stack, app, f"{receiver.url}/orders", event_types=["order.*"])["id"]
    msg = publish(stack, app, "order.shipped", {"order": 7})["id"]
    attempts = poll(
        lambda: stack.client.get(f"/v1/apps/{app}/endpoints/{ep}/attempts").json()["data"]
    )
    src = source(stack, name="GitHub org", provider="generic", verification={"type": "none"})
    route(
        stack,
        name="to orders",
        source_id=src["id"],
        destination={"type": "app", "app_id": app, "event_type": "order.shipped"},
    )
    received = send(stack, f"/in/{src['id']}/push", json={"order": 8})
    assert received.status_code == 202, received.text
    logged(stack, received.json()["id"], routed=True)
    return {
        "app": app,
        "ep": ep,
        "msg": msg,
        "atm": attempts[0]["id"],
        "src": src["id"],
        "in": received.json()["id"],
    }


def test_every_page_has_its_own_url(
    dashboard: Any, stack: Stack, receiver: Receiver, shots: Path
) -> None:
    page = dashboard
    page.on("dialog", lambda dialog: dialog.accept())  # "Revoke every portal link...?"
    ids = seed(stack, receiver)
    # From the list of apps to one, with the keyboard alone.
    page.goto(f"{stack.base_url}/dashboard/apps")
    app_link = page.get_by_role("link", name="Globex")
    for _ in range(40):
        if app_link.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name="Globex").wait_for()
    assert page.get_by_role("heading", level=1).evaluate("el => el === document.activeElement")
    # A portal link made and revoked from the app's page.
    page.get_by_label("Link expires after").select_option("7d")
    page.get_by_role("button", name="Create portal link").click()
    link = page.get_by_role("textbox", name=re.compile("^Portal link")).input_value()
    page.get_by_text("expires in 7d").wait_for()
    assert link.startswith(f"{stack.base_url}/portal/#token=hbp_"), link
    token = link.split("#token=", 1)[1]
    portal = {"authorization": f"Bearer {token}"}
    assert httpx.get(f"{stack.base_url}/v1/apps/{ids['app']}", headers=portal).status_code == 200
    page.get_by_role("button", name="Revoke all links").click()
    page.get_by_role("status").filter(has_text="revoked").wait_for()
    assert httpx.get(f"{stack.base_url}/v1/apps/{ids['app']}", headers=portal).status_code == 401
    # A replay of the app's messages (both in the log by now), followed to its end.
    logged_messages = f"/v1/apps/{ids['app']}/messages"
    poll(lambda: len(stack.client.get(logged_messages).json()["data"]) == 2)
    receiver.wait_for(lambda r: r.path == "/orders", count=2)
    page.get_by_label("Deliveries").select_option("all")
    page.get_by_role("button", name="Replay", exact=True).click()
    page.locator(".task-line").filter(has_text="done").wait_for()
    # The published message and the one routed from the received request, each twice.
    receiver.wait_for(lambda r: r.path == "/orders", count=4)
    pages = {
        "apps": ("/apps", "Apps"),
        "app": ("/apps/{app}", "Globex"),
        "endpoint": ("/apps/{app}/endpoints/{ep}", f"{receiver.url}/orders"),
        "endpoint-edit": ("/apps/{app}/endpoints/{ep}/edit", "Edit endpoint"),
        "messages": ("/apps/{app}/messages", "Messages"),
        "message": ("/apps/{app}/messages/{msg}", "order.shipped"),
        "attempt": ("/apps/{app}/attempts/{atm}", "Attempt 1"),
        "event-types": ("/event-types", "Event types"),
        "sources": ("/sources", "Sources"),
        "source": ("/sources/{src}", "GitHub org"),
        "received": ("/inbound", "Received"),
        "received-request": ("/inbound/{in}", "POST /push"),
        "routes": ("/routes", "Routes"),
        "dead-letters": ("/dead-letters", "Dead letters"),
        "tasks": ("/tasks", "Tasks"),
    }
    for name, (path, heading) in pages.items():
        url = f"{stack.base_url}/dashboard{path.format(**ids)}"
        # The server answers every deep URL with the app's shell, never a 404.
        shell = httpx.get(url)
        assert shell.status_code == 200 and "text/html" in shell.headers["content-type"], url
        assert "default-src 'none'" in shell.headers["content-security-policy"]
        page.goto(url)
        page.get_by_role("heading", level=1, name=heading, exact=True).wait_for()
        # Done loading (not "network idle": a page following a live stream never is).
        poll(lambda: page.locator(".loading").count() == 0, timeout=30)
        assert unnamed_controls(page) == [], name
        shoot(page, shots / f"{name}.png")
    # On a narrow screen nothing runs off the side.
    page.set_viewport_size({"width": 390, "height": 800})
    for path in ("/apps/{app}", "/apps/{app}/endpoints/{ep}", "/sources"):
        page.goto(f"{stack.base_url}/dashboard{path.format(**ids)}")
        page.locator("h1").wait_for()
        poll(lambda: page.locator(".loading").count() == 0, timeout=30)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    shoot(page, shots / "endpoint-narrow.png")


def test_a_portal_link_sees_its_app_only(
    browser: Any, stack: Stack, receiver: Receiver, shots: Path
) -> None:
    mine = new_app(stack, "Initech")
    theirs = new_app(stack, "Umbrella")
    my_endpoint = new_endpoint(stack, mine, f"{receiver.url}/initech")
    new_endpoint(stack, theirs, f"{receiver.url}/umbrella")
    publish(stack, mine, "report.ready", {"n": 1})
    link = stack.client.post(f"/v1/apps/{mine}/portal-access", json={}).json()
    read_only = stack.client.post(f"/v1/apps/{mine}/portal-access", json={"read_only": True}).json()
    context, watch = watched_context(browser, viewport=WIDE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(link["url"])
    page.get_by_role("heading", level=1, name="Endpoints", exact=True).wait_for()
    assert "#token" not in page.url  # taken off the address bar at once
    page.get_by_role("link", name=f"{receiver.url}/initech").wait_for()
    assert "umbrella" not in page.content()
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link").all_inner_texts() == ["Endpoints", "Messages", "Event types"]
    page.get_by_role("link", name=f"{receiver.url}/initech").click()
    deliveries(page).first.wait_for()
    shoot(page, shots / "portal-endpoint.png")
    # Another app's pages, and the operator's, are not there for a portal link.
    page.goto(f"{stack.base_url}/portal/apps/{theirs}")
    page.get_by_role("alert").get_by_text("not found").wait_for()
    page.goto(f"{stack.base_url}/portal/sources")
    page.get_by_role("heading", name="Page not found").wait_for()
    # Every API call the portal made stayed inside its app (or read the catalogue).
    calls = {urlsplit(u).path for u in watch.requested if urlsplit(u).path.startswith("/v1/")}
    outside = {p for p in calls if not p.startswith((f"/v1/apps/{mine}", "/v1/event-types"))}
    assert outside == {f"/v1/apps/{theirs}", f"/v1/apps/{theirs}/endpoints"}, outside
    # A read-only link offers no control that changes anything.
    viewer = context.new_page()
    viewer.goto(read_only["url"])
    viewer.get_by_role("link", name=f"{receiver.url}/initech").click()
    viewer.get_by_text("Read-only link").wait_for()
    deliveries(viewer).first.wait_for()
    for name in ("Ping", "Edit", "Delete", "Rotate secret"):
        assert viewer.get_by_role("button", name=name, exact=True).count() == 0, name
        assert viewer.get_by_role("link", name=name, exact=True).count() == 0, name
    assert viewer.get_by_role("button", name="Show secret").count() == 1
    # Revoked: the open portal says so at its next call, and holds on to nothing.
    assert stack.client.delete(f"/v1/apps/{mine}/portal-access").status_code == 204
    viewer.reload()
    viewer.get_by_role("heading", name="This portal link cannot be used").wait_for()
    viewer.get_by_role("alert").filter(has_text="revoked").wait_for()
    assert viewer.evaluate("sessionStorage.length") == 0
    context.close()
    check_stayed_local(watch)
    assert my_endpoint["app_id"] == mine


def test_controls_act_and_errors_show_where_they_happened(
    dashboard: Any, stack: Stack, receiver: Receiver, shots: Path
) -> None:
    page = dashboard
    page.on("dialog", lambda dialog: dialog.accept())  # "Rotate the secret?" and the like
    versions = [{"name": "v0", "transform": "data"}, {"name": "v1"}]
    stack.client.post("/v1/event-types", json={"name": "deploy.done", "versions": versions})
    app = new_app(stack, "Versioned")
    new_endpoint(stack, app, f"{receiver.url}/legacy", version="v0")
    page.goto(f"{stack.base_url}/dashboard/apps/{app}")
    legacy_row = page.get_by_role("row").filter(has_text="/legacy")
    legacy_row.locator(".badge-warn", has_text="Legacy").wait_for()
    # The API's refusal shows under the field it names; a filter can be tried first.
    page.get_by_role("link", name="Add endpoint").click()
    # WPVIP's "Webhook Version": a choice among the catalogue's versions, current by default.
    page.locator("select#ep-version").wait_for()  # once the catalogue has loaded
    version = page.get_by_label("Webhook version", exact=True)
    assert version.input_value() == ""
    version.select_option("v0")
    assert version.input_value() == "v0"
    page.get_by_label("URL", exact=True).fill("ftp://example.com/hooks")
    page.get_by_label("Filter", exact=True).fill('{"$.data.amount": {"$gt": 100}}')
    page.get_by_role("button", name="Test filter").click()
    page.get_by_role("status").filter(has_text="Matches").wait_for()
    page.get_by_label("Filter", exact=True).fill('{"$.data.amount": {"$gt": 100000}}')
    page.get_by_role("button", name="Test filter").click()
    page.get_by_role("status").filter(has_text="Does not match").wait_for()
    page.get_by_role("button", name="Create endpoint").click()
    page.locator("#ep-url-error").wait_for()
    url_field = page.get_by_label("URL", exact=True)
    assert url_field.get_attribute("aria-invalid") == "true"
    assert url_field.evaluate("el => el === document.activeElement")
    shoot(page, shots / "endpoint-form-error.png")
    page.get_by_label("URL", exact=True).fill(f"{receiver.url}/billing")
    page.get_by_label("Filter", exact=True).fill("")
    page.get_by_role("button", name="Create endpoint").click()
    page.wait_for_url(re.compile(r"/endpoints/ep_\w+$"))
    ep = page.url.rsplit("/", 1)[1]
    deliveries(page).filter(has_text="webhook.ping").get_by_text("succeeded").wait_for()
    api_secret = f"/v1/apps/{app}/endpoints/{ep}/secret"
    # The secret: shown on request, rotated.
    page.get_by_role("button", name="Show secret").click()
    shown = page.get_by_role("textbox", name="Signing secret").input_value()
    assert shown == stack.client.get(api_secret).json()["secret"]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy signing secret").click()
    page.get_by_role("button", name="Copy signing secret").filter(has_text="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == shown
    page.get_by_role("button", name="Rotate secret").click()
    poll(
        lambda: page.get_by_role("textbox", name="Signing secret").input_value() != shown,
        timeout=30,
    )
    assert (
        page.get_by_role("textbox", name="Signing secret").input_value()
        == stack.client.get(api_secret).json()["secret"]
    )
    # A delivery that fails to its last retry, recovered from the page with the task's progress.
    receiver.respond = lambda _request: (503, b"down for maintenance")
    publish(stack, app, "deploy.done", {"env": "production"})
    deliveries(page).filter(has_text="exhausted").wait_for()
    receiver.respond = lambda _request: (200, b"ok")
    page.get_by_role("button", name="Recover", exact=True).click()
    page.get_by_role("status").filter(has_text="1 message sent again").wait_for()
    page.locator(".task-line").filter(has_text="done").wait_for()
    deliveries(page).first.get_by_text("succeeded").wait_for()
    # Its dead letter, sent again from the dead-letter page.
    page.goto(f"{stack.base_url}/dashboard/dead-letters")
    row = page.get_by_role("row").filter(has_text=ep)
    row.get_by_role("button", name=re.compile("^Redrive")).click()
    row.get_by_text("Sent again").wait_for()
    # A received request appears on its source's open page, and is resubmitted.
    src = source(stack, name="Shop", provider="generic", verification={"type": "none"})
    page.goto(f"{stack.base_url}/dashboard/sources/{src['id']}")
    page.get_by_text("Nothing received yet").wait_for()
    received = send(stack, f"/in/{src['id']}/orders", json={"order": 1}).json()["id"]
    page.get_by_role("link", name="POST /orders").click()
    page.wait_for_url(re.compile(rf"/dashboard/inbound/{received}$"))
    page.get_by_role("button", name="Resubmit").click()
    again = page.get_by_role("status").get_by_role("link")
    assert again.inner_text().startswith("in_") and again.inner_text() != received

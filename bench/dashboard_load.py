"""How long the dashboard's pages take to load with many attempts in the log.

    python bench/dashboard_load.py [--attempts 10000] [--runs 3]

Publishes ``--attempts`` messages to one app with one loopback endpoint, waits until every
delivery's attempt is in the log, then opens each main page in the system's headless Chromium
(as the browser tests do) and prints, per page, the time from navigation to the page showing
its data (heading and rows rendered, nothing left loading): the best and the worst of
``--runs`` loads. Uses ``HOOKBUS_KAFKA_BOOTSTRAP`` when set, else starts the local broker.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.kafka_broker import start_test_broker  # noqa: E402
from tests.support.browser import launched, watched_context  # noqa: E402
from tests.support.receiver import Receiver  # noqa: E402
from tests.support.stack import Stack, poll  # noqa: E402

BATCH = 1000


def fill(stack: Stack, app: str, ep: str, total: int) -> float:
    """Publish ``total`` messages in batches; return seconds until all attempts are logged."""
    started = time.monotonic()
    for start in range(0, total, BATCH):
        messages = [
            {"event_type": "invoice.paid", "payload": {"invoice_id": f"inv_{n}", "amount": n}}
            for n in range(start, min(total, start + BATCH))
        ]
        answer = stack.client.post(f"/v1/apps/{app}/messages/batch", json={"messages": messages})
        assert answer.status_code == 202, answer.text

    def logged() -> bool:
        stats = stack.client.get(f"/v1/apps/{app}/endpoints/{ep}/stats").json()
        return int(stats["succeeded"]) >= total

    poll(logged, timeout=1800, interval=2)
    return time.monotonic() - started


def measure(stack: Stack, pages: dict[str, str], runs: int) -> dict[str, list[float]]:
    """Milliseconds per page load, ``runs`` times each."""
    timings: dict[str, list[float]] = {name: [] for name in pages}
    with launched() as browser:
        context, _ = watched_context(browser, viewport={"width": 1280, "height": 860})
        page = context.new_page()
        page.goto(f"{stack.base_url}/dashboard/")
        page.get_by_label("Token").fill(stack.token)
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="Apps", exact=True).wait_for()
        for _ in range(runs):
            for name, path in pages.items():
                started = time.perf_counter()
                page.goto(f"{stack.base_url}/dashboard{path}")
                page.locator("main table tbody tr").first.wait_for(timeout=60_000)
                page.wait_for_function("!document.querySelector('.loading')", timeout=60_000)
                timings[name].append((time.perf_counter() - started) * 1000)
        context.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    bootstrap, stop_broker = start_test_broker()
    with Receiver() as receiver, tempfile.TemporaryDirectory() as data:
        stack = Stack(bootstrap, Path(data)).start()
        try:
            app = stack.client.post("/v1/apps", json={"name": "Bench"}).json()["id"]
            ep = stack.client.post(
                f"/v1/apps/{app}/endpoints", json={"url": receiver.url, "ping": False}
            ).json()["id"]
            seconds = fill(stack, app, ep, args.attempts)
            print(f"{args.attempts} attempts logged in {seconds:.1f} s")
            message = stack.client.get(f"/v1/apps/{app}/messages", params={"limit": 1}).json()
            pages = {
                "apps": "/apps",
                "app (endpoints, success rate)": f"/apps/{app}",
                "endpoint (deliveries, chart)": f"/apps/{app}/endpoints/{ep}",
                "messages": f"/apps/{app}/messages",
                "message (attempts)": f"/apps/{app}/messages/{message['data'][0]['id']}",
            }
            for name, times in measure(stack, pages, args.runs).items():
                print(f"{name:32} best {min(times):6.0f} ms   worst {max(times):6.0f} ms")
        finally:
            stack.stop()
            stop_broker()


if __name__ == "__main__":
    main()

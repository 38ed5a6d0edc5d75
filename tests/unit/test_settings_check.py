"""Start-up settings: a bad value stops the process with one line naming the variable, the
value and what is allowed, exit code 2 (a bad duration was a traceback, a port past 65535
listened on a random one, a negative body limit was accepted)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from shared.settings import Settings, SettingsError
from shared.settings_check import RULES, UNCHECKED, check_env
from tests.support.stack import REPO
from tests.unit.test_readme_settings import Recording

BAD = {
    "ADMIN_TOKEN": "two words",
    "HTTP_HOST": " ",
    "HTTP_PORT": "99999",
    "AUDIT_PORT": "0",
    "ROUTER_PORT": "-1",
    "DISPATCHER_PORT": "eighty",
    "AUDIT_URL": "127.0.0.1:8081",
    "KAFKA_BOOTSTRAP": "localhost",
    "TOPIC_PREFIX": "hook bus/",
    "PARTITIONS": "0",
    "REPLICATION_FACTOR": "1.5",
    "DATABASE_URL": "mysql://x",
    "RETRY_SCHEDULE": "5s,0s",
    "ALLOW_PRIVATE_DESTINATIONS": "maybe",
    "MAX_PAYLOAD_BYTES": "1e6",
    "DELIVERY_CONCURRENCY": "0",
    "SECRET_GRACE": "-1s",
    "DISABLE_AFTER": "0",
    "RETRY_AFTER_MAX": "forever",
    "LOG_LEVEL": "loud",
    "RETENTION": "7 days",
    "RETENTION_INTERVAL": "0s",
    "INSTANCE_ID": "a/b",
    "DEDUPE_WINDOW": "soon",
    "VERDICT_TIMEOUT": "5 s s",
    "SECRET_KEY": "c2hvcnQ=",
    "MAX_BODY": "-1",
    "SYNC_TIMEOUT": "0ms",
    "PUBLIC_URL": "hooks.example.com",
    "STREAM_KEEPALIVE": "0s",
    "TASK_PAGE_SIZE": "0",
}
SECRET = {"ADMIN_TOKEN", "DATABASE_URL", "SECRET_KEY"}


def test_every_rule_has_a_bad_value_here() -> None:
    assert set(BAD) == set(RULES)


def test_every_variable_the_settings_read_has_a_rule() -> None:
    env = Recording()
    Settings.from_env(env)
    read = {name.removeprefix("HOOKBUS_") for name in env.asked if name.startswith("HOOKBUS_")}
    assert read - UNCHECKED == set(RULES), "add a rule to shared/settings_check.py"


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_value_is_refused_naming_variable_value_and_what_is_allowed(name: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({f"HOOKBUS_{name}": BAD[name]})
    line = str(refused.value)
    assert line.startswith(f"HOOKBUS_{name}=") and "expected" in line and "\n" not in line
    assert (BAD[name] in line) is (name not in SECRET), line


def test_good_values_pass() -> None:
    good = {
        "HTTP_PORT": "65535",
        "KAFKA_BOOTSTRAP": "kafka-0:9092, kafka-1:9092,[::1]:9092",
        "DATABASE_URL": "postgresql+psycopg://u:p@db/hookbus",
        "RETRY_SCHEDULE": "1s,250ms",
        "RETENTION": "0",
        "SECRET_GRACE": "0s",
        "LOG_LEVEL": "debug",
        "TOPIC_PREFIX": "",
    }
    check_env({f"HOOKBUS_{name}": value for name, value in good.items()})
    assert Settings.from_env({"HOOKBUS_HTTP_PORT": "65535"}).http_port == 65535


@pytest.mark.parametrize(
    ("variable", "value"),
    [("HOOKBUS_HTTP_PORT", "99999"), ("HOOKBUS_DEDUPE_WINDOW", "soon"), ("HOOKBUS_MAX_BODY", "-1")],
)
def test_the_command_exits_2_with_one_line(variable: str, value: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), variable: value}
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "serve", "ingress"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"hookbus: {variable}={value!r} is not allowed: expected {RULES[variable[8:]].allowed}"
    ]

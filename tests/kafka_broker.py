"""Pytest plugin: one real Kafka broker for the whole test session.

Loaded by ``tests/conftest.py`` (``pytest_plugins = ["tests.kafka_broker"]``). The session fixture
``kafka_bootstrap`` (and :func:`start_test_broker` for other code) takes the broker from, in order:

1. ``HOOKBUS_KAFKA_BOOTSTRAP`` when set: an existing broker, never stopped by the tests;
2. a Docker engine, when one answers a ping: the ``apache/kafka`` image via testcontainers;
3. otherwise :class:`shared.local_kafka.LocalBroker` (needs java and, once, mvn; no Docker).

The fixture exports the bootstrap as ``HOOKBUS_KAFKA_BOOTSTRAP`` so that services the tests start
as subprocesses find the same broker.

pytest-xdist: every worker is its own process with its own session fixtures, so each would start
a broker. Instead the controller makes sure all workers share a run id (``--testrunuid``, seen by
workers as ``PYTEST_XDIST_TESTRUNUID``). The first worker that needs Kafka starts the broker,
detached from itself, under a file lock and records it in ``<tmp>/hookbus-kafka-<run id>.json``;
the other workers read the bootstrap from that file. No worker stops it, since none knows whether
the others are done: the controller stops it in ``pytest_unconfigure``, after all workers exited.
If the controller itself is killed, the broker keeps running; the state file names its pid (or
container id) for manual cleanup.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import logging
import os
import re
import shutil
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from shared.local_kafka import (
    KAFKA_VERSION,
    SINGLE_NODE_SETTINGS,
    LocalBroker,
    LocalKafkaError,
    broker_ready,
    new_cluster_id,
    stop_broker_process,
)

if TYPE_CHECKING:
    from testcontainers.core.container import DockerContainer

logger = logging.getLogger(__name__)

BOOTSTRAP_ENV = "HOOKBUS_KAFKA_BOOTSTRAP"
DOCKER_IMAGE = f"apache/kafka:{KAFKA_VERSION}"
XDIST_RUN_ID_ENV = "PYTEST_XDIST_TESTRUNUID"

_START_TIMEOUT_S = 120.0
_DOCKER_PING_TIMEOUT_S = 3
_CONTAINER_PORT = 9092
_ADVERTISED_LISTENERS_FILE = "/tmp/hookbus-advertised-listeners.sh"
_SHARED_RUN_ID = pytest.StashKey[str]()

StopBroker = Callable[[], None]


@dataclass(frozen=True)
class _Broker:
    bootstrap: str
    stop: StopBroker
    # JSON description letting another process stop this broker (the xdist controller).
    record: dict[str, Any]


# Detached brokers (xdist) are referenced until the worker exits, so their Popen objects are
# never garbage collected while running (which warns).
_detached: list[_Broker] = []


def start_test_broker() -> tuple[str, Callable[[], None]]:
    """Find or start a Kafka broker for tests; return its bootstrap and a function stopping it.

    Order: ``HOOKBUS_KAFKA_BOOTSTRAP`` (the stop function then does nothing), a Docker engine,
    a local broker. Blocks until the broker serves clients: a few seconds, plus a one-time
    Maven download of the jars for the first local broker. Raises
    :class:`shared.local_kafka.LocalKafkaError` (or a Docker error) when no broker can start.
    """
    broker = _start_broker(detached=False)
    return broker.bootstrap, broker.stop


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """``host:port`` of the session's Kafka broker, also exported as HOOKBUS_KAFKA_BOOTSTRAP."""
    configured = os.environ.get(BOOTSTRAP_ENV)
    if configured:
        yield configured
        return
    run_id = os.environ.get(XDIST_RUN_ID_ENV)
    stop: StopBroker = _do_nothing
    if run_id:
        bootstrap = _shared_broker(run_id)
    else:
        bootstrap, stop = start_test_broker()
    os.environ[BOOTSTRAP_ENV] = bootstrap
    try:
        yield bootstrap
    finally:
        os.environ.pop(BOOTSTRAP_ENV, None)
        stop()


def pytest_configure(config: pytest.Config) -> None:
    """In an xdist controller, fix the run id shared by the workers (see the module docstring)."""
    if hasattr(config, "workerinput") or getattr(config.option, "dist", "no") == "no":
        return
    # xdist would generate the id itself later; setting it first lets us know it here.
    if getattr(config.option, "testrunuid", None) is None:
        config.option.testrunuid = uuid.uuid4().hex
    config.stash[_SHARED_RUN_ID] = str(config.option.testrunuid)


def pytest_unconfigure(config: pytest.Config) -> None:
    """In an xdist controller, stop the broker the workers shared, if one was started."""
    run_id = config.stash.get(_SHARED_RUN_ID, None)
    if run_id is None:
        return
    try:
        _stop_shared_broker(run_id)
    except Exception:
        # Failing here would turn a finished test run into an INTERNALERROR.
        logger.exception("could not stop the shared Kafka broker of run %s", run_id)


def _do_nothing() -> None:
    """Stop function for a broker the tests do not own."""


def _start_broker(detached: bool) -> _Broker:
    configured = os.environ.get(BOOTSTRAP_ENV)
    if configured:
        return _Broker(configured, _do_nothing, {"kind": "external"})
    if _docker_available():
        return _start_docker_broker(detached)
    return _start_local_broker()


def _start_local_broker() -> _Broker:
    broker = LocalBroker()
    bootstrap = broker.start(timeout=_START_TIMEOUT_S)
    record = {"kind": "local", "pid": broker.pid, "data_dir": str(broker.data_dir)}
    return _Broker(bootstrap, broker.stop, record)


def _docker_available() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=_DOCKER_PING_TIMEOUT_S)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception as exc:
        # No package, no socket, engine down or refusing us: all mean "use a local broker".
        logger.debug("no usable Docker engine (%s): using a local Kafka broker", exc)
        return False


def _start_docker_broker(detached: bool) -> _Broker:
    # testcontainers' KafkaContainer only drives Confluent images (its start script runs
    # /etc/confluent/docker/*, and with_kraft() rejects tags below 7.0.0), so the apache/kafka
    # image is configured here through its KAFKA_* environment variables instead.
    from testcontainers.core.config import testcontainers_config
    from testcontainers.core.container import DockerContainer

    if detached:
        # Ryuk removes containers once the process that started them exits, but an xdist worker
        # may finish before the others; the controller removes the container instead.
        testcontainers_config.ryuk_disabled = True
    container = DockerContainer(DOCKER_IMAGE).with_exposed_ports(_CONTAINER_PORT)
    for key, value in _docker_environment().items():
        container.with_env(key, value)
    # The advertised address must be the host port Docker maps, known only once the container
    # runs: the broker waits for a file carrying it (the same trick KafkaContainer uses).
    wait_then_run = (
        f"while [ ! -f {_ADVERTISED_LISTENERS_FILE} ]; do sleep 0.1; done; "
        f". {_ADVERTISED_LISTENERS_FILE}; exec /etc/kafka/docker/run"
    )
    container.with_command(["sh", "-c", wait_then_run])
    container.start()
    try:
        host = container.get_container_host_ip()
        port = int(container.get_exposed_port(_CONTAINER_PORT))
        listeners = f"export KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://{host}:{port}\n"
        _put_file(container, _ADVERTISED_LISTENERS_FILE, listeners)
        _wait_for_container_broker(container, host, port)
    except BaseException:
        container.stop()
        raise
    record = {"kind": "docker", "container_id": str(container.get_wrapped_container().id)}
    return _Broker(f"{host}:{port}", container.stop, record)


def _docker_environment() -> dict[str, str]:
    environment = {
        "CLUSTER_ID": new_cluster_id(),
        "KAFKA_HEAP_OPTS": "-Xmx512m -Xms256m",
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": f"PLAINTEXT://:{_CONTAINER_PORT},CONTROLLER://:9093",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
    }
    for setting, value in SINGLE_NODE_SETTINGS.items():
        environment[_docker_variable(setting)] = value
    return environment


def _docker_variable(setting: str) -> str:
    # The apache/kafka image's naming rule: "_" -> "__", "-" -> "___", "." -> "_", upper case.
    name = setting.replace("_", "__").replace("-", "___").replace(".", "_")
    return "KAFKA_" + name.upper()


def _put_file(container: DockerContainer, path: str, text: str) -> None:
    data = text.encode()
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        info = tarfile.TarInfo(name=os.path.basename(path))
        info.size = len(data)
        info.mode = 0o644  # the image runs as an unprivileged user; the file arrives root-owned
        info.mtime = int(time.time())
        tar.addfile(info, io.BytesIO(data))
    container.get_wrapped_container().put_archive(os.path.dirname(path), archive.getvalue())


def _wait_for_container_broker(container: DockerContainer, host: str, port: int) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not broker_ready(host, port):
        if time.monotonic() > deadline:
            stdout, stderr = container.get_logs()
            tail = (stdout + stderr).decode(errors="replace").splitlines()[-30:]
            raise LocalKafkaError(
                f"the {DOCKER_IMAGE} container was not ready in time:\n" + "\n".join(tail)
            )
        time.sleep(0.2)


def _shared_paths(run_id: str) -> tuple[Path, Path]:
    safe_id = re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)
    base = Path(tempfile.gettempdir()) / f"hookbus-kafka-{safe_id}"
    return base.with_suffix(".json"), base.with_suffix(".lock")


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _shared_broker(run_id: str) -> str:
    """Return the bootstrap of the run's shared broker, starting it if no worker did yet.

    Blocks while another worker starts it (the lock is held for the whole start).
    """
    state_path, lock_path = _shared_paths(run_id)
    with _locked(lock_path):
        if state_path.exists():
            return str(json.loads(state_path.read_text(encoding="utf-8"))["bootstrap"])
        broker = _start_broker(detached=True)
        _detached.append(broker)
        state = {"bootstrap": broker.bootstrap, **broker.record}
        state_path.write_text(json.dumps(state), encoding="utf-8")
        logger.info("started the shared Kafka broker of run %s: %s", run_id, state)
        return broker.bootstrap


def _stop_shared_broker(run_id: str) -> None:
    state_path, lock_path = _shared_paths(run_id)
    try:
        record = json.loads(state_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return  # no worker needed Kafka
    if record.get("kind") == "local":
        stop_broker_process(int(record["pid"]))
        shutil.rmtree(record["data_dir"], ignore_errors=True)
    elif record.get("kind") == "docker":
        import docker

        client = docker.from_env()
        try:
            client.containers.get(record["container_id"]).remove(force=True)
        finally:
            client.close()
    state_path.unlink(missing_ok=True)
    lock_path.unlink(missing_ok=True)

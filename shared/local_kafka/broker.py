"""A real single-node KRaft Kafka broker (broker and controller in one JVM) as a child process."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import logging
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from shared.local_kafka.errors import LocalKafkaError
from shared.local_kafka.install import LOG4J_CONFIG_PATH, classpath, find_java, install
from shared.local_kafka.probe import broker_ready
from shared.parent_death import dies_with_parent

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"

# Broker settings for one node on a small machine, independent of ports and paths. Reused by the
# test plugin for the Docker image so both brokers behave alike.
SINGLE_NODE_SETTINGS: Mapping[str, str] = {
    "num.partitions": "1",
    "default.replication.factor": "1",
    "min.insync.replicas": "1",
    # Topics are created explicitly by hookbus; a typo must fail instead of making a new topic.
    "auto.create.topics.enable": "false",
    # Internal topics default to replication 3, which one node can never satisfy.
    "offsets.topic.replication.factor": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    # Fewer internal partitions: creating 50 of each delays the first consumer group/transaction.
    "offsets.topic.num.partitions": "4",
    "transaction.state.log.num.partitions": "4",
    # A consumer group must not wait 3 s for more members that will never come.
    "group.initial.rebalance.delay.ms": "0",
    # Defaults assume a big server; a 2-core test machine does better with fewer threads.
    "num.network.threads": "2",
    "num.io.threads": "4",
    "num.recovery.threads.per.data.dir": "1",
    "background.threads": "4",
}

_NODE_ID = "1"
_DEFAULT_HEAP = "-Xmx512m -Xms256m"
# C1 only (TieredStopAtLevel=1) starts the JVM noticeably faster; peak throughput does not
# matter for a development broker. Override everything with KAFKA_HEAP_OPTS / KAFKA_OPTS.
_JVM_OPTIONS = (
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
)
_FORMAT_TIMEOUT_S = 120.0
_POLL_INTERVAL_S = 0.2
_LOG_TAIL_LINES = 30
_STACK_FRAME = re.compile(r"\s+(at |\.\.\. \d+ more)")


def free_ports(count: int) -> list[int]:
    """Return ``count`` distinct TCP ports on 127.0.0.1 that were free a moment ago.

    Another process can still take one before Kafka binds it; the broker then fails to start
    with "Address already in use" in the error message.
    """
    sockets: list[socket.socket] = []
    try:
        # All sockets stay open until every port is chosen, so the ports differ.
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind((HOST, 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def new_cluster_id() -> str:
    """Return a random KRaft cluster id (16 random bytes, URL-safe base64 without padding)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode("ascii")
        # Like Kafka's Uuid.randomUuid(): an id starting with "-" reads as an option to the
        # storage tool's argument parser (1 in 64 ids would fail to format).
        if not cluster_id.startswith("-"):
            return cluster_id


def stop_broker_process(pid: int, timeout: float = 30.0) -> None:
    """Stop a broker started by :class:`LocalBroker` in another process, given its pid.

    Sends SIGTERM to its process group, waits up to ``timeout`` seconds, then SIGKILLs it. Does
    nothing if the pid is gone or no longer a Kafka broker (pids are reused). Blocks until done.
    """
    if not _is_kafka_process(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    if _wait_until_gone(pid, timeout):
        return
    logger.warning("Kafka broker %d ignored SIGTERM for %.0fs; killing it", pid, timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    _wait_until_gone(pid, 10.0)


class LocalBroker:
    """A single-node KRaft broker run from the jars installed by :func:`install`.

    With ``data_dir=None`` the broker lives in a temporary directory removed by :meth:`stop`;
    with a ``data_dir`` its topics survive restarts. ``port=None`` picks a free port. ``tied``
    stops the broker when this process dies, even by SIGKILL (start it from the main thread).
    Use it as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self, data_dir: Path | None = None, port: int | None = None, tied: bool = False
    ) -> None:
        self._requested_data_dir = data_dir
        self._requested_port = port
        self._tied = tied
        self._data_dir: Path | None = None
        self._port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._console: IO[bytes] | None = None
        self._data_dir_lock: IO[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """The ``host:port`` clients connect to. Raises :class:`LocalKafkaError` before start."""
        if self._port is None or self._process is None:
            raise LocalKafkaError("the local Kafka broker is not started")
        return f"{HOST}:{self._port}"

    @property
    def pid(self) -> int | None:
        """The broker's process id (also its process group id), or None when not running."""
        return None if self._process is None else self._process.pid

    @property
    def data_dir(self) -> Path | None:
        """The folder holding server.properties, the data and ``logs/``; None before start."""
        return self._data_dir

    def start(self, timeout: float = 90.0) -> str:
        """Start the broker and return its bootstrap address once it serves clients.

        Blocks: first while the jars are installed if needed (not counted in ``timeout``), then
        up to ``timeout`` seconds for the broker. Raises :class:`LocalKafkaError` if java or mvn
        is missing, formatting fails, or the broker exits or is not ready in time (the message
        quotes its log). A failed start leaves nothing running.
        """
        if self._process is not None:
            raise LocalKafkaError(f"the local Kafka broker already runs at {self.bootstrap}")
        install()
        java = find_java()
        deadline = time.monotonic() + timeout
        try:
            data_dir = self._prepare_data_dir()
            self._data_dir_lock = _lock_data_dir(data_dir)
            port, controller_port = self._choose_ports()
            properties = _write_server_properties(data_dir, port, controller_port)
            if not _is_formatted(data_dir):
                _format_storage(java, properties, data_dir)
            self._port = port
            self._spawn(java, properties, data_dir)
            self._wait_until_ready(deadline)
        except BaseException:
            # Also on KeyboardInterrupt: never leave a half-started JVM behind.
            self.stop()
            raise
        logger.info("Kafka broker ready at %s (data in %s)", self.bootstrap, data_dir)
        return self.bootstrap

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the broker: SIGTERM, wait up to ``timeout`` seconds, then SIGKILL.

        Blocks until the process is gone. Removes the data folder if it was a temporary one.
        Safe to call more than once, and on a broker that never started.
        """
        process, self._process = self._process, None
        if process is not None:
            _terminate(process, timeout)
        for handle in (self._console, self._data_dir_lock):
            if handle is not None:
                handle.close()  # closing also releases the data folder's flock
        self._console = self._data_dir_lock = None
        if self._requested_data_dir is None and self._data_dir is not None:
            shutil.rmtree(self._data_dir, ignore_errors=True)
            self._data_dir = None
        self._port = None

    def poll(self) -> int | None:
        """Return the broker's exit code if it has exited, else None. Never blocks."""
        return None if self._process is None else self._process.poll()

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """Return the last lines of the broker's console output and server.log, for errors."""
        if self._data_dir is None:
            return ""
        logs = self._data_dir / "logs"
        return (
            f"--- {logs / 'broker.out'} ---\n{_tail(logs / 'broker.out', lines)}\n"
            f"--- {logs / 'server.log'} ---\n{_tail(logs / 'server.log', lines)}"
        )

    def __enter__(self) -> Self:
        if self._process is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _prepare_data_dir(self) -> Path:
        if self._requested_data_dir is None:
            self._data_dir = Path(tempfile.mkdtemp(prefix="hookbus-kafka-"))
        else:
            self._data_dir = self._requested_data_dir.expanduser().resolve()
        (self._data_dir / "logs").mkdir(parents=True, exist_ok=True)
        return self._data_dir

    def _choose_ports(self) -> tuple[int, int]:
        if self._requested_port is None:
            port, controller_port = free_ports(2)
            return port, controller_port
        # Checked up front: if another broker already listens there, the readiness probe would
        # happily talk to it while ours fails to bind.
        _ensure_port_free(self._requested_port)
        controller_port = next(p for p in free_ports(2) if p != self._requested_port)
        return self._requested_port, controller_port

    def _spawn(self, java: str, properties: Path, data_dir: Path) -> None:
        command = [
            java,
            *_jvm_options(data_dir),
            "-cp",
            classpath(),
            "kafka.Kafka",
            str(properties),
        ]
        logger.debug("starting %s", shlex.join(command))
        # Kept open for the broker's lifetime and closed in stop(), hence no "with".
        self._console = open(data_dir / "logs" / "broker.out", "ab")  # noqa: SIM115
        # Its own session/process group: Ctrl-C in a terminal reaches only us, and we stop the
        # broker in order; stop() signals the whole group.
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._console,
            stderr=subprocess.STDOUT,
            cwd=data_dir,
            start_new_session=True,
            preexec_fn=dies_with_parent() if self._tied else None,
        )

    def _wait_until_ready(self, deadline: float) -> None:
        assert self._process is not None and self._port is not None
        while True:
            exit_code = self._process.poll()
            if exit_code is not None:
                raise LocalKafkaError(
                    f"the Kafka broker exited with code {exit_code} while starting\n"
                    + self.log_tail()
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LocalKafkaError(
                    f"the Kafka broker on port {self._port} was not ready in time\n"
                    + self.log_tail()
                )
            if broker_ready(HOST, self._port, timeout=min(2.0, remaining)):
                return
            time.sleep(_POLL_INTERVAL_S)


def _lock_data_dir(data_dir: Path) -> IO[bytes]:
    # A second broker on the same folder would rewrite server.properties under the first one
    # and, although Kafka's own lock makes it exit, leave the first unable to shut down.
    handle = open(data_dir / ".hookbus-broker.lock", "a+b")  # noqa: SIM115
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise LocalKafkaError(f"{data_dir} is in use by another local Kafka broker") from None
    return handle


def _ensure_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Same option the broker's acceptor uses, so a port in TIME_WAIT counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            raise LocalKafkaError(f"port {port} on {HOST} is already in use: {exc}") from exc


def _write_server_properties(data_dir: Path, port: int, controller_port: int) -> Path:
    settings = {
        "process.roles": "broker,controller",
        "node.id": _NODE_ID,
        # Kafka 4 dynamic quorum: the voter set lives in the metadata log (format --standalone),
        # and the node updates its own endpoint when the controller port changes between runs.
        "controller.quorum.bootstrap.servers": f"{HOST}:{controller_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(data_dir / "kraft-logs"),
        **SINGLE_NODE_SETTINGS,
    }
    path = data_dir / "server.properties"
    lines = ["# Written by shared.local_kafka on every start; edits are overwritten."]
    lines += [f"{key}={_escape_property(value)}" for key, value in settings.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _escape_property(value: str) -> str:
    # java.util.Properties treats a backslash as an escape character.
    return value.replace("\\", "\\\\")


def _is_formatted(data_dir: Path) -> bool:
    return (data_dir / "kraft-logs" / "meta.properties").is_file()


def _format_storage(java: str, properties: Path, data_dir: Path) -> None:
    command = [
        java,
        *_jvm_options(data_dir),
        "-cp",
        classpath(),
        "kafka.tools.StorageTool",
        "format",
        "--cluster-id",
        new_cluster_id(),
        "--config",
        str(properties),
        "--standalone",
    ]
    logger.debug("formatting %s", data_dir)
    try:
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_FORMAT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LocalKafkaError(f"formatting Kafka storage in {data_dir} failed: {exc}") from exc
    if result.returncode != 0:
        # The head names the problem; the rest is usually a long Java stack trace.
        output = (result.stdout + result.stderr).strip().splitlines()[:_LOG_TAIL_LINES]
        raise LocalKafkaError(
            f"formatting Kafka storage in {data_dir} failed (exit {result.returncode}):\n"
            + "\n".join(output)
        )


def _jvm_options(data_dir: Path) -> list[str]:
    heap = shlex.split(os.environ.get("KAFKA_HEAP_OPTS") or _DEFAULT_HEAP)
    extra = shlex.split(os.environ.get("KAFKA_OPTS", ""))
    logging_options = [
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG_PATH}",
        f"-Dkafka.logs.dir={data_dir / 'logs'}",
    ]
    return [*heap, *_JVM_OPTIONS, *logging_options, *extra]


def _terminate(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
        return
    except subprocess.TimeoutExpired:
        logger.warning(
            "Kafka broker %d ignored SIGTERM for %.0fs; killing it", process.pid, timeout
        )
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _is_kafka_process(pid: int) -> bool:
    if not Path("/proc").is_dir():
        return _is_alive(pid)  # no /proc (macOS): trust the recorded pid
    try:
        return b"kafka.Kafka" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _wait_until_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _is_alive(pid):
            return True
        time.sleep(_POLL_INTERVAL_S)
    return not _is_alive(pid)


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return True
    # A zombie has exited; its parent (maybe a test worker that is still finishing) has just
    # not reaped it yet.
    return state != "Z"


def _tail(path: Path, lines: int) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return "(no output)"
    # Stack frames would push the lines naming the problem out of the tail.
    kept = [line for line in text.splitlines() if not _STACK_FRAME.match(line)]
    return "\n".join(kept[-lines:])

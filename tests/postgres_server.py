"""Pytest plugin: one throwaway PostgreSQL server for the whole test session.

Loaded by ``tests/conftest.py``. The session fixture ``postgres_url`` is the SQLAlchemy URL of a
superuser connection to a server, taken from, in order:

1. ``HOOKBUS_TEST_POSTGRES_URL`` when set: an existing server, never stopped by the tests;
2. PostgreSQL's own programs (``initdb``, ``pg_ctl``) on the PATH or where distributions put
   them (``/usr/lib/postgresql/<n>/bin``, ``/usr/pgsql-<n>/bin``): a fresh cluster in a temporary
   directory, on a free loopback port, with durability off (it is thrown away);
3. otherwise the fixture skips, naming what it looked for.

Tests never share data: ``database_url`` gives each test its own database (``CREATE DATABASE``),
dropped afterwards, for the SQLite and the PostgreSQL variant of the audit tests.

``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres`` user (or
``nobody`` where there is none), and its programs run as that user.

pytest-xdist: as for the Kafka broker (see ``tests/kafka_broker.py``), the first worker that
needs the server starts it, detached, under a file lock, and records it in
``<tmp>/hookbus-postgres-<run id>.json``; the other workers read the URL from there, and the
controller stops the server in ``pytest_unconfigure`` once every worker has exited.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import logging
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

URL_ENV = "HOOKBUS_TEST_POSTGRES_URL"
XDIST_RUN_ID_ENV = "PYTEST_XDIST_TESTRUNUID"
SEARCHED = ("PATH", "/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin")
# Throwaway data: no fsync, no full-page writes; enough connections for two workers' pools.
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}
_START_TRIES = 3
_START_TIMEOUT_S = 60
_RUN_ID = pytest.StashKey[str]()


class NoPostgres(RuntimeError):
    """No PostgreSQL server could be found or started."""


@dataclass(frozen=True)
class Cluster:
    """A cluster this process started: where it lives and who runs its programs."""

    url: str
    base: Path
    bindir: Path
    owner: tuple[int, int] | None  # (uid, gid) its programs run as; None: this process's user

    def record(self) -> dict[str, object]:
        """JSON that lets another process stop it (see :func:`stop_recorded`)."""
        owner = None if self.owner is None else list(self.owner)
        return {"url": self.url, "base": str(self.base), "bindir": str(self.bindir), "owner": owner}

    def stop(self) -> None:
        """Stop the server at once and delete its files."""
        stop_recorded(self.record())


def find_bindir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``, newest version first; None if none."""
    found = shutil.which("pg_ctl")
    candidates = [Path(found).resolve().parent] if found else []
    for pattern in SEARCHED[1:]:
        candidates += sorted((Path(p) for p in glob.glob(pattern)), key=_version, reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    return None


def _version(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", str(path)))


def _owner() -> tuple[int, int] | None:
    """The (uid, gid) of an unprivileged user to run PostgreSQL as when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            user = pwd.getpwnam(name)
            return user.pw_uid, user.pw_gid
    raise NoPostgres("running as root and no unprivileged user (postgres, nobody) to run initdb")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run(command: list[str], owner: tuple[int, int] | None, base: Path, what: str) -> None:
    """Run a PostgreSQL program as ``owner``, in ``base`` (a directory that user may enter)."""
    uid, gid = owner if owner is not None else (None, None)
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=_START_TIMEOUT_S * 2,
            cwd=base,
            user=uid,
            group=gid,
            extra_groups=[] if owner is not None else None,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise NoPostgres(f"{what} could not run: {exc}") from exc
    if done.returncode != 0:
        raise NoPostgres(f"{what} failed ({done.returncode}): {done.stdout}{done.stderr}")


def start_cluster() -> Cluster:
    """initdb a cluster in a new temporary directory and start it; block until it answers.

    Raises :class:`NoPostgres` when the programs are missing or the server does not start.
    """
    bindir = find_bindir()
    if bindir is None:
        raise NoPostgres(f"no initdb/pg_ctl found (looked in {', '.join(SEARCHED)})")
    owner = _owner()
    base = Path(tempfile.mkdtemp(prefix="hookbus-pg-"))
    if owner is not None:
        os.chown(base, *owner)
    data = base / "data"
    try:
        initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
        _run([*initdb, "-E", "UTF8", "--locale=C", "--no-sync"], owner, base, "initdb")
        for _ in range(_START_TRIES):
            port = _free_port()  # another process may take it first: then try another
            options = " ".join(f"-c {k}={v}" for k, v in SERVER_SETTINGS.items())
            start = [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log")]
            start += ["-w", "-t", str(_START_TIMEOUT_S), "-o", f"-p {port} -k {base} {options}"]
            try:
                _run([*start, "start"], owner, base, "pg_ctl start")
            except NoPostgres:
                logger.warning("PostgreSQL did not start on port %s, trying another", port)
                continue
            url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
            return Cluster(url, base, bindir, owner)
        log = (base / "server.log").read_text(errors="replace")[-2000:]
        raise NoPostgres(f"PostgreSQL did not start:\n{log}")
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise


def stop_recorded(record: dict[str, object]) -> None:
    """Stop the cluster a :meth:`Cluster.record` describes and delete its directory."""
    base = Path(str(record["base"]))
    pg_ctl = str(Path(str(record["bindir"])) / "pg_ctl")
    found = record.get("owner")
    owner = (int(found[0]), int(found[1])) if isinstance(found, list) else None
    with contextlib.suppress(NoPostgres):  # already gone: only the files are left to delete
        _run(
            [pg_ctl, "-D", str(base / "data"), "-m", "immediate", "-w", "stop"], owner, base, "stop"
        )
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a PostgreSQL superuser session; skips when there is no PostgreSQL."""
    configured = os.environ.get(URL_ENV)
    if configured:
        yield configured
        return
    run_id = os.environ.get(XDIST_RUN_ID_ENV)
    try:
        if run_id:
            yield _shared_cluster(run_id)
            return
        cluster = start_cluster()
    except NoPostgres as exc:
        pytest.skip(f"no PostgreSQL: {exc} (set {URL_ENV} to use a running server)")
    try:
        yield cluster.url
    finally:
        cluster.stop()


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server at ``server_url``; dropped afterwards."""
    name = f"hookbus_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty audit database URL: a SQLite file, then a PostgreSQL database (own per test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'audit.sqlite3'}"
        return
    server: str = request.getfixturevalue("postgres_url")
    with fresh_database(server) as url:
        yield url


def pytest_configure(config: pytest.Config) -> None:
    """In an xdist controller, fix the run id the workers share (as tests/kafka_broker.py)."""
    if hasattr(config, "workerinput") or getattr(config.option, "dist", "no") == "no":
        return
    if getattr(config.option, "testrunuid", None) is None:
        config.option.testrunuid = uuid.uuid4().hex
    config.stash[_RUN_ID] = str(config.option.testrunuid)


def pytest_unconfigure(config: pytest.Config) -> None:
    """In an xdist controller, stop the server the workers shared, if one was started."""
    run_id = config.stash.get(_RUN_ID, None)
    if run_id is None:
        return
    state_path, lock_path = _shared_paths(run_id)
    try:
        record = json.loads(state_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return  # no worker needed PostgreSQL
    try:
        if "base" in record:
            stop_recorded(record)
    except Exception:  # failing here would turn a finished run into an INTERNALERROR
        logger.exception("could not stop the shared PostgreSQL server of run %s", run_id)
    state_path.unlink(missing_ok=True)
    lock_path.unlink(missing_ok=True)


def _shared_paths(run_id: str) -> tuple[Path, Path]:
    safe_id = re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)
    base = Path(tempfile.gettempdir()) / f"hookbus-postgres-{safe_id}"
    return base.with_suffix(".json"), base.with_suffix(".lock")


def _shared_cluster(run_id: str) -> str:
    """The URL of the run's shared server, started by the first worker that asks.

    Blocks while another worker starts it; a failure to start is recorded too, so every
    worker skips at once with the same reason instead of trying again.
    """
    state_path, lock_path = _shared_paths(run_id)
    with open(lock_path, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        if not state_path.exists():
            try:
                state = start_cluster().record()
            except NoPostgres as exc:
                state = {"error": str(exc)}
            state_path.write_text(json.dumps(state), encoding="utf-8")
        state = json.loads(state_path.read_text(encoding="utf-8"))
    if "error" in state:
        raise NoPostgres(str(state["error"]))
    return str(state["url"])

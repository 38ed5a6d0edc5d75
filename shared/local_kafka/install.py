"""Install the pinned Kafka broker jars once, into a per-user cache, with Maven.

Layout of the cache (``$HOOKBUS_CACHE_DIR``, else ``~/.cache/hookbus``)::

    .install.lock                 flock(2)-ed while an install runs; never deleted
    kafka-4.1.1/pom.xml           the pom the jars were resolved from
    kafka-4.1.1/libs/*.jar        the broker's runtime classpath
    kafka-4.1.1/.installed.json   marker, written last: the install is complete

An install is resolved into a hidden sibling directory and renamed into place, so an interrupted
install never leaves a directory that looks complete.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from shared.local_kafka.errors import LocalKafkaError

logger = logging.getLogger(__name__)

KAFKA_VERSION = "4.1.1"
CACHE_DIR_ENV = "HOOKBUS_CACHE_DIR"

PACKAGE_DIR = Path(__file__).resolve().parent
POM_PATH = PACKAGE_DIR / "pom.xml"
LOG4J_CONFIG_PATH = PACKAGE_DIR / "log4j2.yaml"

_MARKER_NAME = ".installed.json"
_LOCK_NAME = ".install.lock"
_MAIN_JAR = f"kafka_2.13-{KAFKA_VERSION}.jar"
# Hidden siblings of the install dir: an install in progress, or an old install being replaced.
_STAGING_PREFIX = ".kafka-staging-"
_RETIRED_PREFIX = ".kafka-retired-"
_OUTPUT_TAIL_LINES = 40


def cache_dir() -> Path:
    """Return the hookbus cache directory (it may not exist yet)."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "hookbus"


def install_dir() -> Path:
    """Return the directory holding the installed Kafka version."""
    return cache_dir() / f"kafka-{KAFKA_VERSION}"


def libs_dir() -> Path:
    """Return the directory holding the broker's jars."""
    return install_dir() / "libs"


def classpath() -> str:
    """Return the ``java -cp`` value for the installed jars (a wildcard java expands itself)."""
    return str(libs_dir() / "*")


def is_installed() -> bool:
    """Tell whether the jars of the current pom.xml are installed. Cheap: reads one small file."""
    try:
        marker = json.loads((install_dir() / _MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    # A changed pom.xml (new dependency, new version) must trigger a fresh install.
    return isinstance(marker, dict) and marker.get("pom_sha256") == _pom_sha256()


def install() -> Path:
    """Make sure the Kafka jars are installed and return the directory holding them.

    Returns at once when they already are. Otherwise blocks while Maven downloads them (about
    45 MB; seconds to a few minutes depending on the network and ``~/.m2``), and also while
    another process holds the install lock. Raises :class:`LocalKafkaError` if ``mvn`` is
    missing or fails.
    """
    if is_installed():
        return libs_dir()
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    with _install_lock(root):
        # Another process may have finished the same install while we waited for the lock.
        if not is_installed():
            _remove_abandoned_attempts(root)
            _install_locked(root)
    return libs_dir()


def find_mvn() -> str:
    """Return the path of ``mvn`` on PATH; raises :class:`LocalKafkaError` when there is none."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalKafkaError(
            "Maven ('mvn') is not on PATH; it is needed once to download the Kafka "
            f"{KAFKA_VERSION} jars into {install_dir()}. Install Maven 3.6+ (and Java 17+)."
        )
    return mvn


def find_java() -> str:
    """Return the ``java`` to run Kafka with: ``$JAVA_HOME/bin/java`` if JAVA_HOME is set, else
    ``java`` on PATH. Raises :class:`LocalKafkaError` when neither exists."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if not os.access(candidate, os.X_OK):
            raise LocalKafkaError(f"JAVA_HOME is {java_home!r} but {candidate} is not executable")
        return str(candidate)
    java = shutil.which("java")
    if java is None:
        raise LocalKafkaError(
            f"'java' is not on PATH and JAVA_HOME is not set; Kafka {KAFKA_VERSION} needs Java 17+"
        )
    return java


def _pom_sha256() -> str:
    return hashlib.sha256(POM_PATH.read_bytes()).hexdigest()


@contextlib.contextmanager
def _install_lock(root: Path) -> Iterator[None]:
    # The lock file is never removed: deleting it would let a waiter lock an orphaned inode.
    with open(root / _LOCK_NAME, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("waiting for another process installing Kafka into %s", root)
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _remove_abandoned_attempts(root: Path) -> None:
    # Only called under the lock, so any staging directory left here belongs to a dead process.
    for leftover in root.iterdir():
        if leftover.name.startswith((_STAGING_PREFIX, _RETIRED_PREFIX)):
            logger.info("removing leftover %s", leftover)
            shutil.rmtree(leftover, ignore_errors=True)


def _install_locked(root: Path) -> None:
    mvn = find_mvn()
    started = time.monotonic()
    logger.info("installing Kafka %s jars into %s (first use only)", KAFKA_VERSION, install_dir())
    staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=root))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; the installed jars are not secret
        # Maven runs on a copy so nothing it writes lands in the (maybe read-only) package dir.
        pom = staging / "pom.xml"
        shutil.copyfile(POM_PATH, pom)
        _run_maven(mvn, pom, staging / "libs")
        if not (staging / "libs" / _MAIN_JAR).is_file():
            raise LocalKafkaError(
                f"Maven finished but {_MAIN_JAR} is missing: pom.xml and KAFKA_VERSION disagree"
            )
        marker = {"kafka_version": KAFKA_VERSION, "pom_sha256": _pom_sha256()}
        (staging / _MARKER_NAME).write_text(json.dumps(marker), encoding="utf-8")
        _move_into_place(staging, install_dir())
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("installed Kafka %s in %.1fs", KAFKA_VERSION, time.monotonic() - started)


def _run_maven(mvn: str, pom: Path, output_dir: Path) -> None:
    command = [
        mvn,
        "--batch-mode",
        "--quiet",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={output_dir}",
        "-DincludeScope=runtime",
    ]
    logger.debug("running %s", command)
    try:
        result = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise LocalKafkaError(f"could not run Maven ({mvn}): {exc}") from exc
    if result.returncode != 0:
        output = (result.stdout + result.stderr).splitlines()[-_OUTPUT_TAIL_LINES:]
        raise LocalKafkaError(
            f"Maven failed (exit {result.returncode}) while downloading the Kafka jars; "
            "is Maven Central reachable? Last output:\n" + "\n".join(output)
        )


def _move_into_place(staging: Path, target: Path) -> None:
    if target.exists():
        # An incomplete or outdated install: move it aside first, a rename cannot overwrite a
        # non-empty directory.
        retired = Path(tempfile.mkdtemp(prefix=_RETIRED_PREFIX, dir=target.parent))
        target.rename(retired / target.name)
        shutil.rmtree(retired, ignore_errors=True)
    staging.rename(target)

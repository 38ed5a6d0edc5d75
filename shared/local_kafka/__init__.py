"""A real single-node Apache Kafka (KRaft) broker that hookbus installs and runs by itself.

Development machines and CI need no Docker: the pinned broker jars are fetched once with Maven
into ``$HOOKBUS_CACHE_DIR`` (default ``~/.cache/hookbus``) and run with the local ``java``::

    with LocalBroker() as broker:          # temporary data, a free port
        use(broker.bootstrap)              # "127.0.0.1:<port>"

Command line: ``python -m shared.local_kafka install`` and
``python -m shared.local_kafka run [--port N] [--data-dir D]``.
"""

from shared.local_kafka.broker import (
    SINGLE_NODE_SETTINGS,
    LocalBroker,
    free_ports,
    new_cluster_id,
    stop_broker_process,
)
from shared.local_kafka.cli import main, run_forever
from shared.local_kafka.errors import LocalKafkaError
from shared.local_kafka.install import (
    KAFKA_VERSION,
    cache_dir,
    find_java,
    find_mvn,
    install,
    install_dir,
    is_installed,
    libs_dir,
)
from shared.local_kafka.probe import broker_ready

__all__ = [
    "KAFKA_VERSION",
    "SINGLE_NODE_SETTINGS",
    "LocalBroker",
    "LocalKafkaError",
    "broker_ready",
    "cache_dir",
    "find_java",
    "find_mvn",
    "free_ports",
    "install",
    "install_dir",
    "is_installed",
    "libs_dir",
    "main",
    "new_cluster_id",
    "run_forever",
    "stop_broker_process",
]

"""``python -m shared.local_kafka install | run [--port N] [--data-dir D]``."""

from shared.local_kafka.cli import main

raise SystemExit(main())

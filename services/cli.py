"""The ``hookbus`` command: ``run`` everything, ``kafka`` alone, or ``serve`` one service
(:mod:`services.processes`); every other command is a client of a running hookbus's API
(:mod:`services.cli_client`)."""

from __future__ import annotations

import sys

from services.processes import main

__all__ = ["entry", "main"]


def entry(argv: list[str] | None = None) -> int:
    """The ``hookbus`` console script: ``run``, ``kafka`` and ``serve`` start processes
    (:func:`main`); every other command is a client of a running hookbus's API
    (``services/cli_client``: ``hookbus apps list``, ``hookbus tail``...)."""
    given = sys.argv[1:] if argv is None else argv
    if given and given[0] in ("run", "kafka", "serve"):
        return main(given)
    from services.cli_client.entry import main as client

    return client(given)


if __name__ == "__main__":
    sys.exit(main())

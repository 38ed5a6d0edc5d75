"""The ``hookbus`` command's client side: commands that talk to a running hookbus only through
its public HTTP API (manage, send, the logs, replay, tail, listen).

It lives beside the services rather than in ``shared/`` because no service uses it, and it is
not a service itself (it has no ``main.py``, runs no consumer and serves nothing): it is one
more user of the API, like a script or the dashboard. ``services/cli.py`` hands it every
command other than ``run``, ``kafka`` and ``serve``.
"""

"""Child processes that do not outlive the process that started them.

``hookbus run`` supervises the four services (and, without ``HOOKBUS_KAFKA_BOOTSTRAP``, the
broker). Stopped normally it stops them in order; killed outright it could not, and the
orphans would keep their ports and consumer-group seats, so the next ``hookbus run`` would see
"ready" answered by the old processes while its own failed to start.
"""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def dies_with_parent() -> Callable[[], None]:
    """A ``preexec_fn`` making the child receive SIGTERM when the process that started it dies,
    even by SIGKILL, so no service or broker outlives ``hookbus run`` holding its port.

    Linux only (elsewhere it does nothing). The child is tied to the *thread* that starts it:
    start it from the main thread. A parent that died before the call took effect is noticed
    by its pid, and the child stops at once.
    """
    parent = os.getpid()

    def tie() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            return
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)

    return tie

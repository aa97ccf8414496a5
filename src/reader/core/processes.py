"""Child processes: how they start and how they are stopped."""

from __future__ import annotations

import signal
import sys


def child_signals() -> None:
    """First thing in every child process: leave interrupts to the parent, which cleans up
    and reports once, and end with it (Linux: the kernel sends SIGTERM if the parent dies).

    A child inherits the parent's SIGTERM handler (terminate_as_interrupt); until this
    runs, a SIGTERM from the parent would raise in the child instead of ending it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def stop_child(process, grace: float = 5.0) -> None:  # noqa: ANN001
    """Terminate a child process and reap it; kill it if it does not end in time."""
    if process.is_alive():
        process.terminate()
        process.join(grace)
        if process.is_alive():
            process.kill()
    process.join()

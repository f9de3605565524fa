"""In Jupyter, a :class:`~cryptotrace.errors.CryptotraceError` shows as its message, not a traceback.

Every ``CryptotraceError`` already says what was wrong and how to fix it; the red wall of library
frames above it only hides that from a trainee. When cryptotrace is imported inside IPython (a
notebook), such errors are shown as two lines: the message, and how to see the full traceback
(``%tb`` right after, or ``cryptotrace.show_tracebacks(True)`` for every error from then on).
Other exceptions keep IPython's usual display. Nothing changes outside IPython.
"""

from __future__ import annotations

import sys

from .errors import CryptotraceError

__all__ = ["install", "show_tracebacks"]

_HINT = "(full traceback: run %tb in the next cell, or cryptotrace.show_tracebacks(True) for every error)"


def _short(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception handler: the message and a hint; ``%tb`` still finds the traceback."""
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
    stb = [f"{etype.__name__}: {value}", _HINT]
    shell._showtraceback(etype, value, stb)
    return stb


def _shell():
    ipython = sys.modules.get("IPython")  # never import IPython ourselves: outside a notebook it is not there
    return ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None


def install() -> bool:
    """Show CryptotraceErrors briefly in the running IPython (done on import); True if there is one."""
    shell = _shell()
    if shell is None:
        return False
    shell.set_custom_exc((CryptotraceError,), _short)
    return True


def show_tracebacks(show: bool = True) -> None:
    """Show the full traceback of every CryptotraceError in this notebook (``False``: the short form again).

    Examples
    --------
    >>> show_tracebacks(True)   # outside a notebook this changes nothing
    """
    shell = _shell()
    if shell is None:
        return
    if show:
        shell.set_custom_exc((), None)
    else:
        install()

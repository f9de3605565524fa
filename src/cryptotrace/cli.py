"""The ``cryptotrace`` command.

Each sub-command lives in its own module in :mod:`cryptotrace.commands`
and defines ``NAME``, ``HELP`` (one line), ``ORDER`` (position in the
help), ``add_arguments(parser)`` and ``run(args) -> int``. New commands
are found automatically.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from .errors import CryptotraceError


def _commands():
    from . import commands

    mods = []
    for info in pkgutil.iter_modules(commands.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{commands.__name__}.{info.name}")
        if hasattr(mod, "NAME") and hasattr(mod, "run"):
            mods.append(mod)
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.NAME))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cryptotrace",
        description="Follow Bitcoin payments: load data, cluster addresses, trace funds, find what can be seized.",
        epilog="Run 'cryptotrace COMMAND --help' for the options of one command.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"cryptotrace {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for mod in _commands():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP))
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 1
    try:
        return int(args._run(args) or 0)
    except CryptotraceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was left behind", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not the user's mistake: one line, the traceback on request
        if os.environ.get("CRYPTOTRACE_DEBUG"):
            raise
        where = exc.__traceback__
        while where.tb_next is not None:
            where = where.tb_next
        place = f"{os.path.basename(where.tb_frame.f_code.co_filename)}:{where.tb_lineno}"
        print(
            f"error: cryptotrace stopped on an unexpected {type(exc).__name__} ({str(exc)[:200]}) at {place}. "
            "This is a bug in cryptotrace, not in what you typed: please report it with the command you ran "
            "(run it again with CRYPTOTRACE_DEBUG=1 for the full traceback). Nothing half-written was left "
            "behind",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

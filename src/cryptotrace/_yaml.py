"""YAML for files that come from outside: no aliases, bounded nesting, clear errors.

Scenario files, case files and TagPacks never need YAML aliases (``*name``), and an alias bomb
("billion laughs": nine aliases of nine aliases ...) expands a 1 kB file into gigabytes. So an
alias is refused, nesting deeper than :data:`MAX_DEPTH` is refused (it would exhaust Python's
recursion), and bytes that are not UTF-8 are refused, each with a
:class:`~cryptotrace.errors.CryptotraceError` subclass chosen by the caller, naming the file,
the line and the fix.

>>> compose_text("a: [1, 2]", "example.yaml").value[0][0].value
'a'
>>> compose_text("a: &x [1]\\nb: *x", "bomb.yaml")
Traceback (most recent call last):
...
cryptotrace.errors.InputFormatError: bomb.yaml, line 2: YAML aliases (*name) are not allowed here; write the value ...
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import InputFormatError

MAX_DEPTH = 64


class _Composer(yaml.SafeLoader):
    """PyYAML's safe loader, composing without aliases and with a depth bound."""

    def __init__(self, stream, error, source):
        super().__init__(stream)
        self._error, self._source, self._depth = error, source, 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            ev = self.peek_event()
            raise self._error(
                f"{self._source}, line {ev.start_mark.line + 1}: YAML aliases (*name) are not "
                "allowed here; write the value out in full"
            )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            ev = self.peek_event()
            raise self._error(
                f"{self._source}, line {ev.start_mark.line + 1}: nested more than {MAX_DEPTH} "
                "levels deep; this is not a file cryptotrace writes or reads"
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def read_text(path, error=InputFormatError) -> str:
    """A file's text as UTF-8, or ``error`` naming the file and the byte."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"{path} cannot be read ({exc.strerror}); check the path and its permissions") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"{path}: byte {exc.start:,} is not UTF-8 text; save the file as UTF-8 (a text editor's "
            "'Save as' offers it)"
        ) from None


def compose_text(text: str, source: str, error=InputFormatError):
    """The YAML node tree of ``text`` (``None`` when empty); keeps line numbers for messages."""
    if "\x00" in text:
        raise error(f"{source}: holds a NUL character at position {text.index(chr(0)):,}; this is not a text file")
    loader = None
    try:
        loader = _Composer(text, error, source)  # its reader refuses control characters at once
        return loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or " ")
        raise error(
            f"{source}, line {line}: holds the control character U+{char:04X}, which YAML does not "
            "allow; remove it (the file was damaged or is not text)"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise error(
            f"{source}{where}: this is not valid YAML ({getattr(exc, 'problem', None) or exc}). Check "
            "the indentation and the colons on that line"
        ) from None
    finally:
        if loader is not None:
            loader.dispose()


def load_text(text: str, source: str, error=InputFormatError):
    """Python objects of ``text`` (no aliases, bounded depth)."""
    node = compose_text(text, source, error)
    if node is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    except (yaml.YAMLError, ValueError, OverflowError, TypeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f", line {line + 1}" if line is not None else ""
        raise error(
            f"{source}{where}: a value cannot be read ({getattr(exc, 'problem', None) or exc}); check "
            "dates (YYYY-MM-DD, a real day) and numbers on that line"
        ) from None


def load_file(path, error=InputFormatError):
    """:func:`load_text` of a file read with :func:`read_text`."""
    return load_text(read_text(path, error), str(path), error)

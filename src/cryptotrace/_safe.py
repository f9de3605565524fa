"""Output that cannot be turned against its reader (private helpers, issue 15 §4).

Text in cryptotrace's outputs often comes from outside: tag files, legal
responses, scenario files, API answers. A label may be written to attack
whoever opens the output. Every writer uses these helpers:

* :func:`csv_text` / :func:`frame_csv_text` -- the one CSV writer. A cell
  starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or their
  full-width forms) gets a leading ``'`` so a spreadsheet shows it instead of
  running it (OWASP "CSV injection"); a plain number such as ``-5`` or
  ``-0.25`` stays a number. Line breaks inside a cell become spaces and other
  control characters U+FFFD, so every record is exactly one line and no cell
  can smuggle in an extra row.
* :func:`xml_text` -- text XML 1.0 accepts (GraphML, GEXF): characters it
  forbids become U+FFFD.
* :func:`mpl_text` -- text matplotlib draws as written (``$...$`` would
  otherwise be typeset as a formula, or fail).
* :func:`md_inline` / :func:`md_block` / :func:`md_code` -- scenario text
  placed in Markdown (headings, links, HTML and code spans cannot be injected).
"""

from __future__ import annotations

import csv
import io
import re

__all__ = [
    "FORMULA_START",
    "csv_cell",
    "csv_text",
    "frame_csv_text",
    "md_block",
    "md_code",
    "md_inline",
    "mpl_text",
    "one_line",
    "unguard",
    "xml_text",
]

#: First characters that make a spreadsheet read a cell as a formula (OWASP), with their full-width forms.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# a text that itself starts with ' before one of these is guarded too, so reading back is unambiguous
_QUOTED_NEXT = frozenset(FORMULA_START) | {"'", " "}
_PLAIN_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")  # ASCII digits only
# str.splitlines' line boundaries (CR, LF, VT, FF, FS, GS, RS, NEL, LS, PS), CRLF counted once
_LINE_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_OTHER_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")


def one_line(text: str) -> str:
    """``text`` on one line: line breaks (CR, LF, CRLF, and the rarer ones) as spaces, other controls as U+FFFD."""
    return _OTHER_CONTROLS.sub("\ufffd", _LINE_BREAKS.sub(" ", text))


def csv_cell(value) -> str:
    """One cell as safe text: one line, and a leading ``'`` before a formula trigger.

    >>> csv_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> csv_cell(-5), csv_cell("-0.25"), csv_cell("-1+2")
    ('-5', '-0.25', "'-1+2")
    >>> csv_cell("Anna\\r\\nBerg")
    'Anna Berg'
    """
    raw = "" if value is None else str(value)
    if _PLAIN_NUMBER.fullmatch(raw):
        return raw
    text = one_line(raw)
    if raw.startswith(FORMULA_START) or (text[:1] == "'" and text[1:2] in _QUOTED_NEXT):
        return "'" + text
    return text


def unguard(text):
    """Undo :func:`csv_cell`'s guard (the leading ``'``) when reading a CSV back.

    ``unguard(csv_cell(t))`` is ``t`` with its line breaks as spaces and other
    control characters as U+FFFD.
    """
    if isinstance(text, str) and text[:1] == "'" and text[1:2] in _QUOTED_NEXT:
        return text[1:]
    return text


def csv_text(rows, *, header=None, lineterminator: str = "\r\n") -> str:
    """CSV text of ``rows`` (lists of values), every cell through :func:`csv_cell`."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=lineterminator, quoting=csv.QUOTE_MINIMAL)
    if header is not None:
        w.writerow([csv_cell(h) for h in header])
    w.writerows([csv_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def frame_csv_text(df, *, index: bool = True, lineterminator: str = "\n") -> str:
    """A DataFrame as safe CSV text, shaped like ``DataFrame.to_csv`` (index first, missing values empty)."""
    import pandas as pd

    def cell(v):
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
            return ""
        return v

    header = (["" if n is None else str(n) for n in df.index.names] if index else []) + [str(c) for c in df.columns]
    rows = []
    for key, row in zip(df.index, df.itertuples(index=False, name=None)):
        keys = (key if isinstance(key, tuple) else (key,)) if index else ()
        rows.append([cell(v) for v in (*keys, *row)])
    return csv_text(rows, header=header, lineterminator=lineterminator)


# ---------------------------------------------------------------- XML
# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` with the characters XML 1.0 forbids (most controls, lone surrogates, U+FFFE/FFFF) as U+FFFD.

    >>> xml_text("a\\x00b\\ud800c\\uffff")
    'a\\ufffdb\\ufffdc\\ufffd'
    """
    return _XML_FORBIDDEN.sub("\ufffd", text)


# ---------------------------------------------------------------- matplotlib
def mpl_text(text) -> str:
    """Text matplotlib shows literally: every ``$`` escaped, so no ``$...$`` is typeset as mathtext.

    >>> mpl_text("$\\\\frac{a}{")
    '\\\\$\\\\frac{a}{'
    """
    return str(text).replace("$", r"\$")


# ---------------------------------------------------------------- Markdown
_MD_SPECIAL = re.compile(r"([\\`\[\]])")  # code spans, links and images, escapes
_MD_LINE_START = re.compile(r"^([-=>+*#|]|\d+(?=[.)]))")  # headings, lists, quotes, tables, setext lines


def md_inline(text) -> str:
    """Scenario text safe inside a Markdown line: one line; no HTML, links, images, code spans or headings.

    >>> print(md_inline("Shop <script>alert(1)</script>\\n[click](javascript:x)"))
    Shop &lt;script&gt;alert(1)&lt;/script&gt; \\[click\\](javascript:x)
    >>> print(md_inline("# Fake heading"))
    \\# Fake heading
    """
    text = one_line(str(text)).strip()
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    m = _MD_LINE_START.match(text)
    if m is None:
        return text
    cut = m.end() if m.group(1)[0].isdigit() else 0  # "12. x" -> "12\. x"; "# x" -> "\# x"
    return text[:cut] + "\\" + text[cut:]


def md_block(text) -> str:
    """Multi-line scenario text as Markdown paragraphs: each line escaped as by :func:`md_inline`.

    Line breaks stay (blank lines separate paragraphs); no line can start a
    heading, list, quote, table or code block.
    """
    lines = _LINE_BREAKS.split(str(text))
    return "\n".join(md_inline(ln.strip()) for ln in lines)


def md_code(text) -> str:
    """Text as one Markdown code span, whatever backticks it holds (nothing inside is interpreted).

    >>> print(md_code("evidence/c1_notes.md"), md_code("a`b"))
    `evidence/c1_notes.md` ``a`b``
    """
    text = one_line(str(text))
    runs = re.findall("`+", text)
    fence = "`" * (max((len(r) for r in runs), default=0) + 1)
    pad = " " if text[:1] == "`" or text[-1:] == "`" or (text[:1] == " " and text[-1:] == " " and text.strip()) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# ---------------------------------------------------------------- JSON
def loads_json(text, *, parse_float=None):
    """``json.loads``, with nesting too deep for Python's recursion reported as malformed JSON.

    The standard decoder raises ``RecursionError`` on ``[[[[...]]]]`` a few thousand levels deep;
    here it is a :class:`json.JSONDecodeError` like any other broken file, so loaders answer it
    with their usual clear error.

    >>> loads_json("[" * 100_000 + "]" * 100_000)
    Traceback (most recent call last):
    ...
    json.decoder.JSONDecodeError: nested too deeply to be a data file: line 1 column 1 (char 0)
    """
    import json

    try:
        return json.loads(text, parse_float=parse_float)
    except RecursionError:
        raise json.JSONDecodeError(
            "nested too deeply to be a data file", text if isinstance(text, str) else "", 0
        ) from None

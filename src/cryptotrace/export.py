"""Hand results on: CSV for Excel, GraphML and GEXF for Gephi, JSON for other programs.

* :func:`to_csv` -- a table (a DataFrame, a trace's flows, seizure candidates,
  a clustering ...) as a CSV file that opens cleanly in Excel: UTF-8 with a
  byte-order mark (so accents and symbols survive), every amount twice (a
  ``*_btc`` column as text with all 8 decimals, and the exact ``*_sats``
  whole number), lists joined with ``" > "``, and no formula injection: a
  text cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
  return) gets a leading ``'`` so Excel shows it instead of running it (an
  address label such as ``=HYPERLINK(...)`` in a tag file is data, not a command);
  plain negative numbers stay numbers. A line break inside a text becomes a
  space, so every row of the table is one line of the file.
* :func:`trace_graph` -- a trace as a networkx graph; :func:`to_graphml` and
  :func:`to_gexf` write it (or any networkx graph) for Gephi, with plain
  text and number attributes only; characters XML 1.0 forbids (control
  characters, lone surrogates) become U+FFFD, so every file parses.
* :func:`to_json` -- a trace (with its flows, endpoints and seizure
  candidates) or a table as JSON: satoshis as whole numbers, BTC as text.

Every file is written atomically: complete, or not at all.

Examples
--------
>>> import cryptotrace as ct
>>> from cryptotrace.tracing import worked_example_chain
>>> chain = worked_example_chain()
>>> t = ct.trace(chain, chain.outputs.txid[0] + ":0", min_value=0)
>>> g = trace_graph(t)
>>> g.number_of_nodes(), g.number_of_edges()
(4, 3)
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ._safe import csv_cell, csv_text, unguard, xml_text
from .errors import CryptotraceError, InputFormatError
from .io.files import atomic_write_bytes, atomic_write_text
from .units import format_btc

__all__ = [
    "SATS_COLUMNS",
    "excel_safe",
    "read_csv",
    "to_csv",
    "to_gexf",
    "to_graphml",
    "to_json",
    "trace_graph",
    "table_of",
]

#: Columns that hold satoshis (each becomes ``<name>_btc`` text and ``<name>_sats``).
SATS_COLUMNS = frozenset(
    {
        "value",
        "tainted_value",
        "traced_value",
        "fee",
        "balance",
        "start_value",
        "endpoint_value",
        "tainted_in",
        "tainted_out",
        "fee_taint",
        "input_value",
        "output_value",
        "received",
        "sent",
        "sats",
        "amount",
        "total_output_value",
    }
)


def excel_safe(text: str) -> str:
    """Text that Excel shows as text: a leading ``=``, ``+``, ``-``, ``@``, tab or CR gets a ``'`` before it.

    Line breaks become spaces. A plain number (``-5``) stays as it is. The
    one CSV cell rule of the project (:func:`cryptotrace._safe.csv_cell`).

    >>> excel_safe("=1+1")
    "'=1+1"
    >>> excel_safe("Kryptohaus")
    'Kryptohaus'
    """
    return csv_cell(text)


def table_of(obj) -> pd.DataFrame:
    """The table behind a result: a DataFrame as is, a Trace's flows, SeizureCandidates' table,
    a Clustering's address -> cluster table, a TagStore's tags (anything with ``to_frame()``)."""
    if isinstance(obj, pd.DataFrame):
        return obj
    if isinstance(obj, pd.Series):
        return obj.reset_index()
    if hasattr(obj, "to_frame"):
        return obj.to_frame()
    raise CryptotraceError(
        f"cannot export {type(obj).__name__} as a table; give a DataFrame, a Trace, "
        "SeizureCandidates, a Clustering or a TagStore"
    )


def _is_na(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def _cell(v) -> str:
    if _is_na(v):
        return ""
    if isinstance(v, (list, tuple, np.ndarray)):
        return " > ".join(str(x) for x in v)
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return str(v)


def _excel_frame(df: pd.DataFrame, sats_columns) -> tuple[list[str], list[list[str]]]:
    sats = set(SATS_COLUMNS if sats_columns is None else sats_columns)
    df = df.reset_index() if not isinstance(df.index, pd.RangeIndex) else df
    header, cols = [], []
    for c in df.columns:
        s = df[c]
        if str(c) in sats and (
            pd.api.types.is_integer_dtype(s) or s.dropna().map(lambda v: isinstance(v, (int, np.integer))).all()
        ):
            header += [f"{c}_btc", f"{c}_sats"]
            vals = s.tolist()
            cols.append(["" if _is_na(v) else format_btc(int(v), unit=False).replace(",", "") for v in vals])
            cols.append(["" if _is_na(v) else str(int(v)) for v in vals])
        else:
            header.append(str(c))
            cols.append([_cell(v) for v in s.tolist()])
    rows = [list(r) for r in zip(*cols)] if cols else []
    return header, rows  # the cells are made safe by csv_text


def to_csv(obj, path=None, *, sats_columns=None) -> Path | str:
    """Write a table as a CSV file that opens cleanly in Excel.

    Parameters
    ----------
    obj : DataFrame, Trace, SeizureCandidates, Clustering, TagStore ...
        The table (see :func:`table_of`).
    path : str or Path, optional
        Where to write. Without it the CSV text is returned.
    sats_columns : iterable of str, optional
        The columns holding satoshis (default: :data:`SATS_COLUMNS`). Each
        becomes two columns: ``<name>_btc`` (text, 8 decimals, no thousands
        separator) and ``<name>_sats`` (the exact whole number).

    Returns
    -------
    Path (or the text, without ``path``)
    """
    header, rows = _excel_frame(table_of(obj), sats_columns)
    text = csv_text(rows, header=header, lineterminator="\r\n")
    if path is None:
        return text
    return atomic_write_bytes(path, b"\xef\xbb\xbf" + text.encode("utf-8"))


def read_csv(path) -> pd.DataFrame:
    """Read a CSV written by :func:`to_csv` back (the ``'`` guards removed; every column as text)."""
    try:
        df = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False, skip_blank_lines=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputFormatError(f"could not read {path} as CSV ({exc})") from None
    for c in df.columns:
        df[c] = df[c].map(unguard)
    df.columns = [unguard(c) for c in df.columns]
    return df


# ====================================================================== graphs
def _plain(v):
    """A value GraphML/GEXF writers accept: str, int, float or bool (missing -> empty text).

    Text keeps only characters XML 1.0 allows (others become U+FFFD).
    """
    if _is_na(v):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    if isinstance(v, (list, tuple)):
        return xml_text(" > ".join(str(x) for x in v))
    return xml_text(str(v))


def _sanitised(g):
    h = g.__class__()
    h.graph.update({xml_text(str(k)): _plain(v) for k, v in g.graph.items() if not isinstance(v, dict)})
    for n, d in g.nodes(data=True):
        h.add_node(xml_text(str(n)), **{xml_text(str(k)): _plain(v) for k, v in d.items()})
    for a, b, d in g.edges(data=True):
        h.add_edge(xml_text(str(a)), xml_text(str(b)), **{xml_text(str(k)): _plain(v) for k, v in d.items()})
    # the same attribute must have the same type on every node (GraphML declares it once)
    for items in (list(h.nodes(data=True)), [(a, d) for a, _, d in h.edges(data=True)]):
        types: dict[str, set] = {}
        for _, d in items:
            for k, v in d.items():
                types.setdefault(k, set()).add(type(v))
        for k, ts in types.items():
            if len(ts) > 1:
                num = ts <= {int, float, str} and float in ts and str not in ts
                for _, d in items:
                    if k in d:
                        d[k] = float(d[k]) if num else ("" if d[k] == "" else str(d[k]))
    return h


def trace_graph(trace, *, tags=None):
    """A trace as a directed graph of coins, for Gephi or networkx.

    Nodes are the outputs (``"txid:vout"``) that carry traced value, with
    ``address, hop, value_sats, tainted_sats, tainted_btc, label, category,
    jurisdiction, kind`` (the endpoint kind, empty if the trace went on) and
    ``group`` (who holds it, as in the pictures). Edges run from a coin to
    the coins of the transaction that spent it, with ``txid``,
    ``tainted_sats`` and ``tainted_btc`` (see :func:`cryptotrace.plot.flow_edges`).
    """
    import networkx as nx

    from .plot import flow_nodes, flow_edges

    nodes = flow_nodes(trace, tags, None)
    edges = flow_edges(trace)
    g = nx.DiGraph(
        name=f"trace from {trace.params.get('start')}",
        policy=str(trace.params.get("policy")),
        direction=str(trace.params.get("direction")),
    )
    for r in nodes.itertuples(index=False):
        g.add_node(
            r.key,
            address=_plain(r.address),
            txid=str(r.txid),
            vout=int(r.vout),
            hop=int(r.hop),
            value_sats=int(r.value),
            tainted_sats=int(r.tainted_value),
            tainted_btc=float(r.tainted_value) / 1e8,
            label=_plain(r.label),
            category=_plain(r.category),
            jurisdiction=_plain(r.jurisdiction),
            kind=_plain(r.kind),
            group=str(r.group),
        )
    for e in edges.itertuples(index=False):
        g.add_edge(
            str(e.parent),
            str(e.child),
            txid=str(e.via_txid),
            tainted_sats=int(e.tainted_value),
            tainted_btc=float(e.tainted_value) / 1e8,
        )
    return g


def _graph_of(obj, tags=None):
    import networkx as nx

    if isinstance(obj, nx.Graph):
        return obj
    from .tracing import Trace

    if isinstance(obj, Trace):
        return trace_graph(obj, tags=tags)
    raise CryptotraceError(
        f"cannot export {type(obj).__name__} as a graph; give a Trace or a networkx graph "
        "(e.g. cryptotrace.tx_graph(chain))"
    )


def to_graphml(obj, path, *, tags=None) -> Path:
    """Write a trace (or any networkx graph) as GraphML, which Gephi, yEd and Cytoscape open."""
    import networkx as nx

    g = _sanitised(_graph_of(obj, tags))
    buf = io.BytesIO()
    nx.write_graphml(g, buf, encoding="utf-8", prettyprint=True, named_key_ids=True)
    return atomic_write_bytes(path, buf.getvalue())


def to_gexf(obj, path, *, tags=None) -> Path:
    """Write a trace (or any networkx graph) as GEXF, Gephi's own format."""
    import networkx as nx

    g = _sanitised(_graph_of(obj, tags))
    buf = io.BytesIO()
    nx.write_gexf(g, buf, encoding="utf-8", prettyprint=True)
    return atomic_write_bytes(path, buf.getvalue())


# ====================================================================== JSON
def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_jsonable(x) for x in v]
    if _is_na(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    if isinstance(v, (str, type(None))):
        return v
    return str(v)


def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    cols = list(df.columns)
    for row in df.itertuples(index=False, name=None):
        rec = {}
        for c, v in zip(cols, row):
            rec[str(c)] = _jsonable(v)
            if str(c) in SATS_COLUMNS and isinstance(rec[str(c)], int):
                rec[f"{c}_btc"] = format_btc(rec[str(c)], unit=False).replace(",", "")
        out.append(rec)
    return out


def to_json(obj, path=None, *, candidates=None, chain_hash: bool = True) -> Path | str:
    """Write a trace (parameters, summary, its coin table, flows, endpoints, seizure candidates) or a table as JSON.

    Satoshis stay whole numbers; each amount also appears as ``<name>_btc``
    text with 8 decimals. Without ``path`` the JSON text is returned.
    """
    from .tracing import SeizureCandidates, Trace

    if isinstance(obj, Trace):
        if candidates is None and obj.params.get("direction") == "forward":
            from .tracing import seizure_candidates

            candidates = seizure_candidates(obj)
        data = {
            "format": "cryptotrace-trace",
            "version": 1,
            "params": _jsonable(dict(obj.params)),
            "summary": _jsonable(obj.summary()),
            "dataset_sha256": obj.chain.content_hash if chain_hash else None,
            "coins": _records(obj.coins.drop(columns=["value_btc", "traced_value_btc"])),  # BTC as text below
            "flows": _records(obj.flows),
            "endpoints": _records(obj.endpoints),
            "seizure_candidates": _records(candidates.to_frame()) if candidates is not None else [],
        }
    elif isinstance(obj, SeizureCandidates):
        data = {
            "format": "cryptotrace-seizure-candidates",
            "version": 1,
            "params": _jsonable(obj.params),
            "candidates": _records(obj.to_frame()),
        }
    else:
        data = _records(table_of(obj).reset_index(drop=isinstance(table_of(obj).index, pd.RangeIndex)))
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if path is None:
        return text
    return atomic_write_text(path, text + "\n")

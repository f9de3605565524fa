"""What a trace starts from, who the addresses are, and where it stops: the engine's inputs, checked.

* :func:`resolve_start` -- output rows from ``"txid:vout"``, addresses, txids or cluster ids;
* :func:`labels_of` -- address -> cluster from a fitted clustering;
* :func:`tags_by_address` / :func:`tag_table` -- one tag per address (label, category, jurisdiction,
  confidence, source ...), inherited through clusters whose tags agree;
* :func:`stop_mask` -- per output: does the trace stop there (tagged services, named addresses)?
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import NotInChainError, TraceError
from ..tags import STOP_CATEGORIES, tags_by_address

__all__ = ["DIRECTIONS", "FIFO_ORDERS", "labels_of", "resolve_start", "stop_mask", "tag_table", "tags_by_address"]

DIRECTIONS = ("forward", "backward")
#: Where the taint sits inside a partly tainted coin (FIFO, forward traces).
FIFO_ORDERS = {
    "tainted_first": "a partly tainted coin is read as its tainted part, then its clean part",
    "keep": "a coin keeps the order of its tainted and clean parts from the transaction that made it "
    "(TaintChain, zkokelj/bitcoin_tainting_methods)",
}
_OUTPOINT = re.compile(r"^\s*([0-9a-fA-F]{64})\s*:\s*(\d+)\s*$")
_TXID = re.compile(r"^\s*[0-9a-fA-F]{64}\s*$")


def resolve_start(chain, start, clustering) -> tuple[np.ndarray, str, np.ndarray]:
    """Output rows a trace starts from, a short description, and the rows named explicitly.

    Rows named explicitly (an output, an address, a cluster) are followed even when they sit at a
    service; the outputs of a start *transaction* that pay a service stop there like any others.
    """
    ix = chain.index
    if isinstance(start, (str, tuple, int, np.integer)) or hasattr(start, "txid") or hasattr(start, "address"):
        items = [start]
    elif isinstance(start, Iterable):
        items = list(start)
    else:
        raise TraceError(
            f"cannot start a trace from {start!r}; give an output 'txid:vout', an address, "
            "a txid, a cluster id (with clustering=...), or a list of these"
        )
    if not items:
        raise TraceError("the start is empty; give at least one output 'txid:vout', address, txid or cluster")
    out_addr = ix.address_of_output
    parts, names, named = [], [], []
    for item in items:
        if hasattr(item, "txid") and hasattr(item, "outputs") and not isinstance(item, str):  # TxView
            item = item.txid
        elif hasattr(item, "address") and hasattr(item, "stats") and not isinstance(item, str):  # AddressView
            item = item.address
        if isinstance(item, tuple) and len(item) == 2:
            item = f"{item[0]}:{item[1]}"
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            labels = labels_of(clustering)
            if labels is None:
                raise TraceError(
                    f"start {item!r} looks like a cluster id, but no clustering was given; "
                    "pass clustering=Clustering(...).fit(chain), or start from an address"
                )
            addrs = labels.index[labels.to_numpy() == item]
            if not len(addrs):
                raise TraceError(f"cluster {item!r} is not in the clustering; check the id (see clustering.labels_)")
            codes = ix.addresses.get_indexer(pd.Index(addrs))
            parts.append(np.flatnonzero(np.isin(out_addr, codes[codes >= 0])))
            named.append(parts[-1])
            names.append(f"cluster {item}")
            continue
        if not isinstance(item, str):
            raise TraceError(
                f"cannot start a trace from {item!r}; give 'txid:vout', an address, a txid or a cluster id"
            )
        m = _OUTPOINT.match(item)
        if m:
            pos = chain.tx_position(m.group(1))
            vout = int(m.group(2))
            n = int(ix.out_start[pos + 1] - ix.out_start[pos])
            if vout >= n:
                raise NotInChainError(
                    f"output {item!r} does not exist: transaction {m.group(1)[:16]}... has "
                    f"{n} output(s), numbered 0 to {n - 1}"
                )
            parts.append(np.array([ix.out_start[pos] + vout]))
            named.append(parts[-1])
            names.append(f"{m.group(1)[:12]}...:{vout}")
        elif _TXID.match(item):
            pos = chain.tx_position(item)
            parts.append(np.arange(ix.out_start[pos], ix.out_start[pos + 1]))
            names.append(f"tx {item.strip()[:12]}...")
        else:
            code = ix.addresses.get_indexer([item.strip()])[0]
            if code < 0:
                from ..addresses import is_valid_address

                hint = (
                    "it is a valid address, but does not appear in this chain"
                    if is_valid_address(item.strip())
                    else "it is not an output 'txid:vout', a 64-character txid, or a valid address"
                )
                raise NotInChainError(f"cannot start a trace from {item!r}: {hint}")
            rows = np.flatnonzero(out_addr == code)
            if not len(rows):
                raise TraceError(
                    f"address {item!r} never receives coins in this chain (it only spends), "
                    "so a trace has nothing to start from; start from one of its transactions"
                )
            parts.append(rows)
            named.append(rows)
            names.append(item.strip())
    rows = np.unique(np.concatenate(parts)).astype(np.int64)
    desc = names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"
    named_rows = np.unique(np.concatenate(named)).astype(np.int64) if named else np.zeros(0, dtype=np.int64)
    return rows, desc, named_rows


def labels_of(clustering) -> pd.Series | None:
    """address -> cluster id from a fitted clustering (anything with ``labels_``), or None."""
    if clustering is None:
        return None
    if isinstance(clustering, pd.Series):
        return clustering
    labels = getattr(clustering, "labels_", None)
    if labels is None:
        raise TraceError(
            f"the clustering {type(clustering).__name__} has no labels_; fit it first: "
            "clustering = Clustering(...).fit(chain)"
        )
    return labels if isinstance(labels, pd.Series) else pd.Series(labels)


def tag_table(tags, labels: pd.Series | None = None) -> pd.DataFrame | None:
    """One tag per address (DataFrame indexed by address: label, category, jurisdiction), or None.

    With cluster ``labels``, an untagged address in a cluster whose tagged addresses all
    carry the same label inherits that tag (column ``via_cluster`` True): an exchange's
    deposit addresses are known as the exchange once clustering joins them to its hot
    wallet. Clusters whose tags disagree are left alone (a likely false merge).
    """
    if tags is None:
        return None
    if not isinstance(tags, pd.DataFrame) and not hasattr(tags, "best_per_address"):
        raise TraceError(
            f"tags must be a TagStore (from load_tags) or a DataFrame indexed by address, not {type(tags).__name__}"
        )
    df = tags_by_address(tags)
    df["via_cluster"] = False
    if labels is not None and len(df):
        cl = labels.reindex(df.index)
        known = df[cl.notna().to_numpy()].assign(_c=cl.dropna().to_numpy())
        n_labels = known.groupby("_c")["label"].nunique(dropna=False)
        good = n_labels.index[n_labels.to_numpy() == 1]
        first = known[known._c.isin(good)].drop_duplicates("_c").set_index("_c")
        members = labels[labels.isin(first.index) & ~labels.index.isin(df.index)]
        if len(members):
            add = first.reindex(members.to_numpy()).set_axis(members.index)
            add["via_cluster"] = True
            add.index.name = df.index.name
            df = pd.concat([df, add[df.columns]])
    return df


def stop_mask(chain, stop_at, tagtab) -> tuple[np.ndarray, str]:
    """Per output row: does the trace stop there? And a description of the rule."""
    ix = chain.index
    stop_addr = np.zeros(ix.n_addresses + 1, dtype=bool)  # last slot: outputs without address
    cats = STOP_CATEGORIES
    desc = []
    if isinstance(stop_at, str) and stop_at == "services":
        wanted_cats, addrs = set(cats), []
        desc.append("tagged services")
    elif stop_at is None or stop_at is False:
        wanted_cats, addrs = set(), []
        desc.append("nothing")
    else:
        items = [stop_at] if isinstance(stop_at, str) else list(stop_at)
        known_cats = set(cats) | (set(tagtab.category.dropna()) if tagtab is not None else set())
        wanted_cats, addrs = set(), []
        for it in items:
            it = str(it).strip()
            if it == "services":
                wanted_cats |= set(cats)
            elif it.lower() in known_cats:
                wanted_cats.add(it.lower())
            elif ix.addresses.get_indexer([it])[0] >= 0:
                addrs.append(it)
            else:
                raise TraceError(
                    f"stop_at item {it!r} is neither an address in this chain nor a tag category "
                    f"(known categories: {', '.join(sorted(known_cats))})"
                )
        desc.append(", ".join(items) if items else "nothing")
    if tagtab is not None and wanted_cats:
        hit = tagtab.index[tagtab.category.isin(list(wanted_cats)).fillna(False).to_numpy(bool)]
        codes = ix.addresses.get_indexer(pd.Index(hit))
        stop_addr[codes[codes >= 0]] = True
    if addrs:
        stop_addr[ix.addresses.get_indexer(addrs)] = True
    if not stop_addr.any():
        return np.zeros(len(ix.address_of_output), dtype=bool), "; ".join(desc)
    return stop_addr[ix.address_of_output], "; ".join(desc)

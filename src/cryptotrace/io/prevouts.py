"""The coins that inputs spend, looked up in another source (``prevouts=`` of the raw and blk loaders).

A raw block or a slice of ``blk*.dat`` files holds each input's reference to the
coin it spends (``prev_txid:prev_vout``) but not that coin's value, and its
address only where the input's own scripts reveal it. Those coins were made
earlier, so another source knows them:

* an earlier :class:`~cryptotrace.Chain`, or a dataset folder (``cryptotrace import``);
* a :class:`~cryptotrace.io.core_rpc.CoreRPCClient` (a node with ``-txindex``):
  ``getrawtransaction`` in batches, the raw bytes parsed and their txid checked;
* an :class:`~cryptotrace.io.esplora.EsploraClient` (``GET /tx/:txid``);
* a :class:`~cryptotrace.ChainStore` (one SQL join over the store's Parquet files);
* a table with ``txid, vout, value`` (and ``address``).

Each distinct spent transaction is asked for once. Addresses always come from
the output script through cryptotrace's own encoder, so they read the same
whatever the source.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import errors as E

__all__ = ["resolve_prevouts"]


def _from_table(outs: pd.DataFrame, txids, vouts) -> pd.DataFrame:
    """Rows of ``outs`` (txid, vout, value, address) for each wanted outpoint, NA where absent."""
    want = pd.DataFrame({"txid": pd.array(txids, dtype="string"), "vout": np.asarray(vouts, dtype=np.int64)})
    have = pd.DataFrame(
        {
            "txid": outs["txid"].astype("string"),
            "vout": outs["vout"].astype(np.int64),
            "value": outs["value"].astype("Int64"),
            "address": (outs["address"] if "address" in outs else pd.Series(pd.NA, index=outs.index)).astype("string"),
        }
    )
    have = have.drop_duplicates(["txid", "vout"])
    got = want.merge(have, on=["txid", "vout"], how="left", sort=False)
    return got[["value", "address"]].reset_index(drop=True)


def _parsed_outputs(hexes: dict[str, str], where: str) -> pd.DataFrame:
    """Outputs of raw transactions (txid -> hex), each txid checked against its bytes."""
    from ._wire import parse_transactions

    tables = []
    for txid, h in hexes.items():
        if not isinstance(h, str):
            raise E.FetchError(f"{where}: transaction {txid} came back as {type(h).__name__}, not raw hex")
        try:
            data = bytes.fromhex(h)
        except ValueError:
            raise E.FetchError(f"{where}: transaction {txid} came back as text that is not hex") from None
        parsed = parse_transactions(data, where=f"{where}: transaction {txid}")
        got = parsed["txs"].txid.tolist()
        if got != [txid]:
            raise E.FetchError(
                f"{where}: asked for transaction {txid} but its bytes hash to "
                f"{', '.join(got) or 'nothing'}; the source is wrong or was altered. Use another "
                "source for the spent coins"
            )
        tables.append(parsed["outputs"])
    if not tables:
        return pd.DataFrame({"txid": [], "vout": [], "value": [], "address": []})
    return pd.concat(tables, ignore_index=True)


def _from_core(client, txids: list[str]) -> pd.DataFrame:
    """Raw transactions in batches; a transaction the node does not know is left out (its inputs stay unknown)."""
    try:
        answers = dict(zip(txids, client.batch([("getrawtransaction", [t, False]) for t in txids])))
    except E.NotFoundError:  # one unknown txid fails its batch: ask one by one, keeping what the node knows
        answers = {}
        for t in txids:
            try:
                answers[t] = client.getrawtransaction(t, False)
            except E.NotFoundError:
                continue
    # a node (or a proxy) may answer the verbose object; its "hex" is the same bytes
    answers = {t: a.get("hex") if isinstance(a, dict) else a for t, a in answers.items()}
    return _parsed_outputs(answers, "Bitcoin Core getrawtransaction")


def _from_esplora(client, txids: list[str]) -> pd.DataFrame:
    from ._script import addresses_of_scripts

    rows_txid, rows_vout, values, scripts = [], [], [], []
    for want in txids:
        try:
            tx = client.tx(want)
        except E.NotFoundError:  # the server does not know it: its spenders stay unknown
            continue
        txid = tx.get("txid")
        if txid != want:
            raise E.FetchError(f"Esplora: asked for transaction {want} but the server answered {txid!r}")
        for k, o in enumerate(tx.get("vout") or []):
            try:
                script = bytes.fromhex(o["scriptpubkey"])
                value = o["value"]
            except (KeyError, TypeError, ValueError):
                raise E.FetchError(
                    f"Esplora transaction {txid} output {k}: no readable scriptpubkey and value; "
                    "the server's answer is damaged"
                ) from None
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 21 * 10**14:
                raise E.FetchError(
                    f"Esplora transaction {txid} output {k}: value {value!r} is not a whole "
                    "number of satoshis between 0 and 21,000,000 BTC"
                )
            rows_txid.append(txid)
            rows_vout.append(k)
            values.append(value)
            scripts.append(script)
    addrs, _ = addresses_of_scripts(scripts)
    return pd.DataFrame({"txid": rows_txid, "vout": rows_vout, "value": values, "address": addrs})


def resolve_prevouts(source, txids, vouts) -> pd.DataFrame:
    """Value and address of the outputs ``txids[i]:vouts[i]``, from ``source``.

    Returns a table aligned with the outpoints (``value`` as Int64, ``address``
    as string), missing where the source does not know the output.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> chain = ct.load_sample()
    >>> first = chain.outputs.iloc[0]
    >>> got = resolve_prevouts(chain, [first.txid], [first.vout])
    >>> int(got.value[0]) == int(first.value)
    True
    """
    from ..chain import Chain
    from ..store import ChainStore
    from .core_rpc import CoreRPCClient
    from .esplora import EsploraClient

    txids = list(txids)
    if isinstance(source, Chain):

        def table(_):
            return source.outputs
    elif isinstance(source, (str, Path)):
        if not Path(source).is_dir():
            raise E.InputFormatError(
                f"prevouts={str(source)!r} is not a dataset folder; give an earlier Chain, "
                "a dataset folder, a CoreRPCClient or an EsploraClient"
            )

        def table(_):
            from .files import load_dataset

            return load_dataset(source).outputs
    elif isinstance(source, pd.DataFrame):
        missing = {"txid", "vout", "value"} - set(source.columns)
        if missing:
            raise E.TableSchemaError(
                f"the prevouts table lacks {', '.join(sorted(missing))}; it needs txid, "
                "vout, value (satoshis) and ideally address"
            )

        def table(_):
            return source
    elif isinstance(source, ChainStore):

        def table(distinct):
            return source.query(
                "SELECT t.txid, o.vout, o.value, a.address FROM want w JOIN txids t ON t.txid = w.txid "
                "JOIN outputs o ON o.tx_id = t.tx_id LEFT JOIN addresses a ON a.address_id = o.address_id",
                want=pd.DataFrame({"txid": distinct}),
            )
    elif isinstance(source, CoreRPCClient):

        def table(distinct):
            return _from_core(source, distinct)
    elif isinstance(source, EsploraClient):

        def table(distinct):
            return _from_esplora(source, distinct)
    else:
        raise E.InputFormatError(
            f"prevouts= cannot be a {type(source).__name__}; give an earlier Chain, a "
            "dataset folder, a ChainStore, a table (txid, vout, value, address), a "
            "CoreRPCClient or an EsploraClient"
        )
    if not txids:
        return pd.DataFrame({"value": pd.array([], dtype="Int64"), "address": pd.array([], dtype="string")})
    return _from_table(table(list(dict.fromkeys(txids))), txids, vouts)

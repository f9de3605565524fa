"""Esplora: the REST API of Blockstream's explorer, mempool.space and self-hosted Esplora servers.

Three ways in:

* :class:`EsploraClient` asks a server for transactions, an address's full
  history, a block's transactions, and who spent an output. Answers can be
  kept in a **cache folder** (each answer one file, written atomically), so a
  case can be re-run later without the network (``offline=True``).
* :func:`fetch_neighborhood` starts from addresses or txids and follows the
  money a few hops forward (who spent it) and/or backward (where it came
  from), then returns a :class:`~cryptotrace.Chain`.
* :func:`load_esplora` reads saved answers (a tx object, a list of them as
  ``/address/:a/txs`` returns, JSON lines, or a cache folder).

The result is a *partial chain*: inputs spending coins from outside the
fetched data keep the address and value Esplora reports (``is_external``).

Example (needs the files or a server, so not run as a test)::

    import cryptotrace as ct
    client = ct.EsploraClient("https://blockstream.info/api", cache_dir="cache")
    chain = ct.fetch_neighborhood(client, ["bc1qpx7vyv5tp7dm0g475ev527krg764t73dh77gls"], hops=1)
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pandas as pd

from .._safe import loads_json
from .. import errors as E
from ..addresses import decode_address
from . import _verify as V
from ._http import DEFAULT_MAX_BYTES, Http
from ._script import addresses_of_scripts, script_address

__all__ = ["EsploraClient", "fetch_neighborhood", "load_esplora", "esplora_tables"]

_TXID = re.compile(r"[0-9a-fA-F]{64}")
DEFAULT_URL = "https://blockstream.info/api"


# ---------------------------------------------------------------------- strict field types
_I32 = (-(2**31), 2**31 - 1)
_U32 = 0xFFFFFFFF


def _is_tx(obj) -> bool:
    return isinstance(obj, dict) and "txid" in obj and "vin" in obj and "vout" in obj


def check_tx(t, where: str) -> str:
    """Check the type of every field of one Esplora transaction object the loader reads; return its txid.

    Raises :class:`~cryptotrace.errors.FieldTypeError` naming ``where`` (the
    file or URL), the transaction and the field: ``"is_coinbase": "false"``
    is text, not a boolean, and is refused rather than read as "true".
    """
    V.need_dict(t, where, "", "transaction")
    txid = V.need_hex64(t.get("txid"), where, "a transaction", "txid")
    subj = f"transaction {txid}"
    for k, (lo, hi) in (("version", _I32), ("locktime", (0, _U32)), ("size", (0, _U32)), ("weight", (0, _U32))):
        if k in t:
            V.need_int(t[k], where, subj, k, lo=lo, hi=hi)
    if "fee" in t:
        V.sats(t["fee"], where, subj, "fee")
    if "status" in t:
        st = V.need_dict(t["status"], where, subj, "status")
        if V.need_bool(st.get("confirmed", False), where, subj, "status.confirmed"):
            V.need_int(st.get("block_height"), where, subj, "status.block_height", hi=_I32[1])
            V.need_int(st.get("block_time"), where, subj, "status.block_time", hi=_U32)
            V.need_hex64(st.get("block_hash"), where, subj, "status.block_hash")
    for i, v in enumerate(V.need_list(t.get("vin"), where, subj, "vin", nonempty=True)):
        f = f"vin[{i}]"
        V.need_dict(v, where, subj, f)
        cb = V.need_bool(v.get("is_coinbase", False), where, subj, f"{f}.is_coinbase")
        if "sequence" in v:
            V.need_int(v["sequence"], where, subj, f"{f}.sequence", hi=_U32)
        if "scriptsig" in v:
            V.need_hex(v["scriptsig"], where, subj, f"{f}.scriptsig")
        if "witness" in v:
            for w in V.need_list(v["witness"], where, subj, f"{f}.witness"):
                V.need_hex(w, where, subj, f"{f}.witness[...]")
        if cb:
            if v.get("prevout") is not None:
                raise V.bad(where, subj, f"{f}.prevout", v["prevout"], "null for a coinbase input", V.FIX)
            continue
        V.need_hex64(v.get("txid"), where, subj, f"{f}.txid")
        V.need_int(v.get("vout"), where, subj, f"{f}.vout", hi=_U32)
        p = v.get("prevout")
        if p is None:
            raise V.bad(
                where,
                subj,
                f"{f}.prevout",
                p,
                "the output it spends (Esplora gives it for every input that is not a coinbase)",
                V.FIX,
            )
        V.need_dict(p, where, subj, f"{f}.prevout")
        V.need_hex(p.get("scriptpubkey"), where, subj, f"{f}.prevout.scriptpubkey")
        V.sats(p.get("value"), where, subj, f"{f}.prevout.value")
        if "scriptpubkey_address" in p:
            V.need_str(p["scriptpubkey_address"], where, subj, f"{f}.prevout.scriptpubkey_address")
    for j, o in enumerate(V.need_list(t.get("vout"), where, subj, "vout")):
        f = f"vout[{j}]"
        V.need_dict(o, where, subj, f)
        V.need_hex(o.get("scriptpubkey"), where, subj, f"{f}.scriptpubkey")
        V.sats(o.get("value"), where, subj, f"{f}.value")
        if "scriptpubkey_address" in o:
            V.need_str(o["scriptpubkey_address"], where, subj, f"{f}.scriptpubkey_address")
    return txid


# ---------------------------------------------------------------------- raw-bytes verification
def _compare(t: dict, r: V.RawTx, where: str) -> None:
    """One (checked) Esplora transaction object against what its raw bytes say."""
    txid = t["txid"].lower()
    if r.txid != txid:
        raise V.txid_mismatch(where, txid, r.txid)
    for k, raw in (("version", r.version), ("locktime", r.locktime), ("size", r.size)):
        if t.get(k) is not None and t[k] != raw:
            raise V.field_mismatch(where, txid, k, t[k], raw)
    if t.get("weight") is not None and (t["weight"] + 3) // 4 != r.vsize:
        raise V.field_mismatch(where, txid, "weight (as vsize)", (t["weight"] + 3) // 4, r.vsize)
    V.compare_inputs(t["vin"], r, where, txid, lambda v: bool(v.get("is_coinbase")), "vin[{i}].is_coinbase")
    if len(t["vout"]) != len(r.outs):
        raise V.field_mismatch(where, txid, "the number of outputs", len(t["vout"]), len(r.outs))
    for j, (o, (value, addr, _kind)) in enumerate(zip(t["vout"], r.outs)):
        if o["value"] != value:
            raise V.field_mismatch(where, txid, f"vout[{j}].value", o["value"], value)
        mine = script_address(bytes.fromhex(o["scriptpubkey"]))[0]
        if mine != addr:
            raise V.field_mismatch(where, txid, f"vout[{j}].scriptpubkey pays to", mine, addr)
        named = o.get("scriptpubkey_address")
        if named is not None and addr is not None and named != addr:
            raise V.field_mismatch(where, txid, f"vout[{j}].scriptpubkey_address", named, addr)


def verify_txs(pairs, raw_rows: list | None = None) -> int:
    """Check Esplora transaction objects against their raw bytes.

    ``pairs`` is a list of ``(tx_object, raw_hex, where)``; or give the
    already-parsed ``raw_rows`` (one per object, e.g. from a raw block) with
    ``raw_hex`` None. Every txid is recomputed from the bytes and every
    field the loader reads is compared with them. Returns the number checked.
    """
    pairs = list(pairs)
    if raw_rows is None:
        raw_rows = V.raw_rows([(hx, where, t["txid"]) for t, hx, where in pairs])
    for (t, _hx, where), r in zip(pairs, raw_rows):
        _compare(t, r, where)
    return len(pairs)


# ---------------------------------------------------------------------- tables
def esplora_tables(
    txs: list[dict], *, where: str = "the answers", where_of: dict | None = None
) -> dict[str, pd.DataFrame]:
    """Turn Esplora transaction objects into the four Chain tables (duplicates dropped).

    Addresses are read from the scripts (so an old pay-to-public-key output
    gets the same ``1...`` address here as in raw blocks). Every field read
    is type-checked first (:func:`check_tx`); ``where`` (or ``where_of``, a
    dict from ``id(tx_object)`` to a file or URL) names the source in errors.
    """
    seen = {}
    for t in txs:
        txid = check_tx(t, (where_of or {}).get(id(t), where))
        seen.setdefault(txid, t)
    tx_rows, in_rows, out_rows, blocks = [], [], [], {}
    out_scripts, in_scripts = [], []
    for txid, t in seen.items():
        st = t.get("status") or {}
        confirmed = bool(st.get("confirmed"))
        height = st.get("block_height") if confirmed else None
        weight = t.get("weight")
        tx_rows.append(
            {
                "txid": txid,
                "block_height": height,
                "time": st.get("block_time") if confirmed else None,
                "version": t.get("version"),
                "locktime": t.get("locktime"),
                "size": t.get("size"),
                "vsize": (weight + 3) // 4 if isinstance(weight, int) else None,
            }
        )
        if confirmed and height is not None:
            blocks.setdefault(height, {"height": height, "hash": st.get("block_hash"), "time": st.get("block_time")})
        for i, v in enumerate(t["vin"]):
            cb = bool(v.get("is_coinbase"))
            p = v.get("prevout") or None
            in_rows.append(
                {
                    "txid": txid,
                    "vin": i,
                    "prev_txid": None if cb else v["txid"].lower(),
                    "prev_vout": None if cb else v.get("vout"),
                    "value": p.get("value") if p else None,
                    "sequence": v.get("sequence"),
                }
            )
            in_scripts.append(bytes.fromhex(p["scriptpubkey"]) if p and p.get("scriptpubkey") is not None else None)
        for i, o in enumerate(t["vout"]):
            out_rows.append(
                {
                    "txid": txid,
                    "vout": i,
                    "value": o.get("value"),
                    "esplora_type": o.get("scriptpubkey_type"),
                    "esplora_address": o.get("scriptpubkey_address"),
                }
            )
            out_scripts.append(bytes.fromhex(o.get("scriptpubkey") or ""))
    outputs = pd.DataFrame(out_rows, columns=["txid", "vout", "value", "esplora_type", "esplora_address"])
    addrs, kinds = addresses_of_scripts(out_scripts)
    outputs["address"] = pd.Series(addrs, dtype=object)
    outputs["script_type"] = pd.Series(kinds, dtype=object)
    outputs = outputs.drop(columns=["esplora_type", "esplora_address"])
    inputs = pd.DataFrame(in_rows, columns=["txid", "vin", "prev_txid", "prev_vout", "value", "sequence"])
    have = [i for i, s in enumerate(in_scripts) if s is not None]
    in_addr = [None] * len(in_scripts)
    if have:
        a, _ = addresses_of_scripts([in_scripts[i] for i in have])
        for i, x in zip(have, a):
            in_addr[i] = x
    inputs["address"] = pd.Series(in_addr, dtype=object)
    txs_df = pd.DataFrame(tx_rows, columns=["txid", "block_height", "time", "version", "locktime", "size", "vsize"])
    blocks_df = pd.DataFrame(list(blocks.values()), columns=["height", "hash", "time"])
    return {"txs": txs_df, "inputs": inputs, "outputs": outputs, "blocks": blocks_df}


def _chain_from_esplora(txs: list[dict], *, validate: bool = True, where_of: dict | None = None):
    from ..chain import Chain

    t = esplora_tables(txs, where_of=where_of)
    return Chain.from_tables(
        txs=t["txs"], inputs=t["inputs"], outputs=t["outputs"], blocks=t["blocks"], validate=validate
    )


def _tx_objects(obj, where: str) -> list[dict]:
    """Transaction objects in one parsed JSON value; other Esplora answers give []."""
    if _is_tx(obj):
        return [obj]
    if isinstance(obj, list):
        if all(_is_tx(x) for x in obj):
            return list(obj)
        if all(isinstance(x, dict) and "spent" in x for x in obj):
            return []  # /tx/:txid/outspends
    if isinstance(obj, dict) and ("chain_stats" in obj or "spent" in obj or "tx_count" in obj):
        return []  # /address/:a stats, /tx/:txid/outspend/:n, /block/:hash
    if isinstance(obj, (int, str)):
        return []  # /blocks/tip/height, /block-height/:h
    raise E.InputFormatError(
        f"{where} does not hold Esplora transactions (expected an object with txid, vin and vout, or a list "
        "of them as GET /address/:address/txs returns)"
    )


def load_esplora(paths, *, validate: bool = True, verify: bool = True):
    """Load saved Esplora API answers into a :class:`~cryptotrace.Chain`.

    Parameters
    ----------
    paths : str, Path, or list of them
        Files holding one transaction (``GET /tx/:txid``), a list of them
        (``GET /address/:a/txs``, ``GET /block/:hash/txs``), or JSON lines of
        either; or folders of such files (an :class:`EsploraClient` cache
        folder works). Other Esplora answers (address statistics, outspends,
        tip height) are skipped. A transaction in several files counts once.
    validate : bool, default True
        Run the :meth:`Chain.from_tables` checks.
        Every field read is type-checked strictly: ``"is_coinbase": "false"``,
        an amount given as text or with a decimal point, a negative amount, a
        txid that is not 64 hex characters ... each raise
        :class:`~cryptotrace.errors.FieldTypeError` naming the file, the
        transaction and the field.
    verify : bool, default True
        Where the raw bytes lie beside the answers, as in the cache folder of
        an ``EsploraClient(..., verify=True)`` (``tx__<txid>__hex.txt`` beside
        ``tx__<txid>.json``), check each such transaction against them again
        (txid recomputed, JSON compared with the bytes). Saved answers without
        raw bytes cannot be checked this way; fetch with
        ``EsploraClient(..., verify=True)`` for that.

    Examples
    --------
    The Colonial Pipeline ransom address's history as Esplora answered it (the shared real records,
    ``../shared/data/real`` beside the project):

    >>> import cryptotrace as ct
    >>> chain = ct.load_esplora("../shared/data/real/esplora-cases/colonial_ransom_txs.json")
    >>> ransom = chain.outputs.value[chain.outputs.address == "15JFh88FcE4WL6qeMLgX5VEAFCbRXjc9fr"]
    >>> ct.format_btc(int(ransom.max()))                 # the ransom of 2021-05-08
    '75.00030000 BTC'
    """
    from .files import expand_paths

    files, _ = expand_paths(paths, (".json", ".jsonl"), "the saved Esplora answers", recursive=True)
    txs: list[dict] = []
    where_of: dict = {}
    for f in files:
        text = f.read_text(encoding="utf-8", errors="replace")
        try:
            values = [loads_json(text)]
        except json.JSONDecodeError:
            values = []
            for k, line in enumerate(text.splitlines()):
                if not line.strip():
                    continue
                try:
                    values.append(loads_json(line))
                except json.JSONDecodeError as exc:
                    raise E.InputFormatError(
                        f"{f} is neither JSON nor JSON lines (line {k + 1}: {exc.msg}). Save the API answer "
                        "unchanged (e.g. curl URL > file.json)"
                    ) from None
        for v in values:
            found = _tx_objects(v, str(f))
            where_of.update((id(t), str(f)) for t in found)
            txs.extend(found)
    if not txs:
        raise E.InputFormatError(f"no Esplora transactions found in {', '.join(map(str, files)) or 'the input'}")
    chain = _chain_from_esplora(txs, validate=validate, where_of=where_of)  # checks the field types first
    if verify:
        pairs = []
        for t in txs:
            hex_file = Path(where_of[id(t)]).parent / f"tx__{t['txid'].lower()}__hex.txt"
            if hex_file.exists():
                hx = hex_file.read_text(encoding="ascii", errors="replace").strip()
                pairs.append((t, hx, f"{where_of[id(t)]} and {hex_file}"))
        verify_txs(pairs)
    return chain


# ---------------------------------------------------------------------- client
class EsploraClient:
    """Ask an Esplora server (Blockstream, mempool.space, your own) for public Bitcoin data.

    Parameters
    ----------
    base_url : str, default "https://blockstream.info/api"
        The API root, e.g. ``https://mempool.space/api``.
    cache_dir : str or Path, optional
        Keep every answer here (one file per request, written atomically) and
        answer repeated requests from it. Keeps a case reproducible. The
        cache is a snapshot: an address history or an output's spender stays
        as first fetched (only the tip height is always asked afresh); delete
        the folder to refresh it.
    offline : bool, default False
        Answer from the cache only; a request it lacks raises
        :class:`~cryptotrace.errors.OfflineCacheMissError` naming the request.
    timeout : float, default 30
        Seconds to wait for an answer.
    max_retries : int, default 4
        Tries after a 429, a 5xx answer, a timeout or a dropped connection,
        waiting ``backoff`` seconds doubling each time, or as long as the
        server's ``Retry-After`` says.
    backoff : float, default 1.0
    rate_limit : float or None, default 4.0
        At most this many requests per second (public servers block eager clients).
    page_size : int, default 25
        Transactions per page of an address history or block (25 on Esplora and mempool.space).
    progress : bool or None, default None
        Show a progress bar for long fetches (``None``: only in a terminal).
    verify : bool, default False
        Do not trust the server's JSON: also fetch each transaction's raw
        bytes (``GET /tx/:txid/hex``, one more request per transaction, also
        cached) and recompute its txid from them
        (:class:`~cryptotrace.errors.TxidMismatchError` if it differs), then
        compare every field the loader reads (inputs' prev txid, vout and
        sequence, outputs' values and addresses, version, locktime, size,
        weight) with what the bytes say
        (:class:`~cryptotrace.errors.SourceMismatchError`). A whole block
        (:meth:`block_txs`) is checked against ``GET /block/:hash/raw`` in one
        request: its header must hash to the block's hash, its transactions
        to the merkle root, and the pages must list them in block order
        (servers without it: ``/block/:hash/txids`` against the header, and
        each transaction's hex). Not
        covered: input values and addresses (``prevout``), which are not in
        the spending transaction's bytes (fetch the spent transaction too to
        check them), scriptsig and witness bytes. Field types are always
        checked strictly, ``verify`` or not.
    max_bytes : int, default 64 MiB
        Largest answer accepted, after decompression; a larger one raises
        :class:`~cryptotrace.errors.ResponseTooLargeError` and is not cached.

    Examples
    --------
    With a server: ``EsploraClient("https://mempool.space/api", cache_dir="case-cache")``, then
    ``client.tx("943f2d57...")["fee"]`` gives 3454 sats. An offline client answers from its cache folder
    only, and says which request it lacks:

    >>> import cryptotrace as ct, tempfile
    >>> client = ct.EsploraClient(cache_dir=tempfile.mkdtemp(), offline=True)
    >>> client.tx("943f2d576ed8d9f388ba75eb82fe35cce29479b84121827ac368a5a94f44cf7a")
    Traceback (most recent call last):
    ...
    cryptotrace.errors.OfflineCacheMissError: ...
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        cache_dir=None,
        offline: bool = False,
        timeout: float = 30.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        rate_limit: float | None = 4.0,
        page_size: int = 25,
        progress: bool | None = None,
        verify: bool = False,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ):
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise E.FetchError(
                f"base_url {base_url!r} is not a web address; give e.g. "
                "'https://blockstream.info/api' or 'https://mempool.space/api'"
            )
        self.base_url = base_url.rstrip("/")
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.offline = bool(offline)
        if self.offline and self.cache_dir is None:
            raise E.FetchError("offline=True needs a cache_dir= holding earlier answers")
        self.page_size = int(page_size)
        self.progress = progress
        self.verify = bool(verify)
        from .. import __version__

        self._http = Http(
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            rate_limit=rate_limit,
            user_agent=f"cryptotrace/{__version__} (teaching; +https://pypi.org/project/cryptotrace)",
            max_bytes=int(max_bytes),
        )

    def __repr__(self) -> str:
        cache = f", cache_dir={str(self.cache_dir)!r}" if self.cache_dir else ""
        flags = (", offline" if self.offline else "") + (", verify" if self.verify else "")
        return f"EsploraClient({self.base_url!r}{cache}{flags})"

    @property
    def n_requests(self) -> int:
        """How many requests went to the server (cache hits not counted)."""
        return self._http.n_requests

    # -------------------------------------------------------------- plumbing
    def _cache_path(self, path: str, kind: str) -> Path | None:
        if self.cache_dir is None:
            return None
        name = re.sub(r"[^A-Za-z0-9._-]", "_", path.strip("/").replace("/", "__"))
        return self.cache_dir / f"{name}.{'json' if kind == 'json' else 'bin' if kind == 'bytes' else 'txt'}"

    def _get(self, path: str, *, kind: str = "json", what: str, cache: bool = True):
        cpath = self._cache_path(path, kind) if cache else None
        url = f"{self.base_url}{path}"
        if cpath is not None and cpath.exists():
            body = cpath.read_bytes()
            try:
                return self._decode(body, kind, url, what)
            except E.FetchError:
                warnings.warn(f"cache file {cpath} is damaged; fetching it again", stacklevel=3)
                if self.offline:
                    raise E.OfflineCacheMissError(
                        f"offline: the cached answer for GET {url} ({cpath}) is damaged. Delete the file and "
                        "run once online to fetch it again"
                    ) from None
        if self.offline:
            where = f" ({cpath})" if cpath is not None else ""
            raise E.OfflineCacheMissError(
                f"offline: the cache {self.cache_dir} has no answer for GET {url}{where} ({what}). Run once "
                "online with the same cache_dir to fetch it, or leave offline=False"
            )
        resp = self._http.request("GET", url, what=what)
        if resp.status_code == 404:
            raise E.NotFoundError(
                f"{what}: the server says it does not exist (HTTP 404 for GET {url}). "
                "Check the id for typing errors, and that the server is a mainnet one"
            )
        if resp.status_code == 400:
            raise E.FetchError(
                f"{what}: the server rejected the request (HTTP 400: "
                f"{resp.text.strip()[:200]!r}). Check the address or txid"
            )
        if resp.status_code != 200:
            raise E.FetchError(f"{what}: GET {url} answered HTTP {resp.status_code} {resp.reason}")
        value = self._decode(resp.content, kind, url, what)
        if cpath is not None:
            from .files import atomic_write_bytes

            atomic_write_bytes(cpath, resp.content)
        return value

    @staticmethod
    def _decode(body: bytes, kind: str, url: str, what: str):
        try:
            if kind == "bytes":
                if not body:
                    raise ValueError("empty")
                return bytes(body)
            if kind == "json":
                return loads_json(body)
            text = body.decode("utf-8").strip()
            if kind == "int":
                return int(text)
            return text
        except (ValueError, UnicodeDecodeError):
            shown = body[:80].decode("utf-8", "replace")
            raise E.FetchError(
                f"{what}: GET {url} answered something that is not {'JSON' if kind == 'json' else 'the expected text'} "
                f"({shown!r}...). Is the address an Esplora API root (it usually ends in /api)?"
            ) from None

    def _bar(self, total: int, desc: str):
        from tqdm.auto import tqdm

        disable = None if self.progress is None else (not self.progress)
        return tqdm(total=total, desc=desc, unit="req", disable=disable, leave=False)

    # -------------------------------------------------------------- checks
    @staticmethod
    def _txid(txid) -> str:
        t = str(txid).strip()
        if not _TXID.fullmatch(t):
            raise E.InvalidTxidError(
                f"txid {txid!r} is not 64 hex characters ({len(t)} given); copy the whole txid from the explorer"
            )
        return t.lower()

    @staticmethod
    def _address(address) -> str:
        a = str(address).strip()
        decode_address(a)  # raises InvalidAddressError with the reason
        return a

    # -------------------------------------------------------------- endpoints
    def _checked(self, obj, path: str) -> dict:
        """A transaction object from ``path``, its field types checked."""
        where = f"GET {self.base_url}{path}"
        if not _is_tx(obj):
            raise E.FetchError(f"{where}: the server's answer is not a transaction object (txid, vin, vout)")
        check_tx(obj, where)
        return obj

    def _page(self, path: str, what: str) -> list[dict]:
        page = self._get(path, what=what)
        if not isinstance(page, list):
            raise E.FetchError(f"GET {self.base_url}{path}: the server's answer is not a list of transactions")
        return [self._checked(t, path) for t in page]

    def tx(self, txid: str) -> dict:
        """One transaction (``GET /tx/:txid``), with the prevout of each input.

        With ``verify=True`` its raw bytes are fetched too and checked against it.
        """
        t = self._txid(txid)
        obj = self._checked(self._get(f"/tx/{t}", what=f"transaction {t}"), f"/tx/{t}")
        if obj["txid"].lower() != t:
            raise E.SourceMismatchError(
                f"GET {self.base_url}/tx/{t}: asked for transaction {t}, the server answered transaction {obj['txid']}"
            )
        if self.verify:
            self.verify_txs([obj])
        return obj

    def raw_tx(self, txid: str) -> str:
        """A transaction's raw bytes in hex (``GET /tx/:txid/hex``)."""
        t = self._txid(txid)
        return self._get(f"/tx/{t}/hex", kind="text", what=f"raw bytes of transaction {t}")

    def verify_txs(self, objs) -> int:
        """Check transaction objects against their raw bytes (one ``/tx/:txid/hex`` request each).

        Raises :class:`~cryptotrace.errors.TxidMismatchError` or
        :class:`~cryptotrace.errors.SourceMismatchError` naming the URL and
        txid; returns how many were checked.
        """
        pairs = []
        objs = list(objs)
        with self._bar(len(objs), "raw bytes") as bar:
            for o in objs:
                t = o["txid"].lower()
                pairs.append((o, self.raw_tx(t), f"GET {self.base_url}/tx/{t} and /tx/{t}/hex"))
                bar.update(1)
        return verify_txs(pairs)

    def txs(self, txids) -> list[dict]:
        """Several transactions, with a progress bar."""
        txids = [self._txid(t) for t in txids]
        out = []
        with self._bar(len(txids), "transactions") as bar:
            for t in txids:
                out.append(self.tx(t))
                bar.update(1)
        return out

    def outspends(self, txid: str) -> list[dict]:
        """Who spent each output of a transaction (``GET /tx/:txid/outspends``)."""
        t = self._txid(txid)
        path = f"/tx/{t}/outspends"
        ans = self._get(path, what=f"spenders of the outputs of {t}")
        where = f"GET {self.base_url}{path}"
        for n, sp in enumerate(V.need_list(ans, where, f"transaction {t}", "outspends")):
            self._check_outspend(sp, where, f"outspends[{n}]")
        return ans

    @staticmethod
    def _check_outspend(sp, where: str, field: str) -> None:
        V.need_dict(sp, where, "", field)
        if V.need_bool(sp.get("spent"), where, "", f"{field}.spent"):
            V.need_hex64(sp.get("txid"), where, "", f"{field}.txid")
            V.need_int(sp.get("vin"), where, "", f"{field}.vin", hi=_U32)

    def outspend(self, txid: str, vout: int) -> dict:
        """Who spent one output (``GET /tx/:txid/outspend/:vout``): ``{"spent": bool, "txid": ..., "vin": ...}``."""
        t = self._txid(txid)
        path = f"/tx/{t}/outspend/{int(vout)}"
        ans = self._get(path, what=f"spender of output {t}:{vout}")
        self._check_outspend(ans, f"GET {self.base_url}{path}", "outspend")
        return ans

    def address_stats(self, address: str) -> dict:
        """Totals of an address (``GET /address/:a``): funded and spent counts and sums."""
        a = self._address(address)
        return self._get(f"/address/{a}", what=f"address {a}")

    def address_txs(self, address: str, *, max_txs: int | None = None) -> list[dict]:
        """An address's whole history, newest first, following every page.

        ``GET /address/:a/txs`` gives the unconfirmed and the newest
        confirmed ones; ``/address/:a/txs/chain/:last_txid`` the next page,
        until a page comes back short. ``max_txs`` stops early (with a warning).
        """
        a = self._address(address)
        first = self._page(f"/address/{a}/txs", what=f"history of address {a}")
        out = list(first)
        seen = {t["txid"] for t in out}
        confirmed = [t for t in first if (t.get("status") or {}).get("confirmed")]
        page = confirmed
        with self._bar(0, f"history of {a[:12]}...") as bar:
            while len(page) >= self.page_size and page:
                if max_txs is not None and len(out) >= max_txs:
                    warnings.warn(
                        f"address {a}: stopped after {len(out)} transactions (max_txs={max_txs}); "
                        "its history is longer",
                        stacklevel=2,
                    )
                    break
                last = page[-1]["txid"]
                page = self._page(f"/address/{a}/txs/chain/{last}", what=f"history of address {a} after {last}")
                new = [t for t in page if t["txid"] not in seen]
                if not new:
                    break
                out.extend(new)
                seen.update(t["txid"] for t in new)
                bar.update(1)
        out = out[:max_txs] if max_txs is not None else out
        if self.verify:
            self.verify_txs(out)
        return out

    def block_hash(self, height: int) -> str:
        """Hash of the block at ``height`` in the server's best chain."""
        path = f"/block-height/{int(height)}"
        h = self._get(path, kind="text", what=f"block at height {height}")
        return V.need_hex64(h, f"GET {self.base_url}{path}", "", "answer")

    def block(self, block: str | int) -> dict:
        """Block facts (``GET /block/:hash``): height, time, tx_count ..."""
        h = self.block_hash(block) if isinstance(block, int) else self._txid(block)
        path = f"/block/{h}"
        info = self._get(path, what=f"block {h}")
        where = f"GET {self.base_url}{path}"
        V.need_dict(info, where, f"block {h}", "answer")
        if V.need_hex64(info.get("id"), where, f"block {h}", "id") != h:
            raise E.SourceMismatchError(f"{where}: asked for block {h}, the server answered block {info['id']}")
        V.need_int(info.get("tx_count"), where, f"block {h}", "tx_count", lo=1)
        if info.get("height") is not None:
            V.need_int(info["height"], where, f"block {h}", "height")
        return info

    def raw_block(self, block: str | int) -> bytes:
        """A block's raw bytes (``GET /block/:hash/raw``)."""
        h = self.block_hash(block) if isinstance(block, int) else self._txid(block)
        return self._get(f"/block/{h}/raw", kind="bytes", what=f"raw bytes of block {h}")

    def block_txs(self, block: str | int) -> list[dict]:
        """All transactions of a block, page by page (``GET /block/:hash/txs/:start``).

        With ``verify=True`` the raw block is fetched too (one request) and
        the pages are checked against it: see the class's ``verify``. A
        server without ``/block/:hash/raw`` is checked with
        ``/block/:hash/txids`` (against the header's merkle root) and each
        transaction's ``/tx/:txid/hex`` instead.
        """
        info = self.block(block)
        h, n = info["id"].lower(), info["tx_count"]
        out = []
        with self._bar(n, f"block {info.get('height', h[:12])}") as bar:
            for start in range(0, n, self.page_size):
                page = self._page(f"/block/{h}/txs/{start}", what=f"transactions {start}+ of block {h}")
                out.extend(page)
                bar.update(len(page))
                if not page:
                    break
        if self.verify:
            self._verify_block(h, out)
        return out

    def block_txids(self, block: str | int) -> list[str]:
        """The txids of a block in block order (``GET /block/:hash/txids``).

        With ``verify=True`` they must hash to the merkle root of the block's
        header, and the header fields (``GET /block/:hash``) to the block's hash.
        """
        info = self.block(block)
        h = info["id"].lower()
        path = f"/block/{h}/txids"
        where = f"GET {self.base_url}{path}"
        ids = [
            V.need_hex64(t, where, f"block {h}", "txids[...]")
            for t in V.need_list(self._get(path, what=f"txids of block {h}"), where, f"block {h}", "answer")
        ]
        if len(ids) != info["tx_count"]:
            raise E.SourceMismatchError(
                f"{where}: lists {len(ids)} txids, but GET /block/{h} says tx_count = "
                f"{info['tx_count']}; fetch both again"
            )
        if self.verify:
            self._check_header(info, ids)
        return ids

    def _check_header(self, info: dict, ids: list[str]) -> None:
        """The block answer's header fields hash to its id, and ``ids`` to its merkle root."""
        h = info["id"].lower()
        where = f"GET {self.base_url}/block/{h}"
        subj = f"block {h}"
        try:
            root = V.need_hex64(info["merkle_root"], where, subj, "merkle_root")
            prev = (
                V.need_hex64(info["previousblockhash"], where, subj, "previousblockhash")
                if info.get("height") != 0
                else None
            )
            fields = [
                V.need_int(info[k], where, subj, k, lo=lo, hi=hi)
                for k, lo, hi in (("version", *_I32), ("timestamp", 0, _U32), ("bits", 0, _U32), ("nonce", 0, _U32))
            ]
        except KeyError as exc:
            raise E.FetchError(
                f"{where}: the server's block answer has no {exc.args[0]!r}, so its header cannot "
                "be checked; use a full Esplora server, or verify=False"
            ) from None
        got = V.header_hash(fields[0], prev, root, fields[1], fields[2], fields[3])
        if got != h:
            raise E.SourceMismatchError(
                f"{where}: the header fields (version, previousblockhash, merkle_root, "
                f"timestamp, bits, nonce) hash to {got}, not to the block's id {h}; the "
                "answer was altered, fetch it again"
            )
        mine = V.merkle_root_hex(ids)
        if mine != root:
            raise E.MerkleRootError(
                f"GET {self.base_url}/block/{h}/txids: the {len(ids)} txids, in the order "
                f"given, hash to merkle root {mine}, but block {h} says {root}. Txids were left "
                "out, added, reordered or altered; fetch them again"
            )

    def _verify_block(self, h: str, objs: list[dict]) -> None:
        from ._wire import parse_block

        pages = f"GET {self.base_url}/block/{h}/txs/..."
        try:
            data = self.raw_block(h)
        except E.NotFoundError:  # a server without /raw: txids against the header, then each tx's own bytes
            ids = self.block_txids(h)
            have = [o["txid"].lower() for o in objs]
            if have != ids:
                k = next((i for i, (a, b) in enumerate(zip(have, ids)) if a != b), min(len(have), len(ids)))
                raise E.SourceMismatchError(
                    f"{pages}: the pages list {len(have)} transactions and GET /block/{h}/txids {len(ids)}, "
                    f"first differing at position {k}; the pages were reordered or altered"
                )
            self.verify_txs(objs)
            return
        where = f"GET {self.base_url}/block/{h}/raw"
        try:
            parsed = parse_block(data, check_merkle=True)
        except E.MerkleRootError as exc:
            raise E.MerkleRootError(f"{where}: {exc}") from None
        except E.InputFormatError as exc:
            raise E.SourceMismatchError(f"{where}: the raw block does not parse ({exc})") from None
        got = parsed["header"]["hash"].iloc[0]
        if got != h:
            raise E.SourceMismatchError(
                f"{where}: asked for block {h}, the raw bytes are block {got}; the server answered another block"
            )
        rows = V.rows_from_tables(parsed)
        if len(rows) != len(objs):
            raise E.SourceMismatchError(
                f"{pages}: the pages give {len(objs)} transactions, the raw block "
                f"{h} holds {len(rows)}; transactions were left out or added"
            )
        for k, (o, r) in enumerate(zip(objs, rows)):
            if o["txid"].lower() != r.txid:
                raise E.SourceMismatchError(
                    f"{pages}: transaction {k} of block {h} is {o['txid']} in the pages but {r.txid} in the raw "
                    "block, whose transactions hash to its merkle root; the pages were reordered or altered"
                )
        verify_txs([(o, None, f"{pages} (checked against {where})") for o in objs], raw_rows=rows)

    def tip_height(self) -> int:
        """Height of the newest block (never cached)."""
        return self._get("/blocks/tip/height", kind="int", what="the newest block height", cache=False)

    # -------------------------------------------------------------- chains
    def chain(self, *, txids=(), addresses=(), blocks=()):
        """A :class:`~cryptotrace.Chain` of the given transactions, address histories and blocks."""
        objs = []
        if txids:
            objs.extend(self.txs(txids))
        for a in addresses:
            objs.extend(self.address_txs(a))
        for b in blocks:
            objs.extend(self.block_txs(b))
        if not objs:
            raise E.FetchError("nothing to fetch: give txids=, addresses= or blocks=")
        return _chain_from_esplora(objs)


def _seed_kind(seed: str) -> str:
    s = str(seed).strip()
    if _TXID.fullmatch(s):
        return "txid"
    decode_address(s)  # clear InvalidAddressError if it is neither
    return "address"


def fetch_neighborhood(
    client: EsploraClient,
    seeds,
    *,
    hops: int = 1,
    direction: str = "forward",
    max_txs: int = 500,
    validate: bool = True,
):
    """Fetch the transactions around some addresses or txids, and build a Chain.

    Start from the seeds (an address brings its whole history, a txid its
    transaction) and follow the money ``hops`` steps:

    * ``"forward"``: to the transactions that spent the outputs (where the money went);
    * ``"backward"``: to the transactions that created the inputs (where it came from);
    * ``"both"``.

    Parameters
    ----------
    client : EsploraClient
    seeds : str or list of str
        Addresses and/or 64-character txids.
    hops : int, default 1
        0 fetches only the seeds.
    direction : {"forward", "backward", "both"}
    max_txs : int, default 500
        Stop expanding past this many transactions (with a warning): a
        neighbourhood grows fast, and an exchange address has millions.

    Returns
    -------
    Chain
        A partial chain: inputs from outside keep Esplora's address and value.

    Examples
    --------
    With a server, ``fetch_neighborhood(client, ["15JFh88FcE4WL6qeMLgX5VEAFCbRXjc9fr"], hops=2)``
    brings the Colonial ransom's two steps. Offline, with nothing cached, it says what it lacks:

    >>> import cryptotrace as ct, tempfile
    >>> client = ct.EsploraClient(cache_dir=tempfile.mkdtemp(), offline=True)
    >>> ct.fetch_neighborhood(client, ["15JFh88FcE4WL6qeMLgX5VEAFCbRXjc9fr"], hops=2)
    Traceback (most recent call last):
    ...
    cryptotrace.errors.OfflineCacheMissError: ...
    """
    if direction not in ("forward", "backward", "both"):
        raise E.FetchError(f"direction must be 'forward', 'backward' or 'both', not {direction!r}")
    if not isinstance(hops, int) or hops < 0:
        raise E.FetchError(f"hops must be a whole number 0 or more, not {hops!r}")
    if isinstance(seeds, str):
        seeds = [seeds]
    seeds = [str(s).strip() for s in seeds]
    if not seeds:
        raise E.FetchError("give at least one address or txid to start from")
    got: dict[str, dict] = {}
    level: list[dict] = []
    txid_seeds = []
    for s in seeds:
        if _seed_kind(s) == "txid":
            txid_seeds.append(s.lower())
        else:
            for t in client.address_txs(s, max_txs=max_txs):
                if t["txid"] not in got:
                    got[t["txid"]] = t
                    level.append(t)
    for t in client.txs([x for x in dict.fromkeys(txid_seeds) if x not in got]):
        got[t["txid"]] = t
        level.append(t)
    stopped = False
    for hop in range(hops):
        nxt: list[str] = []
        if direction in ("backward", "both"):
            nxt.extend(v["txid"] for t in level for v in t["vin"] if not v.get("is_coinbase"))
        if direction in ("forward", "both"):
            with client._bar(len(level), f"hop {hop + 1}: spenders") as bar:
                for t in level:
                    for sp in client.outspends(t["txid"]):
                        if sp.get("spent") and sp.get("txid"):
                            nxt.append(sp["txid"])
                    bar.update(1)
        nxt = [x for x in dict.fromkeys(nxt) if x not in got]
        room = max_txs - len(got)
        if len(nxt) > room:
            nxt, stopped = nxt[: max(room, 0)], True
        level = client.txs(nxt)
        for t in level:
            got[t["txid"]] = t
        if stopped or not level:
            break
    if stopped:
        warnings.warn(
            f"stopped at max_txs={max_txs} transactions; the neighbourhood is larger. Raise max_txs= or lower hops=",
            stacklevel=2,
        )
    return _chain_from_esplora(list(got.values()), validate=validate)

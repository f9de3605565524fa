"""The ledger the economy simulator writes into: columnar lists, turned into a Chain at the end.

Everything is kept as integer ids while the economy runs (addresses, outputs,
transactions, entities) in plain Python lists, one list per column. Only at
the end are txids and address strings made, all at once, and the four
tables built with numpy. Nothing here knows about the economy's actors.

Rules the ledger keeps by construction (the property tests check them):

* an output is spent at most once (a wallet forgets a coin when it spends it);
* a transaction spends only coins confirmed in an earlier block, so the order
  in which transactions are written is a valid topological order;
* inputs = outputs + fee for every transaction (the fee is what is left over);
* every address has exactly one owner (addresses are made by one wallet).
"""

from __future__ import annotations

from array import array

import numpy as np
import pandas as pd

from .._strings import take_strings
from ._fastaddr import address_array, fixed_width_strings

# script types by code (the code is what the ledger stores per address)
TYPES = ("p2pkh", "p2sh", "p2wpkh", "p2tr", "p2wsh")
T_P2PKH, T_P2SH, T_P2WPKH, T_P2TR, T_P2WSH = range(5)
TYPE_CODE = {t: i for i, t in enumerate(TYPES)}

# sizes per input and output script type (p2sh = p2sh-p2wpkh, p2wsh = 2-of-3 multisig)
_IN_BASE = (148, 64, 41, 41, 41)  # bytes outside the witness
_IN_WIT = (0, 108, 108, 66, 254)  # witness bytes
_OUT = (34, 32, 31, 43, 43)
IN_WEIGHT = tuple(4 * b + w for b, w in zip(_IN_BASE, _IN_WIT))
IN_SIZE = tuple(b + w for b, w in zip(_IN_BASE, _IN_WIT))
OUT_SIZE = _OUT

SEQ_FINAL = 0xFFFFFFFF
SEQ_LOCKTIME = 0xFFFFFFFE
SEQ_RBF = 0xFFFFFFFD


def tx_weight(in_types, out_types) -> tuple[int, int]:
    """(weight, size) of a transaction with these input and output script types."""
    n_in, n_out = len(in_types), len(out_types)
    segwit = any(t != T_P2PKH for t in in_types)
    base = 10 + (2 if n_in > 252 else 0) + (2 if n_out > 252 else 0)
    w = 4 * base + sum(IN_WEIGHT[t] for t in in_types) + 4 * sum(OUT_SIZE[t] for t in out_types)
    s = base + sum(IN_SIZE[t] for t in in_types) + sum(OUT_SIZE[t] for t in out_types)
    if segwit:
        w += 2
        s += 2
    return w, s


def vsize_of(in_types, out_types) -> int:
    w, _ = tx_weight(in_types, out_types)
    return (w + 3) // 4


class Ledger:
    """Columnar store of everything the simulator creates."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        # addresses
        self.addr_type = array("b")
        self.addr_owner = array("q")
        self.addr_fixed: dict[int, str] = {}  # address id -> a given string (real keys)
        # entities
        self.entities: list[dict] = []
        # outputs (including coins from before the data starts: out_tx == -1)
        self.out_tx = array("q")
        self.out_vout = array("q")
        self.out_addr = array("q")
        self.out_value = array("q")
        self.out_h = array("q")
        # inputs
        self.in_tx = array("q")
        self.in_prev = array("q")  # output id; -1 for a coinbase input
        self.in_seq = array("q")
        # transactions
        self.tx_height = array("q")
        self.tx_version = array("q")
        self.tx_locktime = array("q")
        self.tx_weight = array("q")
        self.tx_size = array("q")
        self.tx_purpose: list[str] = []
        self.tx_entity = array("q")
        self.tx_change = array("q")  # -1: no change
        self.tx_cj = array("b")
        self.tx_cb = array("b")
        self.tx_in_sum = array("q")
        self.tx_out_sum = array("q")
        self.spent = array("b")  # 1 once an output is spent (one flag per output)
        self.spent_mask: np.ndarray | None = None  # set by freeze()
        self._purposes: dict[str, str] = {}
        self.frozen = False

    # ------------------------------------------------------------------ ids
    def new_entity(self, entity: str, entity_type: str, name: str, jurisdiction: str, **extra) -> int:
        self.entities.append(
            {"entity": entity, "entity_type": entity_type, "name": name, "jurisdiction": jurisdiction, **extra}
        )
        return len(self.entities) - 1

    def new_address(self, owner: int, atype: int) -> int:
        self.addr_type.append(atype)
        self.addr_owner.append(owner)
        return len(self.addr_type) - 1

    def external_coin(self, addr: int, value: int, height: int) -> int:
        """A coin received before the data starts (an input from outside the chain when spent)."""
        self.spent.append(0)
        self.out_tx.append(-1)
        self.out_vout.append(-1)
        self.out_addr.append(addr)
        self.out_value.append(int(value))
        self.out_h.append(height)
        return len(self.out_tx) - 1

    # ------------------------------------------------------------------ txs
    def add_tx(
        self,
        height: int,
        inputs: list[int],
        outputs: list[tuple[int, int]],
        *,
        entity: int,
        purpose: str,
        change_vout: int = -1,
        version: int = 2,
        locktime: int = 0,
        sequence: int | list[int] = SEQ_FINAL,
        coinjoin: bool = False,
        weight: int | None = None,
        size: int | None = None,
        coinbase: bool = False,
    ) -> tuple[int, list[int]]:
        """Write one transaction; return (tx id, output ids). ``outputs`` are (address id, value)."""
        if self.frozen:  # pragma: no cover
            raise AssertionError("the ledger is frozen (built); no more transactions")
        purpose = self._purposes.setdefault(purpose, purpose)  # one string object per distinct purpose
        t = len(self.tx_height)
        out_value = self.out_value
        in_sum = 0
        spent = self.spent
        for k, o in enumerate(inputs):
            if spent[o]:  # pragma: no cover - a simulator bug, never the user's
                raise AssertionError(f"output {o} spent twice")
            spent[o] = 1
            in_sum += out_value[o]
        out_sum = 0
        for _, v in outputs:
            if v < 0:  # pragma: no cover
                raise AssertionError("negative output")
            out_sum += v
        if in_sum < out_sum and not coinbase:  # pragma: no cover
            raise AssertionError(f"tx pays out {out_sum} from {in_sum}")
        n_in = len(inputs)
        self.in_tx.extend([t] * n_in)
        self.in_prev.extend(inputs)
        if isinstance(sequence, int):
            self.in_seq.extend([sequence] * n_in)
        else:
            self.in_seq.extend(sequence)
        first = len(self.out_tx)
        n_out = len(outputs)
        self.out_tx.extend([t] * n_out)
        self.out_vout.extend(range(n_out))
        for a, v in outputs:
            self.out_addr.append(a)
            out_value.append(v)
        self.out_h.extend([height] * n_out)
        self.spent.extend(bytes(n_out))
        if weight is None:
            at = self.addr_type
            oa = self.out_addr
            weight, size = tx_weight([at[oa[o]] for o in inputs], [at[a] if a >= 0 else T_P2WSH for a, _ in outputs])
        self.tx_height.append(height)
        self.tx_version.append(version)
        self.tx_locktime.append(locktime)
        self.tx_weight.append(weight)
        self.tx_size.append(size)
        self.tx_purpose.append(purpose)
        self.tx_entity.append(entity)
        self.tx_change.append(change_vout)
        self.tx_cj.append(coinjoin)
        self.tx_cb.append(False)
        self.tx_in_sum.append(in_sum)
        self.tx_out_sum.append(out_sum)
        return t, list(range(first, first + n_out))

    def add_coinbase(self, height: int, outputs: list[tuple[int, int]], *, entity: int) -> tuple[int, list[int]]:
        t, outs = self.add_tx(
            height,
            [],
            outputs,
            entity=entity,
            purpose="coinbase (newly mined coins)",
            version=1,
            locktime=0,
            coinbase=True,
        )
        self.in_tx.append(t)
        self.in_prev.append(-1)
        self.in_seq.append(SEQ_FINAL)
        self.tx_cb[t] = True
        self.tx_in_sum[t] = self.tx_out_sum[t]  # no fee: a coinbase creates what it pays
        return t, outs

    def is_spent(self, o: int) -> bool:
        return bool(self.spent_mask[o]) if self.frozen else bool(self.spent[o])

    def fee_of(self, t: int) -> int:
        return self.tx_in_sum[t] - self.tx_out_sum[t]

    @property
    def n_txs(self) -> int:
        return len(self.tx_height)

    # ------------------------------------------------------------------ output
    _INT_COLUMNS = (
        "out_tx",
        "out_vout",
        "out_addr",
        "out_value",
        "out_h",
        "in_tx",
        "in_prev",
        "in_seq",
        "tx_height",
        "tx_version",
        "tx_locktime",
        "tx_weight",
        "tx_size",
        "tx_entity",
        "tx_change",
        "tx_in_sum",
        "tx_out_sum",
        "addr_owner",
    )

    def freeze(self) -> None:
        """Turn the Python lists into numpy arrays (a quarter of the memory); no transactions after this."""
        if self.frozen:
            return
        for name in self._INT_COLUMNS:
            setattr(self, name, np.frombuffer(getattr(self, name), dtype=np.int64).copy())
        self.addr_type = np.frombuffer(self.addr_type, dtype=np.int8).copy()
        self.tx_cj = np.frombuffer(self.tx_cj, dtype=np.int8).astype(bool)
        self.tx_cb = np.frombuffer(self.tx_cb, dtype=np.int8).astype(bool)
        self.spent_mask = np.frombuffer(self.spent, dtype=np.int8).astype(bool)
        self.spent = array("b")
        self.frozen = True

    def unspent_value(self, addr_ids) -> int:
        """Sats still unspent at these address ids (outputs inside the chain)."""
        self.freeze()
        ids = np.fromiter(addr_ids, dtype=np.int64)
        m = np.isin(self.out_addr, ids) & ~self.spent_mask & (self.out_tx >= 0)
        return int(self.out_value[m].sum())

    def build(self, block_times: np.ndarray, first_height: int, *, seed_rng: np.random.Generator):
        """The four Chain tables plus ground-truth tables.

        Returns ``(tables, truth)`` where ``tables`` has blocks/txs/inputs/outputs
        DataFrames and ``truth`` has addresses/txs/entities DataFrames.

        Txids and addresses are kept as Arrow string arrays (``truth["txids"]``,
        ``truth["addr_str"]``: indexed by ledger id), never as millions of Python
        strings, and the tables come in the Chain's own row order (transactions
        by block, each one's inputs and outputs in turn), so building the Chain
        copies nothing: a million-transaction economy stays within its memory budget.
        """
        import pyarrow as pa

        self.freeze()
        n_tx = self.n_txs
        rng = seed_rng
        # txids: random 32-byte hashes (the data is synthetic; no serialised form exists)
        txid_arr = _hex_strings(_draw(rng, 32, n_tx), 32)
        # address strings, by address id
        addr_type = np.asarray(self.addr_type, dtype=np.int8)
        n_addr = len(addr_type)
        parts, where = [], np.zeros(n_addr, dtype=np.int64)
        done = 0
        for code, name in enumerate(TYPES):
            ids = np.flatnonzero(addr_type == code)
            if len(ids) == 0:
                continue
            size = 32 if name in ("p2wsh", "p2tr") else 20
            payload = np.frombuffer(rng.bytes(size * len(ids)), dtype=np.uint8).reshape(len(ids), size)
            parts.append(address_array(name, payload))
            where[ids] = done + np.arange(len(ids))
            done += len(ids)
        if self.addr_fixed:  # addresses of real keys replace the random ones
            fixed_ids = np.fromiter(self.addr_fixed, dtype=np.int64, count=len(self.addr_fixed))
            parts.append(pa.array(list(self.addr_fixed.values()), type=pa.large_string()))
            where[fixed_ids] = done + np.arange(len(fixed_ids))
        addr_arr = (pa.concat_arrays(parts) if parts else pa.array([], type=pa.large_string())).take(where)
        del parts, where

        out_tx = np.asarray(self.out_tx, dtype=np.int64)
        out_vout = np.asarray(self.out_vout, dtype=np.int64)
        out_addr = np.asarray(self.out_addr, dtype=np.int64)
        out_value = np.asarray(self.out_value, dtype=np.int64)
        real = out_tx >= 0
        ext = ~real
        # coins from before the data: each its own (random) earlier transaction, listed after the chain's own txids
        n_ext = int(ext.sum())
        all_txids = pa.concat_arrays([txid_arr, _hex_strings(_draw(rng, 32, n_ext), 32)])
        ext_vout = rng.integers(0, 3, size=n_ext)
        prev_code_of_out = np.where(real, out_tx, 0)
        prev_code_of_out[ext] = n_tx + np.arange(n_ext)
        prev_vout_of_out = out_vout.copy()
        prev_vout_of_out[ext] = ext_vout

        height = np.asarray(self.tx_height, dtype=np.int64)
        is_cb = np.asarray(self.tx_cb, dtype=bool)
        # within a block: the coinbase first, then the order of writing (nothing spends a same-block coin)
        t_order = np.lexsort((np.arange(n_tx), ~is_cb, height))
        rank = np.empty(n_tx, dtype=np.int64)
        rank[t_order] = np.arange(n_tx)

        ro = np.flatnonzero(real)
        ro = ro[np.argsort(rank[out_tx[ro]], kind="stable")]  # the chain's order: by tx, then vout
        oa = out_addr[ro]
        outputs = pd.DataFrame(
            {
                "txid": take_strings(txid_arr, out_tx[ro]),
                "vout": out_vout[ro],
                "address": take_strings(addr_arr, oa),  # -1: no address (OP_RETURN)
                "value": out_value[ro],
                "script_type": take_strings(
                    pa.array(TYPES + ("nulldata",), type=pa.large_string()),
                    np.where(oa >= 0, addr_type[np.maximum(oa, 0)], len(TYPES)),
                ),
            }
        )

        in_tx = np.asarray(self.in_tx, dtype=np.int64)
        in_prev = np.asarray(self.in_prev, dtype=np.int64)
        # vin = position within its tx (inputs were appended tx by tx, in order)
        order = np.argsort(rank[in_tx], kind="stable")
        in_tx, in_prev = in_tx[order], in_prev[order]
        in_seq = np.asarray(self.in_seq, dtype=np.int64)[order]
        starts = np.r_[0, np.flatnonzero(np.diff(in_tx)) + 1]
        counts = np.diff(np.r_[starts, len(in_tx)])
        vin = np.arange(len(in_tx)) - np.repeat(starts, counts)
        cb = in_prev < 0
        pp = np.maximum(in_prev, 0)
        is_ext = ~cb & (out_tx[pp] < 0)
        inputs = pd.DataFrame(
            {
                "txid": take_strings(txid_arr, in_tx),
                "vin": vin,
                "prev_txid": take_strings(all_txids, np.where(cb, -1, prev_code_of_out[pp])),
                "prev_vout": pd.arrays.IntegerArray(np.where(cb, 0, prev_vout_of_out[pp]), cb),
                # address and value are given only for coins from before the data (the chain fills the rest)
                "address": take_strings(addr_arr, np.where(is_ext, out_addr[pp], -1)),
                "value": pd.arrays.IntegerArray(np.where(is_ext, out_value[pp], 0), ~is_ext),
                "sequence": in_seq,
            }
        )

        weight = np.asarray(self.tx_weight, dtype=np.int64)
        btime = block_times[height - first_height]
        txs = pd.DataFrame(
            {
                "txid": take_strings(txid_arr, t_order),
                "block_height": height[t_order],
                "time": btime[t_order],
                "version": np.asarray(self.tx_version, dtype=np.int64)[t_order],
                "locktime": np.asarray(self.tx_locktime, dtype=np.int64)[t_order],
                "size": np.asarray(self.tx_size, dtype=np.int64)[t_order],
                "vsize": ((weight + 3) // 4)[t_order],
            }
        )
        used_heights = np.arange(first_height, first_height + len(block_times))
        bh = _hex_chars(_draw(rng, 32, len(used_heights)), 32)
        bh[:, :17] = ord("0")  # block hashes of mainnet start with zeros (proof of work): mimic the look
        blocks = pd.DataFrame(
            {"height": used_heights, "hash": pd.arrays.ArrowStringArray(fixed_width_strings(bh)), "time": block_times}
        )

        # ---- ground truth: made on first use, so it need not sit in memory while the Chain is checked
        entities = self.entities
        owner_arr = np.asarray(self.addr_owner, dtype=np.int64)
        ent_of_tx = np.asarray(self.tx_entity, dtype=np.int64)
        purposes = self.tx_purpose
        cj = np.asarray(self.tx_cj, dtype=bool)
        change = np.asarray(self.tx_change, dtype=np.int64)
        used_prev = out_addr[in_prev[~cb]]
        ra = out_addr[real]

        def ents():
            return pd.DataFrame(entities)

        def t_addr():
            used = np.zeros(n_addr, dtype=bool)
            used[ra[ra >= 0]] = True
            used[used_prev] = True  # coins from before the data that are spent here
            e = truth["entities"]
            uid = np.flatnonzero(used)
            return pd.DataFrame(
                {
                    "address": take_strings(addr_arr, uid),
                    "entity": e.entity.to_numpy(dtype=object)[owner_arr[uid]],
                    "entity_type": e.entity_type.to_numpy(dtype=object)[owner_arr[uid]],
                }
            )

        def t_txs():
            e = truth["entities"]
            c = change[t_order]
            return pd.DataFrame(
                {
                    "txid": take_strings(txid_arr, t_order),
                    "purpose": np.asarray(purposes, dtype=object)[t_order],
                    "entity": e.entity.to_numpy(dtype=object)[ent_of_tx[t_order]],
                    "is_coinjoin": cj[t_order],
                    "change_vout": pd.array(np.where(c >= 0, c, pd.NA), dtype="Int64"),
                }
            )

        tables = {"blocks": blocks, "txs": txs, "inputs": inputs, "outputs": outputs}
        truth = _LazyTruth(
            {"entities": ents, "addresses": t_addr, "txs": t_txs},
            txids=pd.arrays.ArrowStringArray(txid_arr),
            addr_str=pd.arrays.ArrowStringArray(addr_arr),
        )
        return tables, truth


class _LazyTruth(dict):
    """The ground-truth tables, each made when first asked for."""

    def __init__(self, makers, **ready):
        super().__init__(**ready)
        self._makers = makers

    def __missing__(self, key):
        value = self._makers[key]()
        self[key] = value
        return value


def _draw(rng: np.random.Generator, width: int, n: int) -> bytes:
    """``n`` random values of ``width`` bytes.

    At least one is drawn, so the random stream does not depend on n == 0.
    """
    return rng.bytes(width * max(n, 1))[: width * n]


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _hex_chars(raw: bytes, width: int) -> np.ndarray:
    """Consecutive ``width``-byte values of ``raw`` in lowercase hex, as an ``(n, 2 * width)`` uint8 matrix."""
    b = np.frombuffer(raw, dtype=np.uint8)
    chars = np.empty((len(b) // width, 2 * width), dtype=np.uint8)
    flat = chars.reshape(-1)
    flat[0::2] = _HEX[b >> 4]
    flat[1::2] = _HEX[b & 15]
    return chars


def _hex_strings(raw: bytes, width: int):
    """Consecutive ``width``-byte values of ``raw`` as an Arrow array of lowercase hex strings."""
    return fixed_width_strings(_hex_chars(raw, width))

"""The vectorised heuristics give the same answers as a plain, one-transaction-at-a-time reading of each rule."""

from __future__ import annotations

from collections import Counter

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptotrace import heuristics as H
from cryptotrace.testing import toy_chain

VALUES = [1_000_000, 1_234_567, 500_000, 777, 10_000_000, 5_000_000, 100_000, 100_000, 105_000, 110_000, 4_000]
POOLS = (100_000, 1_000_000, 5_000_000, 50_000_000, 2_500_000, 25_000_000)
TX0_FEES = {100_000: 5_000, 1_000_000: 50_000, 5_000_000: 175_000, 50_000_000: 1_750_000}


@st.composite
def chains(draw):
    names = [f"n{i}" for i in range(draw(st.integers(2, 24)))]
    unspent, txs = [], []
    for t in range(draw(st.integers(2, 12))):
        # bias towards peel hops, premix splits, Whirlpool-like mixes and equal-output CoinJoins
        shape = draw(st.sampled_from(["any", "any", "peel", "split", "mix", "eq"]))
        premix = [i for i, (_, v) in enumerate(unspent) if 100_000 <= v <= 210_000]
        if shape == "peel" and unspent:
            idx = [draw(st.integers(0, len(unspent) - 1))]
        elif shape == "mix" and len(premix) >= 5:
            idx = draw(st.lists(st.sampled_from(premix), min_size=5, max_size=min(8, len(premix)), unique=True))
        elif shape == "split" and unspent:
            idx = [max(range(len(unspent)), key=lambda i: unspent[i][1])]
        else:
            k = draw(st.integers(0, min(5, len(unspent))))
            picks = st.lists(st.integers(0, max(len(unspent) - 1, 0)), min_size=k, max_size=k, unique=True)
            idx = draw(picks) if k else []
        spend = [unspent[i] for i in idx]
        unspent = [u for i, u in enumerate(unspent) if i not in idx]
        total = sum(v for _, v in spend) if spend else 60_000_000
        n_out = 2 if shape == "peel" else draw(st.integers(1, 6))
        vals = draw(st.lists(st.sampled_from(VALUES), min_size=n_out, max_size=n_out))
        exact = False
        if shape == "mix" and len(spend) >= 5 and total >= 100_000 * len(spend):
            vals, exact = [100_000] * len(spend), True
        elif shape in ("split", "eq") and spend:
            x = draw(
                st.sampled_from([105_000, 100_000, 175_000, 5_000] if shape == "split" else [100_000, 1_000_000, 4_000])
            )
            m = min(draw(st.integers(1, 8)), (total - 2_000) // x)
            if m >= 1:
                rest = total - m * x - 1_000
                extra = [v for v in vals[:2] if v < rest // 3]
                vals, exact = [x] * m + extra + ([rest - sum(extra)] if rest - sum(extra) > 0 else []), True
        if sum(vals) > total and not exact:
            vals = [v * total // (sum(vals) + 1) for v in vals]
        if shape in ("mix", "eq", "split") and len(vals) <= len(names) and draw(st.booleans()):
            to = draw(st.permutations(names))[: len(vals)]  # every output to its own address
        else:
            to = [draw(st.sampled_from(names)) for _ in vals]
        outs = list(zip(to, vals))
        tx = {
            "out": outs,
            "version": draw(st.sampled_from([1, 2])),
            "locktime": draw(st.sampled_from([0, 0, 5])),
            "sequence": draw(st.sampled_from([0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD])),
        }
        if spend:
            tx["in"] = [r for r, _ in spend]
        txs.append(tx)
        unspent += [(f"{t}:{v}", val) for v, (_, val) in enumerate(outs)]
    segwit_only = draw(st.booleans())  # CoinJoin wallets use P2WPKH throughout
    types = {n: "p2wpkh" if segwit_only else draw(st.sampled_from(["p2wpkh", "p2pkh", "p2sh"])) for n in names}
    return toy_chain(txs, types=types)[0]


def per_tx(chain):
    """Plain Python view: for each tx its inputs and outputs as lists of dicts."""
    ins = {t: g.to_dict("records") for t, g in chain.inputs.groupby("txid", sort=False)}
    outs = {t: g.to_dict("records") for t, g in chain.outputs.groupby("txid", sort=False)}
    return [(r, ins.get(r["txid"], []), outs.get(r["txid"], [])) for r in chain.txs.to_dict("records")]


def unique(cands):
    return cands[0] if len(cands) == 1 else None


def reference_calls(chain):
    rows = per_tx(chain)
    spender = {(o["txid"], o["vout"]): o["spent_by_txid"] for _, _, outs in rows for o in outs}
    tx_by_id = {r["txid"]: (r, i, o) for r, i, o in rows}
    first_seen = {}
    for pos, (r, ins, outs) in enumerate(rows):
        for x in [*ins, *outs]:
            if isinstance(x.get("address"), str):
                first_seen.setdefault(x["address"], pos)
    stype = {o["address"]: o["script_type"] for _, _, outs in rows for o in outs}

    def fp(r, ins):
        s = ins[0]["sequence"] if ins else None
        return (r["version"], r["locktime"] > 0, s)

    res = {
        h: []
        for h in (
            "address_reuse",
            "fresh_address",
            "round_amount",
            "script_type",
            "optimal_change",
            "wallet_fingerprint",
            "peel_chain",
            "multi_input",
        )
    }
    for pos, (r, ins, outs) in enumerate(rows):
        cb = r["is_coinbase"]
        ok = [o for o in outs if not cb and len(outs) >= 2]
        in_addr = {i["address"] for i in ins}
        res["address_reuse"].append(unique([o["vout"] for o in ok if o["address"] in in_addr]))
        res["fresh_address"].append(
            unique([o["vout"] for o in ok if first_seen[o["address"]] == pos and o["address"] not in in_addr])
        )
        n_round = sum(1 for o in outs if o["value"] % 100_000 == 0 and o["value"] > 0)
        res["round_amount"].append(unique([o["vout"] for o in ok if o["value"] % 100_000 != 0 and n_round >= 1]))
        itypes = {stype.get(i["address"]) for i in ins}
        res["script_type"].append(
            unique([o["vout"] for o in ok if len(itypes) == 1 and None not in itypes and o["script_type"] in itypes])
        )
        mn = min((i["value"] for i in ins), default=None)
        res["optimal_change"].append(unique([o["vout"] for o in ok if mn is not None and o["value"] < mn]))
        same = []
        peel = []
        for o in ok:
            s = spender[(o["txid"], o["vout"])]
            if isinstance(s, str) and s in tx_by_id:
                sr, si, so = tx_by_id[s]
                if fp(sr, si) == fp(r, ins):
                    same.append(o["vout"])
                if len(ins) == 1 and len(outs) == 2 and len(si) == 1 and len(so) == 2:
                    peel.append(o["vout"])
        res["wallet_fingerprint"].append(unique(same))
        res["peel_chain"].append(unique(peel))
        for name, verdict in coinjoin_reference(r, ins, outs, stype).items():
            res.setdefault(name, []).append(verdict)
        res["multi_input"].append(not cb and len(in_addr) >= 2)
    return res


def coinjoin_reference(r, ins, outs, stype):
    """The CoinJoin rules of cryptotrace.heuristics.coinjoin read one transaction at a time (plain Python)."""
    cb = r["is_coinbase"]
    sp = [o for o in outs if isinstance(o["address"], str) and o["script_type"] != "nulldata"]
    vals = [o["value"] for o in sp]
    counts = Counter(vals)
    rep = {v: c for v, c in counts.items() if c >= 2}
    top_n, top_v = max(((c, v) for v, c in rep.items() if v >= 5_000), default=(0, -1))
    others = [v for v in vals if v != top_v]
    max_other = max(others, default=-1)
    in_addr = {i["address"] for i in ins if isinstance(i["address"], str)}
    known = [int(i["value"]) for i in ins if not pd.isna(i["value"])]
    n_unknown = len(ins) - len(known)
    max_in = max(known, default=-1)
    subset = max_other < 0 or max_in < 0 or max_in <= top_v + max_other + 100_000
    n_self = sum(1 for o in sp if o["address"] in in_addr)
    distinct_out = len({o["address"] for o in sp}) == len(sp)
    out_wpkh = all(o["script_type"] == "p2wpkh" for o in sp)
    in_types = [stype.get(i["address"]) for i in ins if isinstance(i["address"], str)]
    in_wpkh = all(t == "p2wpkh" for t in in_types if t is not None)
    n_opret = len(outs) - len(sp)
    # Whirlpool tx0 (one wallet's premix split; vetoes the equal-output rules)
    tx0 = False
    for d, fee in TX0_FEES.items():
        pre = Counter(v for v in vals if d + 100 <= v <= d + 110_000)
        n_pre = max(pre.values(), default=0)
        n_fee = sum(1 for v in vals if fee // 2 <= v <= 3 * fee and not d + 100 <= v <= d + 110_000)
        tx0 |= n_pre >= 1 and len(sp) - n_pre <= 2 and (n_fee == 1 or fee in vals)
    tx0 = not cb and tx0 and n_opret == 1
    # Whirlpool mix
    n = len(sp)
    wp = (
        not cb
        and len(ins) == n
        and 5 <= n <= 8
        and len(counts) == 1
        and vals[0] in POOLS
        and len(in_addr) == len(ins)
        and distinct_out
        and out_wpkh
        and in_wpkh
    )
    if wp:
        eps = [v - vals[0] for v in known]
        ok = [e == 0 or 100 <= e <= 110_000 for e in eps]
        wp = all(ok) and (any(e > 0 for e in eps) or n_unknown > 0)
    # Wasabi 1.x
    n_base = max((c for v, c in rep.items() if abs(v - 10_000_000) <= 2_000_000), default=0)
    singles = sum(1 for c in counts.values() if c == 1)
    w1 = (
        not cb
        and n_base >= 10
        and len(ins) >= n_base
        and len(in_addr) >= n_base
        and singles >= 2
        and distinct_out
        and out_wpkh
    )
    # JoinMarket and the generic equal-output rule
    k = len(sp) - top_n
    gate = len(ins) < 50 or (len(ins) <= 20 * top_n and len(sp) * 10 >= 17 * top_n)
    jm = (
        not cb
        and top_n >= 3
        and len(rep) == 1
        and 1 <= k <= top_n
        and top_n <= len(in_addr)
        and distinct_out
        and n_self == 0
        and subset
        and gate
        and not tx0
    )
    eq = (
        not cb
        and len(ins) >= 2
        and top_n >= 3
        and k <= top_n + 1
        and top_n <= len(ins)
        and top_n <= len(in_addr)
        and n_self == 0
        and subset
        and not tx0
    )
    sw = not cb and len(ins) >= 2 and len(sp) in (3, 4) and distinct_out and len(rep) == 1 and top_n == 2 and not tx0
    return {
        "whirlpool_tx0": tx0,
        "whirlpool": wp,
        "wasabi1": w1,
        "joinmarket": jm,
        "equal_output": eq,
        "stonewall_like": sw,
    }


@settings(max_examples=50)
@given(chains())
def test_vectorised_heuristics_match_the_plain_reading(chain):
    ref = reference_calls(chain)
    for name in (
        "address_reuse",
        "fresh_address",
        "round_amount",
        "script_type",
        "optimal_change",
        "wallet_fingerprint",
        "peel_chain",
    ):
        got = [None if pd.isna(v) else int(v) for v in H.get(name)(chain)]
        assert got == ref[name], name
    for name in (
        "equal_output",
        "whirlpool",
        "wasabi1",
        "joinmarket",
        "stonewall_like",
        "whirlpool_tx0",
        "multi_input",
    ):
        assert H.get(name)(chain).tolist() == ref[name], name

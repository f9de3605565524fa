"""Property tests of the taint engine on random valid chains (hypothesis).

A random chain is built with ``Chain.from_tables`` from a seed and a few sizes:
coinbase transactions, transactions spending random earlier unspent outputs
(sometimes with an input from outside the data), random fees, reused
addresses, tiny and huge amounts. The vectorised engine is compared with a
slow, one-transaction-at-a-time reference written independently below.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptotrace.testing import RANDOM_CHAIN_ADDRESSES as _ADDR
from cryptotrace.testing import pick_output as _start
from cryptotrace.testing import random_chain
from cryptotrace.testing.strategies import random_chains as chains
from cryptotrace.tracing import DEFAULT_FEE_POLICY, FEE_POLICIES, POLICIES, trace

CONSERVING = ["haircut", "fifo", "lifo", "tiho"]


# ---------------------------------------------------------------- reference engine
def _lr(amount: int, weights: list[int]) -> list[int]:
    total = sum(weights)
    if total == 0:
        return [0] * len(weights)
    q = [amount * w // total for w in weights]
    r = [Fraction(amount * w, total) - qq for w, qq in zip(weights, q)]
    left = amount - sum(q)
    for i in sorted(range(len(weights)), key=lambda i: (-r[i], i))[:left]:
        q[i] += 1
    return q


def _stream(sources: list[tuple[int, int]], targets: list[int]) -> list[int]:
    segs = []
    for t, c in sources:
        segs += [[t, True], [c, False]]
    out, k = [], 0
    for need in targets:
        got = 0
        while need > 0:
            while segs[k][0] == 0:
                k += 1
            take = min(need, segs[k][0])
            segs[k][0] -= take
            need -= take
            got += take if segs[k][1] else 0
        out.append(got)
    return out


def _ref_alloc(
    policy,
    fee_policy,
    src_val,
    src_taint,
    tgt_val,
    *,
    fee=0,
    short_src=0,
    tail_tgt=0,
    reverse_sources=False,
    reverse_targets=False,
):
    """One transaction, scalar. Returns the taint of each target, then of the tail target
    (backward: the unfunded part) if any, then of the fee (forward) if any."""
    T = sum(src_taint)
    tail = [tail_tgt] if tail_tgt else []
    if policy == "poison":
        return [v if T > 0 else 0 for v in tgt_val + tail + ([fee] if fee else [])]
    srcs = list(zip(src_taint, [v - t for v, t in zip(src_val, src_taint)]))
    if reverse_sources:
        srcs = srcs[::-1]
    if short_src:
        srcs.append((0, short_src))
    order = list(range(len(tgt_val)))[::-1] if reverse_targets else list(range(len(tgt_val)))
    allv = tgt_val + tail  # the real targets plus the tail, in position order

    def stream(sources, with_fee):
        tv = [tgt_val[i] for i in order] + tail + ([fee] if with_fee else [])
        got = _stream(sources, tv)
        res = [0] * len(tgt_val)
        for j, i in enumerate(order):
            res[i] = got[j]
        return res + got[len(order) :]

    natural = (policy == "haircut" and fee_policy in ("proportional", "last")) or (
        policy in ("fifo", "lifo") and fee_policy == "last"
    )
    lo, hi = max(T - sum(allv), 0), min(T, fee)
    if natural or fee == 0:
        if policy == "haircut":
            return _lr(T, allv + ([fee] if fee else []))
        if policy in ("fifo", "lifo"):
            return stream(srcs, bool(fee))
        fee_t = lo
    elif fee_policy == "proportional":
        fee_t = _lr(T, allv + [fee])[-1]
    elif fee_policy == "tainted_first":
        fee_t = hi
    else:
        fee_t = lo
    fee_t = min(max(fee_t, lo), hi)
    D = T - fee_t
    if policy == "haircut":
        res = _lr(D, allv)
    elif policy == "tiho":
        res = [0] * len(allv)
        left = D
        for i in sorted(range(len(allv)), key=lambda i: (-allv[i], i)):
            res[i] = min(left, allv[i])
            left -= res[i]
    else:
        # take the fee from the end of the stream: tainted parts, then clean parts
        srcs = [list(s) for s in srcs]
        need_t, need_c = fee_t, fee - fee_t
        for s in reversed(srcs):
            take = min(need_t, s[0])
            s[0] -= take
            need_t -= take  # noqa: E702
            take = min(need_c, s[1])
            s[1] -= take
            need_c -= take  # noqa: E702
        res = stream([tuple(s) for s in srcs], False)
    return res + ([fee_t] if fee else [])


def reference_forward(chain, start_rows, policy, fee_policy):
    ix = chain.index
    ov = chain.outputs.value.to_numpy(np.int64).tolist()
    iv = chain.inputs.value.fillna(0).astype("int64").tolist()
    taint = {int(r): ov[r] for r in start_rows}
    starts = set(taint)
    ends = {}
    for t in range(ix.n_txs):
        i0, i1 = int(ix.in_start[t]), int(ix.in_start[t + 1])
        o0, o1 = int(ix.out_start[t]), int(ix.out_start[t + 1])
        src = [int(ix.output_of_input[i]) for i in range(i0, i1)]
        tin = [taint.get(s, 0) if s >= 0 else 0 for s in src]
        if sum(tin) == 0:
            continue
        sv = [iv[i] for i in range(i0, i1)]
        tv = [ov[o] for o in range(o0, o1)]
        fee, short = max(sum(sv) - sum(tv), 0), max(sum(tv) - sum(sv), 0)
        res = _ref_alloc(policy, fee_policy, sv, tin, tv, fee=fee, short_src=short, reverse_sources=policy == "lifo")
        for s in src:  # passed on
            if s >= 0:
                ends.pop(("out", s), None)
        for k, o in enumerate(range(o0, o1)):
            if o in starts:
                if res[k]:
                    ends[("back", o)] = res[k]
            else:
                taint[o] = res[k]
                if res[k]:
                    ends[("out", o)] = res[k]
        if fee and res[-1]:
            ends[("fee", t)] = res[-1]
    for r in start_rows:
        if int(ix.input_of_output[r]) < 0:
            ends[("out", int(r))] = ov[r]
    return taint, ends


def reference_backward(chain, start_rows, policy):
    ix = chain.index
    ov = chain.outputs.value.to_numpy(np.int64).tolist()
    iv = chain.inputs.value.fillna(0).astype("int64").tolist()
    taint = {int(r): ov[r] for r in start_rows}
    starts = set(taint)
    ext = {}
    for t in range(ix.n_txs - 1, -1, -1):
        o0, o1 = int(ix.out_start[t]), int(ix.out_start[t + 1])
        i0, i1 = int(ix.in_start[t]), int(ix.in_start[t + 1])
        tout = [taint.get(o, 0) for o in range(o0, o1)]
        if sum(tout) == 0:
            continue
        sv = [ov[o] for o in range(o0, o1)]
        tv = [iv[i] for i in range(i0, i1)]
        fee, short = max(sum(tv) - sum(sv), 0), max(sum(sv) - sum(tv), 0)
        res = _ref_alloc(policy, "last", sv, tout, tv, short_src=fee, tail_tgt=short, reverse_targets=policy == "lifo")
        for k, i in enumerate(range(i0, i1)):
            s = int(ix.output_of_input[i])
            if s >= 0 and s not in starts:
                taint[s] = res[k]
            elif s < 0 and res[k]:
                ext[i] = res[k]
    return taint, ext


# ---------------------------------------------------------------- properties
@settings(max_examples=40)
@given(
    chain=chains,
    pick=st.integers(0, 1000),
    policy=st.sampled_from(list(POLICIES)),
    fee_policy=st.sampled_from(list(FEE_POLICIES)),
)
def test_forward_matches_reference_and_keeps_rules(chain, pick, policy, fee_policy):
    start = _start(chain, pick)
    t = trace(chain, start, policy=policy, fee_policy=fee_policy, max_hops=100, min_value=0)
    fl = t.flows
    # tainted <= value on every output
    assert (fl.tainted_value <= fl.value).all() and (fl.tainted_value >= 0).all()
    # the same numbers as the slow reference, output by output
    ref, ref_ends = reference_forward(chain, t.start_rows, policy, fee_policy)
    got = dict(zip((fl.txid.astype(str) + ":" + fl.vout.astype(str)).tolist(), fl.tainted_value.tolist()))
    o = chain.outputs
    keys = (o.txid.astype(str) + ":" + o.vout.astype(str)).tolist()
    for row, v in ref.items():
        assert got.get(keys[row], 0) == v, (keys[row], v, got.get(keys[row]))
    assert sum(v for v in got.values()) == sum(ref.values())
    ep = t.endpoints
    if policy in CONSERVING:
        # conservation: outputs + fees + stopped = start
        assert int(ep.tainted_value.sum()) == t.start_value
        assert t.summary()["conserved"] is True
        assert int(ep.tainted_value.sum()) == sum(ref_ends.values())


@settings(max_examples=40)
@given(chain=chains, pick=st.integers(0, 1000), policy=st.sampled_from(CONSERVING))
def test_backward_matches_reference_and_conserves(chain, pick, policy):
    start = _start(chain, pick)
    t = trace(chain, start, direction="backward", policy=policy, max_hops=100, min_value=0)
    fl = t.flows
    assert (fl.tainted_value <= fl.value).all()
    assert int(t.endpoints.tainted_value.sum()) == t.start_value
    assert set(t.endpoints.kind) <= {"coinbase", "external", "unknown_source", "back_to_start"}
    ref, _ext = reference_backward(chain, t.start_rows, policy)
    o = chain.outputs
    keys = (o.txid.astype(str) + ":" + o.vout.astype(str)).tolist()
    got = dict(zip((fl.txid.astype(str) + ":" + fl.vout.astype(str)).tolist(), fl.tainted_value.tolist()))
    for row, v in ref.items():
        assert got.get(keys[row], 0) == v


@settings(max_examples=40)
@given(
    chain=chains,
    pick=st.integers(0, 1000),
    other=st.sampled_from(CONSERVING),
    hops=st.integers(0, 6),
    min_value=st.sampled_from([0, 1000, 10**9]),
    stops=st.lists(st.integers(0, len(_ADDR) - 1), max_size=3),
)
def test_poison_taints_a_superset(chain, pick, other, hops, min_value, stops):
    start = _start(chain, pick)
    stop_at = [_ADDR[i] for i in stops if _ADDR[i] in chain.addresses.index]
    kw = dict(max_hops=hops, min_value=min_value, stop_at=stop_at)
    p = trace(chain, start, policy="poison", **kw).flows
    h = trace(chain, start, policy=other, **kw)
    hf = h.flows
    # conserved also with hop limits, thresholds and stops
    assert int(h.endpoints.tainted_value.sum()) == h.start_value
    ep = h.endpoints
    assert set(ep.loc[ep.kind == "stopped", "address"]) <= set(stop_at)
    pt = set((p.txid.astype(str) + ":" + p.vout.astype(str))[p.tainted_value > 0])
    ht = set((hf.txid.astype(str) + ":" + hf.vout.astype(str))[hf.tainted_value > 0])
    assert ht <= pt
    # and poison marks every output it touches in full
    assert (p.tainted_value[p.tainted_value > 0] == p.value[p.tainted_value > 0]).all()


@settings(max_examples=30)
@given(chain=chains, pick=st.integers(0, 1000), policy=st.sampled_from(list(POLICIES)))
def test_backward_from_forward_endpoint_reaches_start(chain, pick, policy):
    start = _start(chain, pick)
    fwd = trace(chain, start, policy=policy, max_hops=50, min_value=0)
    ends = fwd.endpoints
    ends = ends[ends.vout.notna() & (ends.kind != "back_to_start")]
    for r in ends.head(4).itertuples():
        back = trace(chain, f"{r.txid}:{r.vout}", direction="backward", policy="poison", max_hops=50, min_value=0)
        fl = back.flows
        reached = set((fl.txid.astype(str) + ":" + fl.vout.astype(str))[fl.tainted_value > 0])
        assert start in reached or f"{r.txid}:{r.vout}" == start


@pytest.mark.parametrize("policy", CONSERVING)
def test_huge_amounts_are_split_exactly(policy):
    """Amounts near 21 million BTC overflow 64-bit products; the split must stay exact."""
    chain = random_chain(seed=3, n_tx=12, big=True, external=False)
    for pick in range(0, 30, 3):
        t = trace(chain, _start(chain, pick), policy=policy, max_hops=50, min_value=0)
        assert int(t.endpoints.tainted_value.sum()) == t.start_value
        ref, _ = reference_forward(chain, t.start_rows, policy, DEFAULT_FEE_POLICY[policy])
        fl = t.flows
        o = chain.outputs
        keys = (o.txid.astype(str) + ":" + o.vout.astype(str)).tolist()
        got = dict(zip((fl.txid.astype(str) + ":" + fl.vout.astype(str)).tolist(), fl.tainted_value.tolist()))
        assert all(got.get(keys[r], 0) == v for r, v in ref.items())

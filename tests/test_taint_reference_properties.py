"""Property tests for issue 16 section 2: conservation under every convention, and FIFO against a plain loop.

The plain loop below is the TaintChain / zkokelj reading of FIFO written as simply as
possible (see tests/test_taint_reference.py for the sources): every coin is a list of
("t" | "c", satoshis) parts; a transaction lays its inputs' lists end to end in input
order, each output in order takes the next satoshis, and what is left is the fee.
With ``fifo_order="tainted_first"`` a coin's list is read as its tainted part, then its
clean part, before it is laid down.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cryptotrace.tracing import FEE_POLICIES, FIFO_ORDERS, trace

from cryptotrace.testing import pick_output as _start
from cryptotrace.testing.strategies import random_chains as chains

CONSERVING = ["haircut", "fifo", "lifo", "tiho"]


def _take(parts: list[list], need: int) -> list[list]:
    """Take ``need`` satoshis off the front of ``parts`` (mutated); return what was taken."""
    got = []
    while need > 0:
        kind, v = parts[0]
        take = min(v, need)
        got.append([kind, take])
        need -= take
        if take == v:
            parts.pop(0)
        else:
            parts[0][1] = v - take
    return got


def _merge(parts):
    out = []
    for kind, v in parts:
        if v == 0:
            continue
        if out and out[-1][0] == kind:
            out[-1][1] += v
        else:
            out.append([kind, v])
    return out


def plain_fifo(chain, start_row: int, order: str):
    """FIFO, fee last, one transaction at a time in chain order. Returns {output row: parts}."""
    ix = chain.index
    ov = chain.outputs.value.astype("int64").tolist()
    iv = chain.inputs.value.fillna(0).astype("int64").tolist()
    coins = {start_row: [["t", ov[start_row]]]}
    for t in range(ix.n_txs):
        i0, i1 = int(ix.in_start[t]), int(ix.in_start[t + 1])
        o0, o1 = int(ix.out_start[t]), int(ix.out_start[t + 1])
        srcs = [int(ix.output_of_input[i]) for i in range(i0, i1)]
        if not any(s in coins and any(k == "t" and v for k, v in coins[s]) for s in srcs):
            continue
        stream = []
        for i, s in zip(range(i0, i1), srcs):
            parts = [list(p) for p in coins.get(s, [["c", iv[i]]])]
            if order == "tainted_first":
                tv = sum(v for k, v in parts if k == "t")
                parts = [["t", tv], ["c", sum(v for _, v in parts) - tv]]
            stream += parts
        out_total = sum(ov[o0:o1])
        in_total = sum(v for _, v in stream)
        if out_total > in_total:  # inputs of unknown value: clean coins at the end
            stream.append(["c", out_total - in_total])
        stream = [p for p in stream if p[1] > 0]
        for o in range(o0, o1):
            got = _merge(_take(stream, ov[o]))
            if o != start_row:
                coins[o] = got
        # whatever is left in the stream is the fee
    return coins


@settings(max_examples=60, deadline=None)
@given(chain=chains, pick=st.integers(0, 1000), order=st.sampled_from(list(FIFO_ORDERS)))
def test_fifo_fee_last_equals_the_plain_loop(chain, pick, order):
    start = _start(chain, pick)
    t = trace(chain, start, policy="fifo", fee_policy="last", fifo_order=order, max_hops=1000, min_value=0)
    ref = plain_fifo(chain, int(t.start_rows[0]), order)
    o = chain.outputs
    keys = (o.txid.astype(str) + ":" + o.vout.astype(str)).tolist()
    got = dict(
        zip((t.flows.txid.astype(str) + ":" + t.flows.vout.astype(str)).tolist(), t.flows.tainted_value.tolist())
    )
    for row, parts in ref.items():
        want = sum(v for k, v in parts if k == "t")
        assert got.get(keys[row], 0) == want, (keys[row], parts)
        if order == "keep" and want:
            assert t.coin_parts(keys[row]) == [("tainted" if k == "t" else "clean", v) for k, v in parts]
    assert t.summary()["conserved"]


@settings(max_examples=60, deadline=None)
@given(
    chain=chains,
    pick=st.integers(0, 1000),
    policy=st.sampled_from(CONSERVING),
    fee_policy=st.sampled_from([None, *FEE_POLICIES]),
    order=st.sampled_from(list(FIFO_ORDERS)),
    hops=st.integers(1, 8),
    min_value=st.sampled_from([0, 1000]),
)
def test_every_convention_conserves(chain, pick, policy, fee_policy, order, hops, min_value):
    order = order if policy == "fifo" else "tainted_first"
    t = trace(
        chain,
        _start(chain, pick),
        policy=policy,
        fee_policy=fee_policy,
        fifo_order=order,
        max_hops=hops,
        min_value=min_value,
    )
    assert int(t.endpoints.tainted_value.sum()) == t.start_value
    assert t.summary()["conserved"] is True
    fl = t.flows
    assert (fl.tainted_value >= 0).all() and (fl.tainted_value <= fl.value).all()
    ep = t.endpoints
    fee = ep[ep.kind == "fee"]
    assert (fee.tainted_value <= fee.value).all()

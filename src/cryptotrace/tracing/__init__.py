"""Follow the money: taint policies, traces and seizure candidates.

A *trace* starts from some coins (an output ``txid:vout``, an address, a
transaction or a cluster) and follows them hop by hop through the
transactions that spend them (``direction="forward"``: where did the money
go?) or that created them (``direction="backward"``: where did it come from?).

When a transaction mixes traced ("tainted") coins with other ("clean") coins,
a *taint policy* decides how much of each output is tainted. Worked example
(DESIGN.md): inputs 3 BTC stolen, then 7 BTC clean; outputs 1, 6 and 3 BTC;
no fee.

=========  =================================================  ================
policy     rule                                               tainted outputs
=========  =================================================  ================
poison     any taint taints every output completely           1 / 6 / 3
haircut    every output gets the transaction's taint ratio     0.3 / 1.8 / 0.9
fifo       first in, first out: inputs in order pay outputs    1 / 2 / 0
           in order (Clayton's case)
lifo       last in, first out: the last input pays first       0 / 0 / 3
tiho       tainted in, highest out: the taint goes to the      0 / 3 / 0
           largest outputs first
=========  =================================================  ================

Conventions (all amounts are exact integer satoshis):

* **haircut rounding**: a transaction's taint is split in proportion to the
  output values by the *largest-remainder* method: every output first gets
  the whole satoshis of its exact share, then the satoshis left over go one
  each to the outputs with the largest fractional parts (ties: lower output
  number first). The shares add up exactly to the taint that came in.
* **haircut against BlockSci**: BlockSci's haircut (``citp/BlockSci``
  ``src/heuristics/taint.cpp``, master 14ccc93) gives each output
  ``trunc(value / (outputs + fee) * taint)`` in floating point and the fee
  what is left (at most the fee); the truncated satoshis go to the fee, or
  are lost when there is no fee, so the shares can add up to less than the
  taint (its own tests say "-1 for rounding error"). Its 2018 version
  (commit 4e42e43) used integer division per output, ``value * taint //
  outputs``, which loses up to one satoshi per output and gives the fee no
  taint. Here the shares are exact and always add up.
* **fee** (``fee_policy``, forward traces): the fee is what the inputs bring
  in beyond the outputs. ``"proportional"``: the fee carries the
  transaction's taint ratio, like one more output (largest-remainder);
  ``"clean_first"``: the fee is paid from clean coins first (taint stays in
  the outputs as far as possible); ``"tainted_first"``: the fee is paid from
  tainted coins first; ``"last"``: the fee is the last place in the policy's
  order (FIFO/LIFO: after the last output; TIHO: after the smallest output,
  i.e. like ``clean_first``; haircut: like ``"proportional"``). Whatever
  taint the fee takes is an endpoint of kind ``"fee"`` (paid to the miner).
  Backward traces have no choice to make: the fee funds nothing.
  **Default: each policy's published convention** (:data:`DEFAULT_FEE_POLICY`):

  =========  ==============  ================================================
  policy     default fee     published implementation it follows
  =========  ==============  ================================================
  poison     (no choice)     BlockSci ``getPoisonTainted``: the fee in full
  haircut    proportional    BlockSci ``getHaircutTainted`` (the fee is one
                             more share); zkokelj ``HaircutTainting.cpp``
  fifo       last            BlockSci ``getFifoTainted`` (2018, commit
                             4e42e43), TaintChain ``RustyTaintChain`` ("the
                             outputs get paid first ... then the rest is
                             given to the miners"), zkokelj ``FIFOTainting.cpp``
  lifo       last            zkokelj ``LIFOTainting.cpp`` (see below)
  tiho       last            zkokelj ``TIHOTainting.cpp``: taint fills the
                             largest outputs; only what they cannot hold is
                             left for the fee
  =========  ==============  ================================================

  BlockSci's ``taint_fee`` switch decides what happens *after* the fee: with
  ``True`` the fee's taint flows into the block's coinbase outputs (the
  miner's reward), with ``False`` it is dropped. cryptotrace stops at the
  fee: its taint is an endpoint of kind ``"fee"``, so the totals match
  BlockSci with ``taint_fee=True`` (nothing is lost) without following the
  miner. Until issue 16 the default was ``"proportional"`` for every policy,
  so FIFO disagreed with every published FIFO (inputs 4 stolen + 6 clean,
  outputs 5 and 4, fee 1: they give 4 / 0 / fee 0; the old default gave
  3.6 / 0 / fee 0.4). ``fee_policy="proportional"`` still gives that.
* **where the taint sits inside one coin** (``fifo_order``, FIFO, forward):
  ``"tainted_first"`` (default) reads a partly tainted coin as its tainted
  part, then its clean part (as BlockSci's 2018 FIFO did for its inputs);
  ``"keep"`` keeps the order in which the parts were paid into the coin:
  every coin carries its ordered list of tainted and clean parts (as
  TaintChain's ``VecDeque<TaintPart>`` and zkokelj's ``TaintVector`` do);
  :meth:`Trace.coin_parts` shows it. Example: a coin paid 2 clean, then 3
  stolen, split into 2 and 3: ``"keep"`` gives 0 and 3, ``"tainted_first"``
  2 and 1. LIFO and TIHO read coins tainted part first.
* **what courts have seen** (for the expert's report; checked in public
  sources, not legal advice): first in, first out is the rule in *Clayton's
  case* (Devaynes v Noble (1816) 1 Mer 572), a rebuttable presumption of
  English law for withdrawals from a running account. The Court of Appeal in
  Barlow Clowes v Vaughan [1992] 4 All ER 22 kept it as the default between
  equally innocent claimants but set it aside where it is impracticable or
  unjust, sharing rateably (pari passu; the "North American" rolling charge is
  proportional, i.e. haircut-like) instead; Commerzbank v IMB Morgan [2004]
  EWHC 2771 (Ch) also disapplied it. Against a wrongdoing fiduciary the
  presumption is different: Re Hallett's Estate (1879) 13 Ch D 696 (the
  wrongdoer spends his own money first) and, in the US, the "lowest
  intermediate balance" rule; some US bankruptcy courts apply FIFO to mixed
  accounts (e.g. In re Tydings, W.D. Mo. 2020). TaintChain's authors chose
  FIFO because of Clayton's case. For crypto, D'Aloia v Persons Unknown
  [2024] EWHC 2342 (Ch) rejected tracing evidence whose method could not be
  explained and checked; the commentaries found do not show it endorsing one
  rule. Not established: no decision was found on the order of the parts
  *inside* one bitcoin output. Clayton's case orders deposits in time, which
  ``"keep"`` carries through each coin; ``"tainted_first"`` is a modelling
  choice of the software. Say which one you used.
* **LIFO**: here the last input pays the first output, coins read tainted
  part first, and with ``"last"`` the fee comes after the last output, so it
  is paid from the *first* inputs. zkokelj ``LIFOTainting.cpp`` lays the
  inputs out in order and fills the outputs from the last one, so its fee is
  paid from the *last* inputs and a coin's parts keep their order. Read as
  an account, cryptotrace treats the fee as the last withdrawal (as TaintChain
  does for FIFO: "the outputs get paid first ... then the rest is given to
  the miners"), so under LIFO it takes the earliest deposits; zkokelj's
  layout amounts to paying the fee first. Without a fee and with whole coins
  the two agree; with a fee they differ (inputs 4
  stolen + 6 clean, outputs 5 and 4, fee 1: here 0 / 3 / fee 1, zkokelj 0 /
  4 / fee 0), and over several hops the differences carry on
  (``tests/test_taint_reference.py`` has the hand-worked tables).
* **TIHO ties**: outputs of equal value take taint in output order (lower
  number first, as in haircut rounding); zkokelj ``TIHOTainting.cpp`` sorts
  ``(value, index)`` descending, so the *higher* output number goes first.
  The totals agree; which of two equal outputs is tainted differs.
* **hops**: the start outputs are hop 0; a transaction spending them is hop
  1, and so on. A transaction is followed when it is at most ``max_hops``
  away and at least one of its traced inputs carries ``min_value`` or more.
  If more taint reaches a followed transaction later along a longer path,
  it is recomputed, so every followed transaction obeys the policy exactly.
* **conservation**: for every policy except poison, the tainted value at
  the endpoints (outputs where the trace stops, fees, and so on) adds up
  exactly to the traced start value.

The engine works on whole hops at once with numpy over ``chain.index``
(CSR offsets, ``output_of_input``, ``input_of_output``); there is no Python
loop per transaction.

The package, by module:

* :mod:`~cryptotrace.tracing.policies` -- one object per taint policy (rule,
  published fee convention, reference, allocation); a new policy is one class there;
* :mod:`~cryptotrace.tracing.engine` -- :func:`trace` and the hop-by-hop engine;
* :mod:`~cryptotrace.tracing.result` -- :class:`Trace` and its annotated coin table
  (``Trace.coins``, columns in :data:`COIN_COLUMNS`), of which flows, endpoints,
  transactions and every reader are views;
* :mod:`~cryptotrace.tracing.seizure` -- :func:`seizure_candidates`;
* ``_kernels`` (exact integer arithmetic over CSR groups) and ``_inputs`` (the start,
  tags, clusters and stops, checked).

Examples
--------
>>> from cryptotrace.tracing import trace, worked_example_chain
>>> chain = worked_example_chain()
>>> stolen = chain.outputs.txid[0] + ":0"
>>> t = trace(chain, stolen, policy="fifo", max_hops=1, min_value=0)
>>> [int(v) for v in t.flows.query("hop == 1").tainted_value]
[100000000, 200000000, 0]
"""

from __future__ import annotations

import pandas as pd

from ._inputs import DIRECTIONS, FIFO_ORDERS, tags_by_address
from .engine import trace
from .policies import DEFAULT_FEE_POLICY, FEE_POLICIES, POLICIES, TAINT_POLICIES, TaintPolicy, get_policy
from .result import COIN_COLUMNS, COIN_ENTRIES, ENDPOINT_KINDS, FIAT_COLUMNS, Trace
from .seizure import (
    DEFAULT_MAX_ROWS,
    DEFAULT_MIN_SHARE,
    DEFAULT_MIN_VALUE,
    SEIZURE_CLASSES,
    SeizureCandidates,
    seizure_candidates,
)

__all__ = [
    "COIN_COLUMNS",
    "COIN_ENTRIES",
    "DEFAULT_FEE_POLICY",
    "DEFAULT_MAX_ROWS",
    "DEFAULT_MIN_SHARE",
    "DEFAULT_MIN_VALUE",
    "DIRECTIONS",
    "ENDPOINT_KINDS",
    "FEE_POLICIES",
    "FIAT_COLUMNS",
    "FIFO_ORDERS",
    "POLICIES",
    "SEIZURE_CLASSES",
    "SeizureCandidates",
    "TAINT_POLICIES",
    "TaintPolicy",
    "Trace",
    "get_policy",
    "seizure_candidates",
    "tags_by_address",
    "trace",
    "worked_example_chain",
]


def worked_example_chain():
    """The DESIGN.md worked example as a tiny Chain.

    Transaction 0 (newly mined) pays 3 BTC (the stolen coins, output 0) and
    7 BTC (clean, output 1); transaction 1 spends both, stolen first, and
    pays 1, 6 and 3 BTC with no fee. Trace from output ``<tx0>:0``.
    """
    from ..addresses import encode_address
    from ..chain import Chain

    addrs = [encode_address("p2wpkh", bytes([i]) * 20) for i in range(1, 6)]
    t0, t1 = "a0" * 32, "b1" * 32
    btc = 100_000_000
    txs = pd.DataFrame({"txid": [t0, t1], "block_height": [1, 2], "time": [1_600_000_000, 1_600_000_600]})
    inputs = pd.DataFrame(
        {"txid": [t0, t1, t1], "vin": [0, 0, 1], "prev_txid": [None, t0, t0], "prev_vout": [None, 0, 1]}
    )
    outputs = pd.DataFrame(
        {
            "txid": [t0, t0, t1, t1, t1],
            "vout": [0, 1, 0, 1, 2],
            "address": [addrs[0], addrs[1], addrs[2], addrs[3], addrs[4]],
            "value": [3 * btc, 7 * btc, 1 * btc, 6 * btc, 3 * btc],
        }
    )
    return Chain.from_tables(txs=txs, inputs=inputs, outputs=outputs)

"""cryptotrace trace DATASET --from TXID:VOUT|ADDRESS: follow the money and list seizure candidates."""

from __future__ import annotations

import json

from ._common import add_trace_arguments, run_trace

NAME = "trace"
HELP = "follow coins forward or backward and list where they ended and what can be seized"
ORDER = 40
DESCRIPTION = (
    "Follow coins from a start (an output TXID:VOUT, an address or a txid; repeat --from for several) "
    "through a dataset under a taint policy, and print where the traced value ended (endpoints: unspent, "
    "at a service, fees, too small, hop limit, outside the data) and, for forward traces, the ranked "
    "seizure candidates with their evidence paths. Amounts in JSON are satoshis."
)


def add_arguments(p):
    add_trace_arguments(p)
    p.add_argument("--limit", type=int, default=20, help="rows to print per table (default 20; JSON has all)")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON (amounts in satoshis)")


def _text(v) -> str:
    import pandas as pd

    return "" if v is None or pd.isna(v) else str(v)


def run(args) -> int:
    import pandas as pd

    from ..units import format_btc

    _, _, _, t, cands = run_trace(args)
    if args.json:
        out = t.to_dict()
        out["seizure_candidates"] = cands.to_records() if cands is not None else []
        print(json.dumps(out, indent=2, default=str))
        return 0
    print(t.describe())
    ep = t.endpoints
    print(f"\nEndpoints (largest first; {len(ep):,} in all):")
    top = ep.sort_values("tainted_value", ascending=False, kind="stable").head(args.limit)
    for r in top.itertuples():
        where = r.txid if pd.isna(r.vout) else f"{r.txid}:{r.vout}"
        who = "" if pd.isna(r.service) else f"  [{r.service}]"
        print(f"  {format_btc(r.tainted_value):>22}  {r.kind:<15} {where}  {_text(r.address)}{who}")
    if cands is not None:
        print(f"\nSeizure candidates ({len(cands):,}), best prospects first:")
        for r in cands.table.head(args.limit).itertuples():
            print(
                f"  {r.rank:>3}. {format_btc(r.tainted_value):>22}  {r.classification:<16} "
                f"{_text(r.address) or r.txid}  {r.action}"
            )
    return 0

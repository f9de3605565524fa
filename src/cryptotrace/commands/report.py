"""cryptotrace report DATASET --from START -o report.html: trace and write the HTML case report."""

from __future__ import annotations

from ._common import add_trace_arguments, run_trace

NAME = "report"
HELP = "trace the money from a start and write a self-contained HTML case report"
ORDER = 60
DESCRIPTION = (
    "Trace coins from a start (an output TXID:VOUT, an address or a txid; repeat --from for several) "
    "through a dataset, with the addresses clustered and tagged, and write one self-contained HTML "
    "report: findings, parameters, the dataset's SHA-256, pictures, seizure candidates with their "
    "evidence paths, flows, and the method and caveats of every heuristic and policy used."
)


def add_arguments(p):
    add_trace_arguments(p)
    p.add_argument("--title", default="Bitcoin tracing report", help="the report's title")
    p.add_argument("--notes", default=None, help="a sentence of your own for the top of the report")
    p.add_argument("--csv", default=None, metavar="FILE", help="also write the seizure candidates as CSV (Excel)")
    p.add_argument("--no-figures", action="store_true", help="leave the pictures out (faster)")
    p.add_argument("-o", "--output", required=True, help="the HTML file to write")


def run(args) -> int:
    from ..reporting import findings, report

    chain, tags, clustering, t, cands = run_trace(args)
    path = report(
        t,
        args.output,
        clustering=clustering,
        tags=tags,
        candidates=cands,
        title=args.title,
        figures=not args.no_figures,
        notes=args.notes,
    )
    for line in findings(t, cands, tags=tags):
        print(line)
    if args.csv and cands is not None:
        from ..export import to_csv

        print(f"Seizure candidates (CSV): {to_csv(cands, args.csv)}")
    print(f"Report written to {path}")
    return 0

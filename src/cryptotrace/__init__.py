"""cryptotrace: follow Bitcoin payments, explain every step, find what can be seized.

Start with::

    import cryptotrace as ct
    chain = ct.load_sample()        # the bundled teaching chain
    chain.tx("...")                 # look at one transaction
    chain.address("...")            # look at one address

The public names below are imported on first use (PEP 562), so ``import cryptotrace``
takes 20-80 ms instead of the 2-3 s of importing pandas, matplotlib and every module
(measured on the 2-core test machine; it keeps ``cryptotrace --help`` instant), and
leaves your home directory untouched (bitcoinlib, which some features use, is pointed
at a private folder before it is ever imported).
"""

from __future__ import annotations

import importlib

from . import _bcl  # noqa: F401  (points bitcoinlib at a private folder before anything imports it)
from ._jupyter import install as _install_jupyter_errors
from ._jupyter import show_tracebacks
from .errors import CryptotraceError
from .glossary import glossary  # light (no pandas); imported here so ct.glossary is always the function

__version__ = "0.1.0"

# public name -> module that defines it (imported lazily on first use)
_EXPORTS = {
    # data model and files
    "Chain": "cryptotrace.chain",
    "SCHEMA": "cryptotrace.chain",
    "load_dataset": "cryptotrace.io.files",
    "save_dataset": "cryptotrace.io.files",
    "ChainStore": "cryptotrace.store",
    "load_sample": "cryptotrace.io.sample",
    "tx_graph": "cryptotrace.graph",
    "address_graph": "cryptotrace.graph",
    # amounts and addresses
    "format_btc": "cryptotrace.units",
    "btc_to_sats": "cryptotrace.units",
    "sats_to_btc": "cryptotrace.units",
    "SATS_PER_BTC": "cryptotrace.units",
    "is_valid_address": "cryptotrace.addresses",
    "decode_address": "cryptotrace.addresses",
    # public data sources
    "EsploraClient": "cryptotrace.io.esplora",
    "fetch_neighborhood": "cryptotrace.io.esplora",
    "load_esplora": "cryptotrace.io.esplora",
    "CoreRPCClient": "cryptotrace.io.core_rpc",
    "load_core_json": "cryptotrace.io.core_rpc",
    "load_raw_blocks": "cryptotrace.io.raw",
    "load_blk_files": "cryptotrace.io.raw",
    "load_raw_transactions": "cryptotrace.io.raw",
    "load_etl": "cryptotrace.io.etl",
    # cases
    "Case": "cryptotrace.cases",
    "AnswerKey": "cryptotrace.cases",
    "Scenario": "cryptotrace.cases",
    "load_case": "cryptotrace.cases",
    "load_answer_key": "cryptotrace.cases",
    "trainee_copy": "cryptotrace.cases",
    "load_scenario": "cryptotrace.cases",
    "make_case": "cryptotrace.cases",
    "generate": "cryptotrace.cases",
    # heuristics and clustering
    "heuristics": "cryptotrace.heuristics",
    "Clustering": "cryptotrace.clustering",
    "evaluate": "cryptotrace.clustering",
    "cluster": "cryptotrace.clustering",
    # attribution
    "TagStore": "cryptotrace.tags",
    "load_tags": "cryptotrace.tags",
    "cluster_tags": "cryptotrace.tags",
    # tracing
    "trace": "cryptotrace.tracing",
    "Trace": "cryptotrace.tracing",
    "seizure_candidates": "cryptotrace.tracing",
    # the whole case in one call
    "investigate": "cryptotrace.investigation",
    "Investigation": "cryptotrace.investigation",
    # money in euros and dollars (issue 17)
    "prices": "cryptotrace.prices",
    "add_fiat": "cryptotrace.prices",
    # showing
    "plot": "cryptotrace.plot",
    "report": "cryptotrace.reporting",
    "export": "cryptotrace.export",
    # the course's plain calls (issue 17): tables, pictures, searches and comparisons
    "show": "cryptotrace.display",
    "charts": "cryptotrace.charts",
    "address_summary": "cryptotrace.search",
    "payments_from": "cryptotrace.search",
    "where_from": "cryptotrace.search",
    "inputs_by_address": "cryptotrace.search",
    "paths": "cryptotrace.search",
    "find_services": "cryptotrace.search",
    "trace_transactions": "cryptotrace.search",
    "first_coinjoin": "cryptotrace.search",
    "coinjoin_entry": "cryptotrace.search",
    "amount_paid": "cryptotrace.search",
    "peel_chain": "cryptotrace.search",
    "wallet_addresses": "cryptotrace.search",
    "compare_policies": "cryptotrace.compare",
    "compare_clusterings": "cryptotrace.compare",
    "coinjoin_detectors": "cryptotrace.compare",
    "explore": "cryptotrace.explorer",
}
# names that are modules themselves (ct.plot.trace_flow(...), ct.heuristics.change ...)
_MODULES = {"heuristics", "plot", "export", "prices", "charts"}

__all__ = ["CryptotraceError", "__version__", "glossary", "show_tracebacks", *sorted(_EXPORTS)]

_install_jupyter_errors()  # in a notebook, a CryptotraceError shows as its message (see cryptotrace._jupyter)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cryptotrace' has no attribute {name!r}")
    mod = importlib.import_module(module)
    value = mod if name in _MODULES else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))

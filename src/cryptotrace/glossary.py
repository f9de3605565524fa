"""The glossary: plain-language definitions shared by the documentation and the notebooks."""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

from .errors import CryptotraceError

__all__ = ["Glossary", "glossary"]


@lru_cache(maxsize=1)
def _terms() -> dict:
    import yaml

    return yaml.safe_load((Path(__file__).parent / "data" / "glossary.yaml").read_text(encoding="utf-8"))


class Glossary:
    """All terms, or the ones matching a word. Shows as a table in Jupyter.

    >>> "CoinJoin" in glossary().terms
    True
    """

    def __init__(self, terms: dict):
        self.terms = terms

    def __getitem__(self, term: str) -> str:
        for key, value in self.terms.items():
            if key.lower() == term.lower():
                return value["means"]
        raise CryptotraceError(f"{term!r} is not in the glossary; ct.glossary() lists every term")

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{"term": k, "means": v["means"], "see": v.get("see", "")} for k, v in self.terms.items()])

    def __repr__(self) -> str:
        return f"<Glossary: {len(self.terms)} terms>"

    def __str__(self) -> str:
        return "\n".join(f"{k}: {v['means']}" for k, v in self.terms.items())

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
            f"{html.escape(v['means'])}</td><td><code>{html.escape(v.get('see', ''))}</code></td></tr>"
            for k, v in self.terms.items()
        )
        return f"<table><tr><th>term</th><th>means</th><th>in cryptotrace</th></tr>{rows}</table>"


def glossary(search: str | None = None) -> Glossary:
    """The glossary, or the terms whose name or definition mention ``search``.

    Examples
    --------
    >>> list(glossary("haircut").terms)
    ['haircut']
    """
    terms = _terms()
    if search:
        s = search.lower()
        terms = {k: v for k, v in terms.items() if s in k.lower()} or {
            k: v for k, v in terms.items() if s in v["means"].lower()
        }
    return Glossary(terms)

"""The report on paper: printed to A4 by headless Chromium (as a browser's "Print to PDF" does).

Before issue 17 the demo report printed to 54 A4 pages and its flow picture was cut at the page's
right edge (step 6 of 14). Here: at most 20 pages, findings and seizure candidates on page 1, and
every picture drawn whole inside one page.
"""

from __future__ import annotations

import base64
import re
import struct
import subprocess
import sys

import pypdf
from pypdf.generic import ContentStream

import cryptotrace as ct
from cryptotrace.reporting import report

from cryptotrace.testing import shown_case as toy

from ._browser import ARGS, CHROMIUM

A4 = (595.28, 841.89)  # points (210 x 297 mm)


def print_to_pdf(html_path, tmp_path):
    """``chromium --headless --print-to-pdf``: the page count and layout a reader gets from a browser."""
    pdf = tmp_path / (html_path.stem + ".pdf")
    cmd = [
        CHROMIUM,
        *ARGS,
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        f"--print-to-pdf={pdf}",
        "--no-pdf-header-footer",
        html_path.as_uri(),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert pdf.exists() and pdf.stat().st_size > 1000, f"Chromium did not print ({CHROMIUM}): {res.stderr[-2000:]}"
    return pypdf.PdfReader(pdf)


def png_sizes(html: str) -> list[tuple[int, int]]:
    """(width, height) in pixels of every picture embedded in the report (from each PNG's IHDR)."""
    out = []
    for data in re.findall(r"src='data:image/png;base64,([^']+)'", html):
        png = base64.b64decode(data)
        out.append(struct.unpack(">II", png[16:24]))
    return out


def drawn_images(reader) -> list[tuple[int, tuple[int, int], tuple[float, float, float, float], tuple]]:
    """(page, (width, height) in pixels, drawn box x0, y0, x1, y1 in points, page box) of every image drawn."""
    out = []
    for i, page in enumerate(reader.pages):
        xo = page["/Resources"].get("/XObject") or {}
        xo = {k: v.get_object() for k, v in xo.items()}
        ctm, stack = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0], []
        for ops, op in ContentStream(page.get_contents(), reader).operations:
            if op == b"q":
                stack.append(ctm)
            elif op == b"Q":
                ctm = stack.pop()
            elif op == b"cm":
                a, b, c, d, e, f = map(float, ops)
                A, B, C, D, E, F = ctm
                ctm = [a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F]
            elif op == b"Do" and ops[0] in xo and xo[ops[0]].get("/Subtype") == "/Image":
                A, B, C, D, E, F = ctm
                xs, ys = [E, E + A, E + C, E + A + C], [F, F + B, F + D, F + B + D]
                x = xo[ops[0]]
                out.append(
                    (
                        i + 1,
                        (int(x["/Width"]), int(x["/Height"])),
                        (min(xs), min(ys), max(xs), max(ys)),
                        tuple(float(v) for v in page.mediabox),
                    )
                )
    return out


def assert_every_picture_whole_on_one_page(html: str, reader) -> None:
    drawn = drawn_images(reader)
    sizes = png_sizes(html)
    assert sizes
    for size in sizes:
        where = [d for d in drawn if d[1] == size]
        assert len(where) == 1, f"picture {size} drawn {len(where)} times (split over pages?)"
        page, _, (x0, y0, x1, y1), (px0, py0, px1, py1) = where[0]
        assert px0 - 0.5 <= x0 < x1 <= px1 + 0.5 and py0 - 0.5 <= y0 < y1 <= py1 + 0.5, (
            f"picture {size} on page {page} is drawn at {(x0, y0, x1, y1)}, outside the page {(px0, py0, px1, py1)}"
        )


def test_demo_report_prints_on_a4_in_at_most_20_pages(tmp_path):
    out = tmp_path / "demo"
    res = subprocess.run(
        [sys.executable, "-m", "cryptotrace", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(tmp_path),
    )
    assert res.returncode == 0, res.stderr[-2000:]
    html = (out / "report.html").read_text(encoding="utf-8")
    reader = print_to_pdf(out / "report.html", tmp_path)
    n = len(reader.pages)
    assert 3 <= n <= 20, f"the demo report prints on {n} pages"
    w, h = (float(v) for v in reader.pages[0].mediabox[2:])
    assert abs(w - A4[0]) < 2 and abs(h - A4[1]) < 2, (w, h)  # A4, from the report's own @page rule
    # it leads with what matters: the findings and the material seizure candidates on page 1
    first = " ".join(reader.pages[0].extract_text().split())
    facts = ct.load_case("sample").answer_key.facts["ransomware"]  # the exchanges the ransom reached (answer key)
    exchanges = {d["exchange"] for e in facts["events"] if e["event"] == "peel_chain" for d in e["deposits"]}
    assert "Findings" in first
    assert exchanges and any(f"reached {x}" in first for x in exchanges), (exchanges, first[:1500])
    # money in euros and dollars beside BTC, the price source named
    assert "EUR / " in first and "USD at the time" in first and "price source:" in first
    # then the material seizure candidates: the whole table on one printed page (page 2), with the grade of
    # each candidate's evidence and the notes that say why, what it holds under and what a defence may say
    pages = [" ".join(pg.extract_text().split()) for pg in reader.pages]
    second = pages[1]
    assert "Seizure candidates" in second and "strength" in second
    shown = int(re.search(r"the largest (\d+) listed", second).group(1))
    ranks = [
        int(x) for x in re.findall(r"(?:^|\s)(\d{1,3}) (?:mixed|at_service|suspect_unspent|spent_unknown)\b", second)
    ]
    assert ranks[:1] == [1] and max(ranks) == shown, (shown, ranks)  # rank 1 to the last listed, one page
    notes = " ".join(pages[1:4])
    assert "Holds under" in notes and "A defence may answer" in notes
    # the flow picture (and every other) whole inside one page: not cut at the edge, not split
    assert len(png_sizes(html)) == 4
    assert_every_picture_whole_on_one_page(html, reader)
    # the long tables are in the appendix, cut, pointing to the CSV
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages[-8:])
    assert "the full table is in the CSV" in text


def test_pictures_of_any_shape_are_scaled_to_the_page(tmp_path):
    """A very wide and a very tall picture both fit one A4 page, whole."""
    from cryptotrace.plot import new_figure

    chain, tags, a, txids = toy()
    t = ct.trace(chain, f"{txids[0]}:0", tags=tags, min_value=0)
    figs = {}
    for name, (w, h) in {"wide": (30, 3), "tall": (4, 30)}.items():
        fig = new_figure(w, h)
        ax = fig.add_subplot()
        ax.plot([0, 1, 2], [0, 2, 1])
        ax.set_title(name)
        figs[name] = (f"a {name} picture", fig)
    path = report(t, tmp_path / "shapes.html", tags=tags, figures=figs, dpi=60)
    html = path.read_text(encoding="utf-8")
    reader = print_to_pdf(path, tmp_path)
    assert_every_picture_whole_on_one_page(html, reader)
    assert len(reader.pages) <= 8

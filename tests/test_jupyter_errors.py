"""In a notebook, a CryptotraceError shows as its message and a hint, not a wall of library frames.

Run in a real Jupyter kernel (nbclient, the same kernel the course notebooks use).
"""

from __future__ import annotations

import nbformat
import pytest

from ._kernel import kernel_name


def _run(cells: list[str]):
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=60, kernel_name=kernel_name(), allow_errors=True).execute()
    return [c.get("outputs", []) for c in nb.cells]


@pytest.mark.slow
def test_a_cryptotrace_error_is_its_message_and_the_traceback_is_one_step_away():
    out = _run(
        [
            "import cryptotrace as ct",
            "ct.load_dataset('no/such/folder')",
            "%tb",
            "ct.show_tracebacks(True)\nct.load_dataset('no/such/folder')",
            "ct.show_tracebacks(False)\n1 / 0",
        ]
    )
    short = [o for o in out[1] if o.output_type == "error"]
    assert len(short) == 1 and short[0].ename == "DatasetError"
    assert "no dataset at no/such/folder" in short[0].evalue
    tb = short[0].traceback
    assert len(tb) == 2 and tb[0].startswith("DatasetError: no dataset") and "%tb" in tb[1]
    assert not any("File " in line or "site-packages" in line for line in tb)
    # %tb right after shows the whole traceback, frames of cryptotrace's code included
    text = "".join("".join(o.get("traceback", [])) + o.get("text", "") for o in out[2])
    assert "read_manifest" in text and "files.py" in text
    # with show_tracebacks(True) the usual long traceback comes back
    full = [o for o in out[3] if o.output_type == "error"][0]
    assert len(full.traceback) > 3 and any("read_manifest" in line for line in full.traceback)
    # other exceptions keep IPython's display
    other = [o for o in out[4] if o.output_type == "error"][0]
    assert other.ename == "ZeroDivisionError" and len(other.traceback) > 2


def test_outside_a_notebook_nothing_changes():
    import cryptotrace as ct
    from cryptotrace import _jupyter

    assert _jupyter.install() is False  # no IPython shell in a plain test run
    ct.show_tracebacks(True)  # a no-op here, and no error
    with pytest.raises(ct.CryptotraceError):
        ct.load_dataset("no/such/folder")

"""examples/course.ipynb runs top to bottom in a real Jupyter kernel (nbclient), so its worked
examples, their asserts against the course's numbers, its plots and the inline lab stay true."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "course.ipynb"


def test_course_notebook_executes_with_inline_plots_and_the_lab(tmp_path, monkeypatch):
    src = str(Path(__file__).resolve().parents[1] / "src")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    # The kernel runs this interpreter, so it sees the same packages as the tests.
    client.km = client.create_kernel_manager()
    client.km.kernel_spec.argv[0] = sys.executable
    client.execute()

    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "f = -12   df/dx = -4   df/dy = -4   df/dz = 3" in text
    assert "L = 3.5   E = 1.125   dL/dw1 = 3.0   dL/dw2 = 2.0" in text
    assert "Iteration 1: w = 4.000000, f(w) = 16.000000" in text
    assert "Iteration 20: w = 0.057646" in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2  # the w² descent and the momentum paths, drawn inline
    frames = [o for o in outputs if "<iframe" in o.get("data", {}).get("text/html", "")]
    assert frames and "http://127.0.0.1:" in frames[0]["data"]["text/html"]


def test_show_names_the_pages_it_knows():
    import descentlab.lab

    with pytest.raises(ValueError, match=r"show: unknown page 'nope' \(expected one of: home, "):
        descentlab.lab.url("nope")

"""Projector-ready at 1024x768: every page's main figure starts above the fold, graph text is
at least 14 px, and the explanation panel folds away."""

from __future__ import annotations

import pytest

from descentlab.lab.app import discover_pages

pytestmark = pytest.mark.browser

# the pages of issue 14's items 3-5 (the others have their own tests)
PAGES = [
    p
    for p in discover_pages()
    if p.slug
    in {
        "landscape",
        "numerical_gradient",
        "gradient_check",
        "learning_rate",
        "batch_size",
        "computation_graph",
        "circuit",
        "gates",
        "optimizers",
        "vanishing",
        "backprop_by_hand",
    }
]

# the top of the first figure in the page's main column, and the smallest font of Plotly's
# tick labels, titles, legends and annotations (the "2" and "5" between the decades of a
# log axis are drawn at three quarters of the tick size and are left out)
_MEASURE_JS = """
() => {
  const main = document.querySelector('.lab-main');
  // the first graph of the column (not the first one Plotly happened to draw), once drawn
  const first = main && main.querySelector('.dash-graph, [id$="-graph"] canvas');
  const figure = first && (first.tagName === 'CANVAS' || first.querySelector('.main-svg'))
    ? first : null;
  const texts = '.xtick text, .ytick text, .gtitle, .xtitle, .ytitle, .legendtext, '
    + '.annotation-text';
  const sizes = [...document.querySelectorAll('.lab-main .js-plotly-plot')]
    .flatMap((gd) => [...gd.querySelectorAll(texts)])
    .filter((t) => !/^[2-9]$/.test(t.textContent.trim()))
    .filter((t) => t.textContent.trim() && t.getBoundingClientRect().width > 0)
    .map((t) => parseFloat(getComputedStyle(t).fontSize));
  return {top: figure ? figure.getBoundingClientRect().top : null,
          smallest: sizes.length ? Math.min(...sizes) : null};
}
"""


def test_main_figures_start_above_the_fold_with_readable_text(lab):
    lab.page.set_viewport_size({"width": 1024, "height": 768})
    problems = []
    try:
        for page in PAGES:
            lab.open(page.path)
            measured = lab.wait_for(
                lambda: (m := lab.page.evaluate(_MEASURE_JS))["top"] is not None and m
            )
            if not measured["top"] < 768:
                problems.append(f"{page.path}: the main figure starts at {measured['top']} px")
            if measured["smallest"] is not None and measured["smallest"] < 14:
                problems.append(f"{page.path}: graph text of {measured['smallest']} px")
        # the explanation folds away, and the main column takes its room
        lab.open("/learning-rate")
        width = lab.page.locator(".lab-main").bounding_box()["width"]
        lab.page.click(".lab-explanation > summary")
        lab.wait_for(lambda: lab.page.locator(".lab-main").bounding_box()["width"] > width + 100)
        assert not lab.page.locator(".lab-explanation").evaluate("d => d.open")
    finally:
        lab.page.set_viewport_size({"width": 1400, "height": 950})
    assert problems == []

"""Issue 14's links, each in one Chromium page: a teacher's address shows the course's numbers.

Every number is the course's own (004 §1.2, §1.3, §3.3 and §4.1; 003 §6 and §7; 001's worked
example), worked again here where the arithmetic is short. One browser page visits every
address, so the scripts load once.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

# address -> {element: the texts it must show}; "re:" marks a regular expression
LINKS = {
    # 004 §4.1: f = x² from 10 for 20 steps; w <- (1 - 2 lr) w
    "/learning-rate?lr=1.1&w0=10&steps=20": {
        "learning-rate-verdict1d": ["= 146977.16", "diverging"]
    },
    "/learning-rate?lr=0.5&w0=10&steps=20": {"learning-rate-verdict1d": ["= 0:", "converged"]},
    "/learning-rate?lr=0.1&w0=10&steps=20": {
        "learning-rate-verdict1d": ["= 0.0133", "slow", "above the course's threshold 0.01"]
    },
    "/learning-rate?lr=0.01&w0=10&steps=20": {"learning-rate-verdict1d": ["= 44.57", "slow"]},
    # 004 §1.2: x from 5 with lr 0.1, x <- 0.8 x
    "/learning-rate?lr=0.1&w0=5&steps=20": {
        "learning-rate-table": ["4.000000", "16.000000", "1.638400", "0.057646"]
    },
    # 004 §1.3: x² + 2y² from (4, 3)
    "/landscape?surface=x**2+2*y**2&x=4&y=3&lr=0.1&steps=1": {
        "landscape-readout": ["(3.2, 1.8)", "f(x, y) = 16.72"]
    },
    "/landscape?surface=x**2+2*y**2&x=4&y=3&lr=0.1&steps=15": {
        "landscape-readout": ["(0.1407, 0.0014)", "f(x, y) = 0.0198"]
    },
    # 004 §3.3: SGD against the moving-average momentum on x² + 10y² from (10, 1)
    "/optimizers?surface=x**2+10*y**2&x=10&y=1&lr=0.05&steps=50&momentum=0.9": {
        "optimizers-final-sgd": ["0.002656"],
        "optimizers-final-momentum": ["0.386138"],
        "optimizers-note": ["Momentum ends behind SGD"],
    },
    # 003 §6: (x + y) z at x = -1.99 (no snapping to the slider's steps)
    "/computation-graph?x=-1.99&y=5&z=-4": {"computation-graph-result": ["= -12.04"]},
    # 003 §7: (x + y) z + max(x, w) at (2, 1, -3, 4), after the backward pass
    "/circuit?x=2&y=1&z=-3&w=4&stage=backward": {
        "circuit-table": [
            r"re:f\s+q2 \+ q3\s+-5\s+1",
            r"re:x\s+input\s+2\s+-3",
            r"re:y\s+input\s+1\s+-3",
            r"re:z\s+input\s+-3\s+3",
            r"re:w\s+input\s+4\s+1",
        ]
    },
    # 001: the course's rule pushes L towards 5
    "/backprop-by-hand?lr=0.1": {
        "backprop-by-hand-new-w1": ["0.8"],
        "backprop-by-hand-new-w2": ["1.7"],
        "backprop-by-hand-after": ["a2 = 4.92"],
    },
    "/backprop-by-hand?lr=0.2": {
        "backprop-by-hand-new-w1": ["1.1"],
        "backprop-by-hand-new-w2": ["1.9"],
        "backprop-by-hand-after": ["a2 = 6.58"],
    },
}


def _matches(text: str, pattern: str) -> bool:
    if pattern.startswith("re:"):
        return re.search(pattern[3:], text) is not None
    return pattern in text


def test_every_course_link_shows_its_numbers(lab):
    failures = []
    for address, elements in LINKS.items():
        lab.open(address)
        for element, patterns in elements.items():

            def shown(element=element, patterns=patterns):
                text = lab.text(element) if lab.page.locator(f"#{element}").count() else ""
                return text if all(_matches(text, p) for p in patterns) else None

            try:
                lab.wait_for(shown, timeout=15)
            except AssertionError:
                failures.append(f"{address} #{element}: {lab.text(element)[:300]!r}")
    assert failures == []


def test_a_page_writes_its_state_into_the_address(lab):
    lab.open("/learning-rate?lr=0.5")
    lab.wait_for(lambda: "steps=20" in lab.page.url and "lr=0.5" in lab.page.url)
    lab.enter("#learning-rate-steps", "7")
    lab.wait_for(lambda: "steps=7" in lab.page.url)
    # the address opens the same set-up again, exactly
    lab.open(lab.page.url.removeprefix(lab.url))
    assert lab.page.input_value("#learning-rate-steps") == "7"
    assert lab.page.input_value("#learning-rate-lr") == "0.5"
    # a typed value stays exact; the slider only follows it
    lab.enter("#learning-rate-lr", "0.123")
    lab.wait_for(lambda: "lr=0.123" in lab.page.url)
    assert lab.page.input_value("#learning-rate-lr") == "0.123"
    # a formula travels with its plus signs
    lab.open("/landscape?surface=x**2+2*y**2&x=4&y=3", ready="#landscape-readout")
    lab.wait_for(lambda: "surface=x**2%2B2*y**2" in lab.page.url)
    assert lab.page.input_value("#landscape-surface") == "x**2+2*y**2"

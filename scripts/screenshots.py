"""Take a PNG of the lab's index and of every simulation page, into docs/screenshots/.

Starts ``python -m descentlab lab`` on a free port, drives Debian's Chromium with Playwright
(launched as ../shared/LAB-STACK.md describes; never ``playwright install``), waits for each
page's figures to be drawn, and saves ``docs/screenshots/NN-<slug>.png`` (``00-index.png``
for the index). Exits with 1 if a page logged a console error or asked for anything outside
127.0.0.1.

    python scripts/screenshots.py                 # every page
    python scripts/screenshots.py --only landscape optimizers
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The browser tests' helpers: one launch recipe and one way to start and stop the lab.
sys.path.insert(0, str(ROOT / "tests" / "lab"))
from labkit import CHROMIUM, CHROMIUM_ARGS, free_port, is_local, stop, wait_until_serving  # noqa: E402


def wait_for_figures(page, timeout_ms: int = 15_000) -> None:
    """Until every dcc.Graph on the page has been drawn with data and Dash is idle."""
    page.wait_for_function(
        """() => {
            const graphs = [...document.querySelectorAll('.dash-graph')];
            const drawn = graphs.every((g) => {
                const gd = g.querySelector('.js-plotly-plot');
                return gd && gd.data && gd.data.length > 0;
            });
            return drawn && !document.querySelector('[data-dash-is-loading="true"]');
        }""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(400)  # let Plotly finish its transitions


def _playground(page) -> None:
    page.goto(
        page.url.split("?")[0] + "?dataset=spirals&noise=0.1&features=x1,x2,x1^2,x2^2,sin+x1,"
        "sin+x2&hidden=8,8,4&epochs=500&lr=0.01"
    )
    page.wait_for_selector("#playground-metrics:has-text('loss')", timeout=90_000)
    page.click("#playground-play")
    page.wait_for_function(
        "() => /Epoch ([2-9]\\d\\d|\\d{4})/.test(document.getElementById('playground-epoch')"
        ".innerText)",
        timeout=180_000,
    )
    page.click("#playground-play")
    page.wait_for_function("() => document.getElementById('playground-play').innerText === 'Play'")
    page.wait_for_timeout(1500)  # the last frame of the paused run


# what to do on a page before its picture, so that it shows a simulation under way
def _run_to_end(prefix: str, episodes: int) -> callable:
    """Set the episodes, press Start and wait until the server-side run has finished."""

    def pose(page) -> None:
        page.fill(f"#{prefix}-episodes", str(episodes))
        page.press(f"#{prefix}-episodes", "Enter")
        page.click(f"#{prefix}-start")
        page.wait_for_function(
            f"() => document.getElementById('{prefix}-state').innerText.includes('finished')",
            timeout=300_000,
        )
        page.wait_for_timeout(800)

    return pose


def _kohonen(page) -> None:
    page.click("#kohonen-digits-train")
    page.wait_for_selector("#kohonen-digits .js-plotly-plot", timeout=120_000)


POSES = {
    "playground": _playground,
    "q_learning": _run_to_end("q-learning", 300),
    "policy_gradient": _run_to_end("policy-gradient", 150),
    "kohonen": _kohonen,
}
# or the address of a set-up from the course (every page keeps its state in its address)
SETUPS = {
    "landscape": "?surface=x**2+2*y**2&x=4&y=3&lr=0.1&steps=8",
    "learning_rate": "?lr=0.9&w0=10&steps=20",
    "computation_graph": "?x=-1.99&y=5&z=-4&stage=backward",
    "circuit": "?x=2&y=1&z=-3&w=4&stage=backward",
    "optimizers": "?surface=x**2+10*y**2&x=10&y=1&lr=0.05&steps=50&momentum=0.9",
    "gradient_check": "?loss=double_well&w=1.5&h=0.3",
    "batch_size": "?by=steps&steps=30",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", nargs="*", help="page slugs (module names) to shoot")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=950)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from descentlab.lab.app import discover_pages

    pages = discover_pages()
    if args.only:
        unknown = set(args.only) - {p.slug for p in pages}
        if unknown:
            parser.error(f"unknown page(s): {', '.join(sorted(unknown))}")
        pages = [p for p in pages if p.slug in args.only]
    targets = [("00-index", "/", "#lab-home", None)] if not args.only else []
    targets += [
        (
            f"{p.order:02d}-{p.slug}",
            p.path + SETUPS.get(p.slug, ""),
            f"#lab-frame-{p.prefix}",
            POSES.get(p.slug),
        )
        for p in pages
    ]
    args.out.mkdir(parents=True, exist_ok=True)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "descentlab", "lab", "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    problems: list[str] = []
    try:
        wait_until_serving(url, proc)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": args.width, "height": args.height})
            page = context.new_page()
            page.on(
                "console",
                lambda msg: (
                    problems.append(f"console: {msg.text}") if msg.type == "error" else None
                ),
            )
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on(
                "request",
                lambda req: (
                    None if is_local(req.url) else problems.append(f"outside request: {req.url}")
                ),
            )
            for name, path, ready, pose in targets:
                page.goto(url + path)
                page.wait_for_selector(ready)
                wait_for_figures(page)
                if pose:
                    pose(page)
                    wait_for_figures(page)
                target = args.out / f"{name}.png"
                page.screenshot(path=str(target), full_page=True)
                print(
                    f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}"
                )
            browser.close()
    finally:
        stop(proc)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""Build the lab's Dash app: discover the pages, route between them, keep the server quiet.

The app is a shell (a navigation bar, a ``dcc.Location`` and an empty ``lab-page`` div) and a
router callback that renders the page for the current path. Pages are the modules of
:mod:`descentlab.lab.pages` (see its docstring for the contract), found with :mod:`pkgutil`, so
adding a page is adding a module. Only the page on screen is in the DOM, so only its callbacks
fire (``suppress_callback_exceptions`` lets the others be registered up front).

Everything the browser loads comes from installed packages (``serve_locally``); nothing is
fetched from outside the machine. A callback that raises anyway (a bug, never user input: pages
validate their input themselves) is caught by :func:`_on_error`, which logs the traceback and
writes one sentence into the page's error div.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import dash
from dash import Input, Output, State, dcc, html

from descentlab.lab import guard, widgets

ASSETS_FOLDER = Path(__file__).with_name("assets")
PAGES_PACKAGE = "descentlab.lab.pages"
log = logging.getLogger("descentlab.lab")


@dataclass(frozen=True)
class Page:
    """One discovered page: its module and the contract attributes it exports."""

    slug: str  # the module name, e.g. "learning_rate"
    prefix: str  # the component-id prefix, e.g. "learning-rate"
    order: int
    path: str
    title: str
    explanation: str
    module: ModuleType
    address: tuple[widgets.Field, ...] = ()

    @property
    def error_id(self) -> str:
        return f"{self.prefix}-error"


class PageContractError(TypeError):
    """A page module does not follow the contract in :mod:`descentlab.lab.pages`."""


def _check_page(name: str, module: ModuleType) -> Page:
    expected = {"ORDER": int, "PATH": str, "TITLE": str, "EXPLANATION": str}
    for attr, kind in expected.items():
        value = getattr(module, attr, None)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise PageContractError(
                f"Lab page {module.__name__} must export {attr} as {kind.__name__} "
                f"(received {value!r})"
            )
    for attr in ("layout", "register_callbacks"):
        if not callable(getattr(module, attr, None)):
            raise PageContractError(f"Lab page {module.__name__} must export a function {attr}()")
    if not 1 <= module.ORDER <= 99:
        raise PageContractError(
            f"Lab page {module.__name__}: ORDER must be in 1..99 (received {module.ORDER})"
        )
    if not module.PATH.startswith("/") or module.PATH == "/":
        raise PageContractError(
            f"Lab page {module.__name__}: PATH must start with '/' and not be '/' "
            f"(received {module.PATH!r})"
        )
    return Page(
        slug=name,
        prefix=name.replace("_", "-"),
        order=module.ORDER,
        path=module.PATH,
        title=module.TITLE,
        explanation=module.EXPLANATION,
        module=module,
        address=tuple(getattr(module, "ADDRESS", ())),
    )


def discover_pages() -> list[Page]:
    """Import every module of :mod:`descentlab.lab.pages` and return its pages sorted by ORDER.

    Raises :class:`PageContractError` when a module misses part of the contract or two pages
    share an ORDER or a PATH.
    """
    package = importlib.import_module(PAGES_PACKAGE)
    pages = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_") or info.ispkg:
            continue
        module = importlib.import_module(f"{PAGES_PACKAGE}.{info.name}")
        pages.append(_check_page(info.name, module))
    pages.sort(key=lambda page: (page.order, page.slug))
    for attr in ("order", "path"):
        seen: dict[Any, str] = {}
        for page in pages:
            value = getattr(page, attr)
            if value in seen:
                raise PageContractError(
                    f"Lab pages {seen[value]} and {page.slug} share the same {attr.upper()} "
                    f"{value!r}"
                )
            seen[value] = page.slug
    return pages


def _nav(pages: list[Page], pathname: str | None) -> list[Any]:
    links = [dcc.Link("descentlab lab", href="/", className="lab-brand")]
    for page in pages:
        active = " lab-nav-active" if pathname == page.path else ""
        links.append(
            dcc.Link(
                f"{page.order}. {page.title}",
                href=page.path,
                id=f"lab-nav-{page.prefix}",
                className="lab-nav-link" + active,
            )
        )
    return links


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def home_layout(pages: list[Page]) -> html.Div:
    """The index page: one card per simulation, linking to it."""
    cards = [
        dcc.Link(
            [
                html.Div(f"{page.order}", className="lab-card-number"),
                html.Div(
                    [html.H3(page.title), dcc.Markdown(_first_sentence(page.explanation))],
                    className="lab-card-text",
                ),
            ],
            href=page.path,
            className="lab-card",
            id=f"lab-card-{page.prefix}",
        )
        for page in pages
    ]
    return html.Div(
        [
            html.H2("Simulations"),
            html.P(
                "Every number and curve in these pages is computed on the server by "
                "descentlab's own autograd engine and optimisers. Pick a simulation:"
            ),
            html.Div(cards, className="lab-cards", id="lab-home"),
        ]
    )


def page_frame(page: Page, query: dict[str, str] | None = None) -> html.Div:
    """A page's layout with its title and, beside it, its explanation (a panel that folds).

    ``query`` (the parsed address, see :func:`descentlab.lab.widgets.parse_query`) sets the
    components named by the page's ``ADDRESS`` fields, so a link reproduces a set-up.
    """
    main = widgets.apply_address(page.module.layout(), page.address, query or {})
    return html.Div(
        [
            html.H2(page.title, className="lab-page-title"),
            html.Div(
                [
                    html.Div(main, className="lab-main"),
                    html.Details(
                        [
                            html.Summary("About this page", className="lab-explanation-toggle"),
                            dcc.Markdown(page.explanation),
                        ],
                        open=True,
                        className="lab-explanation",
                        id=f"lab-explanation-{page.prefix}",
                    ),
                ],
                className="lab-columns",
            ),
            widgets.address_store(page.prefix) if page.address else None,
        ],
        id=f"lab-frame-{page.prefix}",
    )


def _error_target(outputs_list: Any, pages: list[Page]) -> str:
    """The error div of the page that owns a callback's first output ("lab-error" if none)."""
    first = outputs_list
    while isinstance(first, list) and first:
        first = first[0]
    component_id = first.get("id") if isinstance(first, dict) else None
    if isinstance(component_id, str):
        for page in sorted(pages, key=lambda p: -len(p.prefix)):
            if component_id.startswith(page.prefix + "-"):
                return page.error_id
    return "lab-error"


def create_app() -> dash.Dash:
    """Build the lab: discover the pages, lay out the shell, register every page's callbacks."""
    pages = discover_pages()

    def on_error(err: Exception) -> None:
        # Pages turn bad input into a sentence themselves; landing here means a bug. Log it
        # (so tests that watch the server's log catch it) and tell the user in one sentence.
        log.error("lab callback failed", exc_info=err)
        target = _error_target(dash.callback_context.outputs_list, pages)
        dash.set_props(
            target,
            {"children": f"This could not be computed ({type(err).__name__}: {err})."},
        )
        return None

    # Build every page once now: a page may import its component library (dash-cytoscape)
    # inside layout(), and Dash must know every library before the first request so that the
    # index page lists its scripts (importing one inside a callback is refused).
    page_layouts = [page_frame(page) for page in pages]
    app = dash.Dash(
        __name__,
        title="descentlab lab",
        update_title=None,
        serve_locally=True,
        assets_folder=str(ASSETS_FOLDER),
        suppress_callback_exceptions=True,
        on_error=on_error,
    )
    # Not served by app.run(), so set the dev tools explicitly: all off, and never ask a
    # remote server for Dash's version.
    app.enable_dev_tools(debug=False, dev_tools_disable_version_check=True)
    app.layout = html.Div(
        [
            dcc.Location(id="lab-url"),
            html.Nav(_nav(pages, None), id="lab-nav", className="lab-nav"),
            html.Div(id="lab-error", className="lab-error"),
            html.Main(id="lab-page", className="lab-page"),
        ],
        className="lab-shell",
    )
    app.validation_layout = html.Div([app.layout, home_layout(pages), *page_layouts])
    by_path = {page.path: page for page in pages}

    @app.callback(
        Output("lab-page", "children"),
        Output("lab-nav", "children"),
        Input("lab-url", "pathname"),
        State("lab-url", "search"),
    )
    def route(pathname: Any, search: Any) -> tuple[Any, list[Any]]:
        if not isinstance(pathname, str) or len(pathname) > 200:
            pathname = "/"
        path = pathname.rstrip("/") or "/"
        if path == "/":
            content: Any = home_layout(pages)
        elif path in by_path:
            content = page_frame(by_path[path], widgets.parse_query(search))
        else:
            content = html.Div(
                [
                    html.H2("No such page"),
                    html.P(f"There is no simulation at {path}; choose one from the list above."),
                ],
                id="lab-not-found",
            )
        return content, _nav(pages, path)

    for page in pages:
        page.module.register_callbacks(app)
        if page.address:
            widgets.register_address(app, page.prefix, page.path, page.address)
    guard.install(app)
    return app

"""The descentlab lab: a local web app of interactive simulations run on descentlab's engine.

Start it with ``descentlab lab`` (see :mod:`descentlab.cli.lab`) or build the Dash app with
:func:`descentlab.lab.app.create_app`. Each simulation is one module in
:mod:`descentlab.lab.pages`; the maths behind a page lives in plain functions (in the page
module or in :mod:`descentlab.lab.compute`) so that tests can call them without a browser.

In Jupyter, ``descentlab.lab.show("playground")`` draws a page inline
(:mod:`descentlab.lab.notebook`).

Dash and Plotly are imported only when the app is built, so ``import descentlab.lab`` is light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import dash

from descentlab.lab.notebook import show, stop, url

__all__ = ["create_app", "show", "stop", "url"]


def create_app() -> dash.Dash:
    """Build the lab's Dash app (see :func:`descentlab.lab.app.create_app`)."""
    from descentlab.lab.app import create_app as _create_app

    return _create_app()

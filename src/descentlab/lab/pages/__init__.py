"""The lab's simulation pages: one module per page, discovered by :mod:`descentlab.lab.app`.

Every module in this package is a page and exports:

- ``ORDER: int``: its position in the navigation bar (1..12);
- ``PATH: str``: its URL path, e.g. ``"/landscape"``;
- ``TITLE: str``: the heading and the navigation label;
- ``EXPLANATION: str``: a short paragraph (Markdown) shown beside the figure;
- ``layout() -> dash component``: the page's controls and figures;
- ``register_callbacks(app: dash.Dash) -> None``: its callbacks.

Component ids start with the page's slug (the module name, ``_`` written ``-``), and each page
has an ``html.Div(id="<slug>-error")`` where a callback writes one clear sentence when the
input is bad. Per-user state lives only in ``dcc.Store`` components; callbacks never raise
for user input and every request is bounded. The maths lives in plain functions that call the
engine (see :mod:`descentlab.lab.compute`), never in the callbacks.
"""

"""Bounds on what the lab's server accepts before Dash sees a request.

- A request body over :data:`MAX_BODY` bytes gets HTTP 413 (Flask's ``MAX_CONTENT_LENGTH``:
  Werkzeug stops reading at the limit, whether or not the client declared a length).
- A callback request (``POST /_dash-update-component``) must have the shape Dash's front end
  sends for a callback the app has: JSON, an ``output`` the app knows, as many ``outputs``,
  ``inputs`` and ``state`` entries as that callback declares, each an ``{id, property}`` dict
  naming the declared property (a list of them for a pattern-matching ``ALL`` dependency).
  Anything else gets HTTP 400 with one sentence, instead of an exception inside Dash (a 500).

What such a well-formed request carries as values is the pages' business: every callback
checks its own inputs and answers bad ones with the page's message.
"""

from __future__ import annotations

import json
from typing import Any

import dash

MAX_BODY = 1024 * 1024  # bytes
MAX_PATTERN_ITEMS = 200  # components one pattern-matching dependency may carry
UPDATE_PATH = "_dash-update-component"


class BadRequest(ValueError):
    """A callback request that is not one the lab's front end would send."""


def _is_pattern(spec_id: str) -> bool:
    return spec_id.startswith("{")


def _wildcard(spec_id: str) -> str | None:
    """``"ALL"``, ``"MATCH"`` or ``"ALLSMALLER"`` for a pattern id, None otherwise."""
    if not _is_pattern(spec_id):
        return None
    for value in json.loads(spec_id).values():
        if isinstance(value, list) and value:
            return str(value[0])
    return "EXACT"


def _check_one(item: Any, spec: dict[str, Any], where: str, with_value: bool) -> None:
    if not isinstance(item, dict) or not isinstance(item.get("property"), str):
        raise BadRequest(f"{where} must be an object with id and property")
    # an output of allow_duplicate comes as "children@<hash>"
    if item["property"].split("@", 1)[0] != spec["property"].split("@", 1)[0]:
        raise BadRequest(f"{where} must name the property {spec['property']!r}")
    component = item.get("id")
    if _is_pattern(spec["id"]):
        if not isinstance(component, dict) or not all(
            isinstance(k, str) and isinstance(v, str | int | float | bool)
            for k, v in component.items()
        ):
            raise BadRequest(f"{where} must have a pattern-matching id (an object)")
        expected_type = json.loads(spec["id"]).get("type")
        if component.get("type") != expected_type:
            raise BadRequest(f"{where} must have an id of type {expected_type!r}")
    elif component != spec["id"]:
        raise BadRequest(f"{where} must have the id {spec['id']!r}")
    if with_value and spec["property"] == "id" and item.get("value", component) != component:
        raise BadRequest(f"{where} must carry the component's own id as its value")
    if with_value and "value" in item:
        try:
            json.dumps(item["value"], allow_nan=False)
        except (TypeError, ValueError):
            raise BadRequest(f"{where} has a value that is not plain JSON") from None


def _check_list(
    items: Any,
    specs: list[dict[str, Any]],
    what: str,
    with_value: bool,
    counts: dict[str, int] | None = None,
) -> None:
    """Check ``items`` against ``specs``; ``counts`` records (inputs, state) or enforces
    (outputs) the number of components each pattern-matching ``ALL`` id matched."""
    if not isinstance(items, list) or len(items) != len(specs):
        raise BadRequest(f"{what} must be a list of {len(specs)} entries")
    for i, (item, spec) in enumerate(zip(items, specs)):
        where = f"{what}[{i}]"
        if _wildcard(spec["id"]) in ("ALL", "ALLSMALLER"):
            if not isinstance(item, list) or len(item) > MAX_PATTERN_ITEMS:
                raise BadRequest(f"{where} must be a list of at most {MAX_PATTERN_ITEMS} entries")
            if counts is not None and with_value:
                counts[spec["id"]] = len(item)
            elif counts is not None and counts.get(spec["id"], len(item)) != len(item):
                raise BadRequest(
                    f"{where} must list the {counts[spec['id']]} components its input lists"
                )
            for j, sub in enumerate(item):
                _check_one(sub, spec, f"{where}[{j}]", with_value)
        else:
            _check_one(item, spec, where, with_value)


def _output_specs(output: str) -> list[dict[str, Any]]:
    if output.startswith(".."):
        parts = output[2:-2].split("...")
    else:
        parts = [output]
    specs = []
    for part in parts:
        component, _, prop = part.rpartition(".")
        specs.append({"id": component, "property": prop.split("@", 1)[0]})
    return specs


def check_body(body: Any, callback_map: dict[str, Any]) -> None:
    """Raise :class:`BadRequest` unless ``body`` is a callback request the app can run."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        raise BadRequest("output must name one of the app's callbacks")
    entry = callback_map[output]
    counts: dict[str, int] = {}
    _check_list(body.get("inputs"), entry["inputs"], "inputs", True, counts)
    _check_list(body.get("state", []), entry["state"], "state", True, counts)
    outputs = body.get("outputs")
    specs = _output_specs(output)
    if not entry.get("no_output"):
        if len(specs) == 1 and isinstance(outputs, dict | list) and _wildcard(specs[0]["id"]):
            outputs = [outputs]
        elif len(specs) == 1 and isinstance(outputs, dict):
            outputs = [outputs]
        _check_list(outputs, specs, "outputs", False, counts)
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise BadRequest("changedPropIds must be a list of strings")


def install(app: dash.Dash) -> None:
    """Bound the body size and check every callback request of ``app``'s Flask server."""
    import flask

    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    update_path = app.config.routes_pathname_prefix + UPDATE_PATH

    @server.before_request
    def _check_update() -> Any:
        if flask.request.path != update_path or flask.request.method != "POST":
            return None
        raw = flask.request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
        try:
            try:
                body = json.loads(raw)
            except (ValueError, RecursionError):
                raise BadRequest("the body must be JSON") from None
            check_body(body, app.callback_map)
        except BadRequest as exc:
            return flask.jsonify({"error": f"Bad callback request: {exc}."}), 400
        return None

"""Every server callback of the lab, fed crafted values: each answers with its page's message
or a plain update, never with the error handler, a traceback or an HTTP 500; malformed and
oversized requests are refused with 400 and 413 before Dash runs anything.

The bodies are built from ``/_dash-dependencies`` (the callbacks as the front end sees them)
and the app's validation layout (every component's initial props); each test posts one body
per (field, bad value) pair with the Flask test client.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder

from descentlab.lab.app import create_app

BAD_VALUES: list[Any] = [
    None,
    "abc",
    -1,
    10**400,
    True,
    [],
    {"points": "x", "a": [1, {"b": None}]},
]


@pytest.fixture(scope="module")
def app():
    return create_app()


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


@pytest.fixture(scope="module")
def dependencies(client):
    response = client.get("/_dash-dependencies")
    assert response.status_code == 200
    return [d for d in response.get_json() if not d.get("clientside_function")]


def _components(app) -> dict[str, Any]:
    """Every component of the validation layout with an id, by id (pattern ids as JSON)."""
    found = {}
    for component in app.validation_layout._traverse():
        component_id = getattr(component, "id", None)
        if component_id is None:
            continue
        key = (
            json.dumps(component_id, sort_keys=True, separators=(",", ":"))
            if isinstance(component_id, dict)
            else component_id
        )
        found[key] = component
    return found


def _matches(pattern: dict[str, Any], component_id: dict[str, Any]) -> bool:
    return set(pattern) == set(component_id) and all(
        isinstance(v, list) or component_id[k] == v for k, v in pattern.items()
    )


def _value(component: Any, prop: str) -> Any:
    if prop == "id":
        return component.id
    value = getattr(component, prop, None)
    return value.to_plotly_json() if hasattr(value, "to_plotly_json") else value


def _entries(specs: list[dict[str, Any]], components: dict[str, Any]) -> list[Any]:
    out = []
    for spec in specs:
        if spec["id"].startswith("{"):
            pattern = json.loads(spec["id"])
            matched = [
                c for c in components.values() if isinstance(c.id, dict) and _matches(pattern, c.id)
            ]
            out.append(
                [
                    {"id": c.id, "property": spec["property"], "value": _value(c, spec["property"])}
                    for c in matched
                ]
            )
        else:
            component = components.get(spec["id"])
            value = None if component is None else _value(component, spec["property"])
            out.append({"id": spec["id"], "property": spec["property"], "value": value})
    return out


def _outputs(output: str, components: dict[str, Any]) -> list[Any]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    outs = []
    for part in parts:
        component, _, prop = part.rpartition(".")
        entry = _entries([{"id": component, "property": prop}], components)[0]
        if isinstance(entry, dict):
            entry.pop("value")
        else:
            entry = [{"id": e["id"], "property": e["property"]} for e in entry]
        outs.append(entry)
    return outs


def _base(dep: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    outputs = _outputs(dep["output"], components)
    return {
        "output": dep["output"],
        "outputs": outputs[0] if len(outputs) == 1 else outputs,
        "inputs": _entries(dep["inputs"], components),
        "state": _entries(dep["state"], components),
        "changedPropIds": [],
    }


def _name(entry: dict[str, Any]) -> str:
    component = entry["id"]
    if isinstance(component, dict):
        component = json.dumps(component, sort_keys=True, separators=(",", ":"))
    return f"{component}.{entry['property']}"


def _mutations(body: dict[str, Any], values: list[Any]):
    """(label, body) for each field of inputs and state set to each bad value; the changed
    prop is the mutated input (or the first input for a state). Of a pattern-matching list
    only the first two components are mutated: the others are of the same kind."""
    for part in ("inputs", "state"):
        for i, entry in enumerate(body[part]):
            entries = entry[:2] if isinstance(entry, list) else [entry]
            for j, single in enumerate(entries):
                for bad in values:
                    mutated = json.loads(json.dumps(body))
                    target = mutated[part][i]
                    target = target[j] if isinstance(target, list) else target
                    target["value"] = bad
                    trigger = single if part == "inputs" else _first(body["inputs"])
                    mutated["changedPropIds"] = [_name(trigger)] if trigger else []
                    yield f"{_name(single)}={str(bad)[:20]}", mutated


def _first(inputs: list[Any]) -> dict[str, Any] | None:
    for entry in inputs:
        if isinstance(entry, dict):
            return entry
        if entry:
            return entry[0]
    return None


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


PLAYGROUND = "playground-"  # its callbacks train networks: fuzzed apart, with fewer values


def _fuzz(app, client, dependencies, values: list[Any]) -> None:
    components = _components(app)
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    failures = []
    posted = 0
    try:
        for dep in dependencies:
            base = _base(dep, components)
            for label, body in [("as laid out", base), *_mutations(base, values)]:
                before = len(errors.records)
                response = client.post("/_dash-update-component", json=body)
                posted += 1
                text = response.get_data(as_text=True)
                refused = response.status_code == 400 and "Bad callback request" in text
                if (
                    response.status_code not in (200, 204)
                    and not refused
                    or len(errors.records) > before
                    or "This could not be computed" in text
                ):
                    failures.append(f"{dep['output'][:70]} {label}: {response.status_code}")
    finally:
        logging.getLogger().removeHandler(errors)
    assert posted > 50
    assert failures == [], f"{len(failures)} of {posted} requests failed:\n" + "\n".join(
        failures[:400]
    )


def test_every_callback_answers_bad_values_with_its_own_message(app, client, dependencies):
    pages = [d for d in dependencies if PLAYGROUND not in d["output"]]
    assert len(pages) > 30
    _fuzz(app, client, pages, BAD_VALUES)


def test_the_playground_answers_bad_values_with_its_own_message(app, client, dependencies):
    # fewer values: each of its callbacks trains a network
    _fuzz(app, client, [d for d in dependencies if PLAYGROUND in d["output"]], BAD_VALUES[2:5])


def test_malformed_bodies_get_400(app, client, dependencies):
    components = _components(app)
    dep = next(d for d in dependencies if "learning-rate" in d["output"])
    good = _base(dep, components)
    bodies: list[Any] = [
        b"not json",
        b"[" * 50_000,
        b"{}",
        b"[]",
        b'"text"',
        json.dumps({**good, "output": "nothing.here"}).encode(),
        json.dumps({**good, "output": 5}).encode(),
        json.dumps({**good, "inputs": good["inputs"][:-1]}).encode(),
        json.dumps({**good, "inputs": "x"}).encode(),
        json.dumps({**good, "inputs": [None] * len(good["inputs"])}).encode(),
        json.dumps({**good, "state": {"a": 1}}).encode(),
        json.dumps({**good, "outputs": []}).encode(),
        json.dumps({**good, "outputs": "x"}).encode(),
        json.dumps({**good, "changedPropIds": [1, 2]}).encode(),
        json.dumps({**good, "inputs": [{**e, "id": "other-id"} for e in good["inputs"]]}).encode(),
        json.dumps({**good, "inputs": [{**e, "property": "x"} for e in good["inputs"]]}).encode(),
        b'{"output": "learning-rate-error.children", "inputs": [NaN]}',
    ]
    for raw in bodies:
        response = client.post("/_dash-update-component", data=raw, content_type="application/json")
        assert response.status_code == 400, (raw[:120], response.status_code)
        assert "Bad callback request" in response.get_json()["error"]
    response = client.post("/_dash-update-component", data=b"{}", content_type="text/plain")
    assert response.status_code == 400


def test_bodies_over_one_mebibyte_get_413(client):
    big = b'{"output": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post("/_dash-update-component", data=big, content_type="application/json")
    assert response.status_code == 413
    # also without a declared length (a chunked upload)
    environ = EnvironBuilder(
        path="/_dash-update-component",
        method="POST",
        input_stream=io.BytesIO(big),
        content_type="application/json",
    ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input_terminated"] = True
    response = client.open(environ)
    assert response.status_code == 413

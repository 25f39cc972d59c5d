"""Validation of lab inputs: one sentence naming the field, what is allowed and what came."""

from __future__ import annotations

import pytest

from descentlab.lab.compute import (
    bounds,
    landscape,
)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "The learning rate must be a number from 1e-06 to 10 (received -1)."),
        (None, "The learning rate must be a number from 1e-06 to 10 (received nothing)."),
        ("abc", "The learning rate must be a number from 1e-06 to 10 (received 'abc')."),
        (float("nan"), "The learning rate must be a number from 1e-06 to 10 (received nan)."),
        (True, "The learning rate must be a number from 1e-06 to 10 (received True)."),
    ],
)
def test_bad_numbers_get_one_sentence(value, message):
    with pytest.raises(ValueError) as info:
        landscape.check_lr(value)
    assert str(info.value) == message


def test_bounds_choices_integers_and_points():
    assert bounds.number("3", "Steps", 1, 5, integer=True) == 3
    with pytest.raises(
        ValueError, match=r"^Steps must be a whole number from 1 to 5 \(received 2.5\)"
    ):
        bounds.number(2.5, "Steps", 1, 5, integer=True)
    with pytest.raises(ValueError, match=r"^The surface may use the variables x and y only"):
        landscape.check_surface("volcano")
    with pytest.raises(ValueError, match=r"^The surface must be one of bowl, ravine, rosenbrock"):
        landscape.check_surface(None)
    with pytest.raises(ValueError, match=r"cannot be read: .* column"):
        landscape.check_surface("x +* y")
    with pytest.raises(ValueError, match=r"^The starting point x must be a number from -1000 to"):
        landscape.start_state("bowl", [7000.0, 0.0])

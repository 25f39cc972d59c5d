"""Page 4, the learning rate: verdicts, and 004 §4.1's four runs and §1.2's iterations."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab.lab.compute import (
    learning_rate,
)


def test_learning_rate_verdicts_follow_the_curvature():
    # w²: curvature 2, so lr 0.1 is fine; ravine x² + 10y²: curvature 20 along y, so the same
    # lr = 2/20 sits on the edge (oscillating) and lr = 0.12 diverges
    result = learning_rate.compare("square", "ravine", 0.1, 30)
    assert result["one"]["verdict"] == "good"
    assert result["two"]["verdict"] == "oscillating"
    path = result["one"]["path"][:, 0]
    np.testing.assert_allclose(path, 2.0 * 0.8 ** np.arange(31), rtol=1e-12)
    result = learning_rate.compare("square", "ravine", 0.12, 30)
    assert (result["one"]["verdict"], result["two"]["verdict"]) == ("good", "diverging")
    result = learning_rate.compare("square", "bowl", 0.001, 30)
    assert result["one"]["verdict"] == result["two"]["verdict"] == "too small"
    with pytest.raises(
        ValueError, match=r"^The number of steps must be a whole number from 1 to 300"
    ):
        learning_rate.compare("square", "bowl", 0.1, 0)

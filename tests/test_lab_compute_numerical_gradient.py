"""Pages 2 and 3, numerical gradients: centred differences, error curves, the bands."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab.lab.compute import (
    gradient_check,
    numerical_gradient,
)


def test_centred_difference_is_exact_on_a_quadratic_and_o_h2_on_a_quartic():
    view = numerical_gradient.view("square", 2.0, 0.5)
    assert view["analytic"] == 4.0 and view["numerical"] == pytest.approx(4.0, abs=1e-12)
    assert view["minus"] == [1.5, 2.25] and view["plus"] == [2.5, 6.25]
    # L = w⁴ - 3w² + w: the centred difference overshoots by L'''(w) h²/6 = 4 w h² exactly
    w, h = 1.5, 0.01
    view = numerical_gradient.view("double_well", w, h)
    assert view["analytic"] == pytest.approx(4 * w**3 - 6 * w + 1)
    assert view["numerical"] - view["analytic"] == pytest.approx(4 * w * h**2, rel=1e-5)
    t0, t1 = view["tangent"]
    assert (t1[1] - t0[1]) / (t1[0] - t0[0]) == pytest.approx(view["analytic"])
    with pytest.raises(
        ValueError, match=r"The step h must be a number from 1e-08 to 2 \(received 0\)"
    ):
        numerical_gradient.view("square", 1.0, 0)
    with pytest.raises(ValueError, match=r"^w must be a number from -3 to 3 \(received 5\)"):
        numerical_gradient.view("square", 5, 0.1)


def test_error_curves_show_truncation_and_round_off():
    curves = gradient_check.error_curves("double_well", 1.5)
    f32, f64 = curves["float32"], curves["float64"]
    # the best h sits near the cube root of each machine epsilon (5e-3 and 6e-6)
    assert 1e-3 <= f32["best_h"] <= 3e-2 and 1e-6 <= f64["best_h"] <= 1e-4
    assert f64["relative"].min() < 1e-9 < f32["relative"].min() < 1e-5
    hs = curves["hs"]
    big = hs >= 1e-2  # truncation: the centred difference is L' + 4 w h² exactly
    excess = 4 * 1.5 * hs[big] ** 2
    expected = excess / (5.5 + excess)
    np.testing.assert_allclose(f64["relative"][big], expected, rtol=1e-3)
    tiny = hs < 1e-8  # round-off: float32 cannot even tell w + h from w
    assert np.all(f32["relative"][tiny] == 1.0)


def test_side_by_side_and_the_bands():
    side = gradient_check.side_by_side("log_cosh", 1e-4)
    np.testing.assert_allclose(side["analytic"], np.tanh(side["ws"]), rtol=1e-12)
    np.testing.assert_allclose(side["numerical"], np.tanh(side["ws"]), atol=1e-8)
    check = gradient_check.check_at("abs", 1e-6, 1e-5)  # probes straddle the kink
    assert check["float64"]["band"].startswith("wrong")
    check = gradient_check.check_at("double_well", 0.7, 1e-5)
    assert check["float64"]["band"].startswith("agree")
    assert [gradient_check.band(e).split(":")[0] for e in (1e-9, 1e-5, 1e-3, 0.5)] == [
        "agree",
        "close",
        "suspect",
        "wrong",
    ]


def test_a_large_h_is_called_truncation_not_a_bug():
    # On w⁴ − 3w² + w the centred difference at h = 0.5 misses by h² L'''(w) / 6 = 0.25 · 4w
    check = gradient_check.check_at("double_well", 1.5, 0.5)
    assert check["float64"]["band"].startswith("h too large: truncation error")
    assert "bug" not in check["float64"]["band"]
    # far below the best h, float32's error is round-off
    tiny = gradient_check.check_at("double_well", 1.5, 1e-6)
    assert tiny["float32"]["band"].startswith("h too small: round-off error")
    lost = gradient_check.check_at("double_well", 1.5, 1e-9)  # below float32's spacing at w
    assert lost["float32"]["band"] == "h too small: w ± h rounds to w in float32 (round-off)"
    # the page opens on L(w) = w², where the centred difference is exact for any h
    assert gradient_check.check_at("square", 2.0, 0.01)["float64"]["band"].startswith("agree")

"""The single-mode network ``scalar_mode`` against independent solutions.

The references solve ``tau da/dt = sqrt(lam^2 + 4a^2)(s - a)`` without the
package's formula: by separation of variables with mpmath quadrature (the
time at which the flow reaches a given value), by mpmath's Taylor-series
ODE integrator, and by the closed forms of the λ = 0 flow. Errors are
measured relative to the largest ``|a|`` along the trajectory (max-abs
over max-abs), the convention of the whole battery.
"""

import warnings

import numpy as np
import pytest
from reference import (
    balanced_scalar_weights,
    mp_scalar_ode,
    mp_scalar_times,
    mp_scalar_zero_balanced,
)

from lazyrich import ExactDynamics, scalar_mode

TOL = 1e-10
LAMS = (0.0, 1e-12, -1e-12, 0.5, -0.5, 50.0, -50.0)
A0S = (0.3, -0.3, 0.0, 1e-8, -1e-8)
SS = (0.0, 1.5)

# Fractions of the way from a0 to the limit at which the flow is sampled.
FRACTIONS = (1e-6, 0.01, 0.3, 0.7, 0.99, 1 - 1e-6)


def limit(s, a0, lam):
    """Where the flow goes: s, unless λ = 0 and a0 <= 0 (the saddle at 0)."""
    return s if (lam != 0 or a0 > 0) else 0.0


def grid(lams=LAMS, a0s=A0S, ss=SS):
    return [
        pytest.param(lam, a0, s, id=f"lam={lam:g}-a0={a0:g}-s={s:g}")
        for lam in lams
        for a0 in a0s
        for s in ss
    ]


@pytest.mark.parametrize("lam, a0, s", grid())
def test_matches_separation_of_variables(lam, a0, s):
    end = limit(s, a0, lam)
    if end == a0:
        # Nothing moves: a0 = 0 with s = 0 or λ = 0.
        a = scalar_mode([0.0, 1.0, 1e6], s, a0, lam)
        assert np.abs(a).max() <= TOL * max(abs(lam), 1e-300)
        return
    targets = np.array([a0 + (end - a0) * f for f in FRACTIONS])
    times = mp_scalar_times(targets, s, a0, lam)
    got = scalar_mode(times, s, a0, lam)
    scale = max(abs(a0), abs(end))
    error = np.abs(got - targets).max() / scale
    assert error <= TOL, f"max-abs error {error:.3g} relative to {scale:g}"


ODE_CASES = [
    (0.0, 0.3, 1.5),
    (0.0, -0.3, 1.5),
    (1e-12, 0.0, 1.5),
    (-1e-12, 0.3, 0.0),
    (0.5, -0.3, 1.5),
    (-0.5, 0.0, 1.5),
    (50.0, -0.3, 1.5),
    (-50.0, 0.3, 0.0),
]


@pytest.mark.parametrize(
    "lam, a0, s",
    [pytest.param(*c, id=f"lam={c[0]:g}-a0={c[1]:g}-s={c[2]:g}") for c in ODE_CASES],
)
def test_matches_taylor_series_ode_solution(lam, a0, s):
    horizon = 0.08 if abs(lam) >= 50 else 1.2
    times = horizon * np.array([0.1, 0.4, 1.0])
    ref = mp_scalar_ode(times, s, a0, lam, dps=25)
    got = scalar_mode(times, s, a0, lam)
    scale = max(abs(a0), np.abs(ref).max())
    assert np.abs(got - ref).max() <= TOL * scale


@pytest.mark.parametrize("lam, a0, s", grid(lams=(1e-12, 0.5, 50.0, 1e3)))
def test_product_depends_only_on_the_size_of_lambda(lam, a0, s):
    times = np.concatenate([[0.0], np.logspace(-3, 3, 30)]) / max(1.0, lam)
    plus = scalar_mode(times, s, a0, lam)
    minus = scalar_mode(times, s, a0, -lam)
    scale = max(abs(a0), s, np.abs(plus).max())
    if scale == 0:
        # a0 = s = 0: the product is identically zero; compare with the
        # size of the weights instead.
        scale = abs(lam)
    assert np.abs(plus - minus).max() <= TOL * scale


@pytest.mark.parametrize("lam, a0, s", grid())
def test_matches_the_one_by_one_exact_dynamics(lam, a0, s):
    if 0 < abs(lam) < 1e-6 and a0 < 0 and s > 0:
        # Here the reversal time depends on the overlap w1 sin φ + w2 cos φ
        # ~ lam, which float64 weights only fix to ~1e-17 absolute: the
        # 1 x 1 network (weights as input) and scalar_mode (lam as input)
        # then solve measurably different problems.
        pytest.skip("ill-conditioned in the weights")
    w1, w2 = balanced_scalar_weights(a0, lam)
    times = np.concatenate([[0.0], np.logspace(-3, 3, 25)]) / max(1.0, abs(lam))
    dyn = ExactDynamics([[w1]], [[w2]], [[s]])
    got = dyn.network_function(times)[:, 0, 0]
    expected = scalar_mode(times, s, w1 * w2, dyn.lam)
    scale = max(abs(a0), s, np.abs(expected).max())
    assert np.abs(got - expected).max() <= TOL * scale


@pytest.mark.parametrize("s", [0.5, 2.0])
@pytest.mark.parametrize("a0", [1e-6, 0.01, 0.3, 5.0])
def test_zero_balance_positive_start_is_logistic(a0, s):
    times = np.concatenate([[0.0], np.logspace(-2, 2.5, 40)])
    got = scalar_mode(times, s, a0, 0.0)
    ref = mp_scalar_zero_balanced(times, s, a0)
    # Pointwise: the logistic never comes near zero.
    assert np.all(np.abs(got - ref) <= TOL * np.abs(ref))


@pytest.mark.parametrize("s", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("a0", [-1e-6, -0.3, -5.0])
def test_zero_balance_negative_start_never_crosses_zero(a0, s):
    times = np.concatenate([[0.0], np.logspace(-2, 6, 60)])
    got = scalar_mode(times, s, a0, 0.0)
    ref = mp_scalar_zero_balanced(times, s, a0)
    assert np.all(got <= 0)
    assert np.all(got[ref < -1e-300] < 0)
    assert np.all(np.diff(got) >= 0)  # moves monotonically towards 0
    assert np.abs(got - ref).max() <= TOL * abs(a0)


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("a0", [0.3, -0.3, 3.0])
def test_large_lambda_approaches_the_shallow_exponential(a0, sign):
    # The rate is sqrt(lam^2 + 4a^2) = |lam| (1 + O(a^2 / lam^2)), so the
    # deviation from s + (a0 - s) e^{-|lam| t} falls like 1 / lam^2, down
    # to the battery's tolerance.
    s = 1.5
    x = np.linspace(0.0, 8.0, 41)
    deviations = []
    for size in (1e2, 1e4, 1e6):
        got = scalar_mode(x / size, s, a0, sign * size)
        shallow = s + (a0 - s) * np.exp(-x)
        deviations.append(np.abs(got - shallow).max() / abs(a0 - s))
    bound = 4 * max(a0**2, s**2)
    for size, deviation in zip((1e2, 1e4, 1e6), deviations, strict=True):
        assert deviation <= bound / size**2 + TOL
    assert deviations[1] < deviations[0] / 1e3


@pytest.mark.parametrize("lam, a0, s", grid(ss=(1.5,)))
def test_large_times_are_finite_and_converge(lam, a0, s):
    times = np.array([1e3, 1e6, 1e9])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            got = scalar_mode(times, s, a0, lam)
    assert np.all(np.isfinite(got))
    assert np.abs(got - limit(s, a0, lam)).max() <= TOL * max(abs(a0), s)


@pytest.mark.parametrize("lam", LAMS)
@pytest.mark.parametrize("a0", [0.3, -0.3])
def test_without_a_target_the_product_decays(lam, a0):
    # s = 0: a -> 0, algebraically (a0 / (1 + 2|a0| t)) at λ = 0 and
    # exponentially at rate |lam| otherwise.
    times = np.array([1e3, 1e6])
    got = scalar_mode(times, 0.0, a0, lam)
    assert np.all(np.isfinite(got))
    if lam == 0:
        expected = mp_scalar_zero_balanced(times, 0.0, a0)
        assert np.all(np.abs(got - expected) <= TOL * np.abs(expected))
    elif abs(lam) >= 0.5:
        assert np.abs(got).max() <= TOL * abs(a0)
    else:
        # |lam| t << 1: still in the algebraic phase, on the side of a0.
        assert np.all(np.sign(got) == np.sign(a0))


def test_tau_rescales_time():
    times = np.linspace(0.0, 10.0, 21)
    for tau in (0.1, 3.0):
        np.testing.assert_allclose(
            scalar_mode(times * tau, 1.2, 0.05, -0.7, tau=tau),
            scalar_mode(times, 1.2, 0.05, -0.7),
            rtol=1e-14,
            atol=1e-16,
        )


def test_time_zero_returns_the_initial_product():
    for lam in LAMS:
        for a0 in A0S:
            got = scalar_mode([0.0], 1.5, a0, lam)[0]
            assert abs(got - a0) <= 1e-15 * max(abs(a0), abs(lam), 1e-300)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        pytest.param({"s": -1.0}, "s must be non-negative", id="negative-s"),
        pytest.param({"s": np.nan}, "s must be finite", id="nan-s"),
        pytest.param({"a0": np.inf}, "a0 must be finite", id="inf-a0"),
        pytest.param({"lam": np.nan}, "lam must be finite", id="nan-lam"),
        pytest.param({"lam": "big"}, "lam must be a real number", id="text-lam"),
        pytest.param({"tau": 0.0}, "tau must be positive", id="tau=0"),
        pytest.param({"tau": -1.0}, "tau must be positive", id="tau<0"),
        pytest.param({"tau": np.inf}, "tau must be finite", id="tau-inf"),
        pytest.param({"t": [1.0, -0.5]}, "t must be non-negative", id="negative-t"),
        pytest.param({"t": [np.nan]}, "only finite times", id="nan-t"),
        pytest.param({"t": [[1.0]]}, "t must be a 1-D array", id="2d-t"),
        pytest.param({"t": 2.0}, "t must be a 1-D array", id="scalar-t"),
        pytest.param({"t": []}, "at least one time", id="empty-t"),
    ],
)
def test_rejects_bad_input(kwargs, match):
    arguments = {"t": [0.0, 1.0], "s": 1.0, "a0": 0.1, "lam": 0.5}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=match):
        scalar_mode(**arguments)

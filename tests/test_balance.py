"""λ-balanced initialisation and the balance coefficient.

Every feasible combination of widths (n_in, n_out in 1..4, n_hidden in
1..6) is built for each λ and checked against the definition
``W2^T W2 - W1 W1^T = λ I``; the per-layer singular values are compared
with the formulas of the theory evaluated in high precision; aligned starts
are checked against the task's own singular vectors; infeasible λ and
unbalanced weights must be refused with a message that says why.
"""

import itertools
import re

import mpmath
import numpy as np
import pytest
from reference import make_task

from lazyrich import balance, balance_coefficient, lambda_balanced

LAMS = (0.0, 1e-12, -1e-12, 0.5, -0.5, 5.0, -5.0, 50.0, -50.0, 1e3, -1e3)
WIDTHS = list(itertools.product(range(1, 5), range(1, 7), range(1, 5)))


def feasible(n_in, n_hidden, n_out, lam):
    return not (lam > 0 and n_hidden > n_out) and not (lam < 0 and n_hidden > n_in)


def weight_scale(W1, W2):
    return max(np.linalg.norm(W1, 2), np.linalg.norm(W2, 2)) ** 2


@pytest.mark.parametrize("scale", [0.0, 1e-6, 1.0, 10.0])
@pytest.mark.parametrize("lam", LAMS, ids=[f"lam={lam:g}" for lam in LAMS])
def test_every_feasible_shape_is_exactly_balanced(lam, scale):
    checked = 0
    for n_in, n_hidden, n_out in WIDTHS:
        if not feasible(n_in, n_hidden, n_out, lam):
            continue
        W1, W2 = lambda_balanced(n_in, n_hidden, n_out, lam, scale=scale, rng=checked)
        assert W1.shape == (n_hidden, n_in) and W2.shape == (n_out, n_hidden)
        size = weight_scale(W1, W2)
        B = W2.T @ W2 - W1 @ W1.T
        where = (n_in, n_hidden, n_out)
        assert np.abs(B - lam * np.eye(n_hidden)).max() <= 1e-12 * size, where
        assert abs(balance_coefficient(W1, W2) - lam) <= 1e-12 * size, where
        np.testing.assert_array_equal(balance(W1, W2), B)
        checked += 1
    assert checked > 0


def _mp_layer_values(s, lam):
    """``s1, s2`` with ``s1 s2 = s`` and ``s2^2 - s1^2 = lam``, in mpmath."""
    with mpmath.workdps(40):
        s, lam = mpmath.mpf(s), mpmath.mpf(lam)
        root = mpmath.sqrt(lam**2 + 4 * s**2)
        return float(mpmath.sqrt((root - lam) / 2)), float(
            mpmath.sqrt((root + lam) / 2)
        )


@pytest.mark.parametrize("lam", LAMS, ids=[f"lam={lam:g}" for lam in LAMS])
@pytest.mark.parametrize("widths", [(3, 3, 3), (2, 2, 4), (4, 2, 2), (4, 2, 3)])
def test_layer_singular_values_follow_the_theory(widths, lam):
    n_in, n_hidden, n_out = widths
    scale = 0.7
    W1, W2 = lambda_balanced(n_in, n_hidden, n_out, lam, scale=scale, rng=3)
    r = min(widths)
    s1, s2 = _mp_layer_values(scale, lam)
    # r modes with (s1, s2); each extra hidden unit carries sqrt(|lam|) in
    # the layer that the sign of lam selects.
    extra = n_hidden - r
    expected_1 = [s1] * r + ([np.sqrt(-lam)] * extra if lam < 0 else [])
    expected_2 = [s2] * r + ([np.sqrt(lam)] * extra if lam > 0 else [])
    for W, expected in ((W1, expected_1), (W2, expected_2)):
        values = np.linalg.svd(W, compute_uv=False)
        expected = np.sort(np.array(expected + [0.0] * (len(values) - len(expected))))
        np.testing.assert_allclose(
            np.sort(values), expected, rtol=1e-13, atol=1e-15 * max(s2, s1)
        )
    np.testing.assert_allclose(
        np.linalg.svd(W2 @ W1, compute_uv=False)[:r], scale, rtol=1e-13
    )


def test_zero_balance_allows_any_width():
    for n_hidden in (7, 9, 12):  # beyond n_in + n_out = 5
        W1, W2 = lambda_balanced(2, n_hidden, 3, 0.0, scale=0.4, rng=n_hidden)
        size = weight_scale(W1, W2)
        assert np.abs(W2.T @ W2 - W1 @ W1.T).max() <= 1e-12 * size
        assert abs(balance_coefficient(W1, W2)) <= 1e-12 * size


@pytest.mark.parametrize("lam", [1e-12, 0.5, 1e3])
@pytest.mark.parametrize("widths", [(3, 3, 2), (1, 2, 1), (4, 6, 4)])
def test_positive_lambda_needs_n_hidden_at_most_n_out(widths, lam):
    n_in, n_hidden, n_out = widths
    match = rf"infeasible for n_hidden = {n_hidden} > n_out = {n_out}"
    with pytest.raises(ValueError, match=match):
        lambda_balanced(n_in, n_hidden, n_out, lam)


@pytest.mark.parametrize("lam", [-1e-12, -0.5, -1e3])
@pytest.mark.parametrize("widths", [(2, 3, 3), (1, 2, 1), (4, 6, 4)])
def test_negative_lambda_needs_n_hidden_at_most_n_in(widths, lam):
    n_in, n_hidden, n_out = widths
    match = rf"infeasible for n_hidden = {n_hidden} > n_in = {n_in}"
    with pytest.raises(ValueError, match=match):
        lambda_balanced(n_in, n_hidden, n_out, lam)


@pytest.mark.parametrize("seed", range(4))
def test_unbalanced_weights_raise_with_the_measured_deviation(seed):
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((3, 4))
    W2 = rng.standard_normal((2, 3))
    B = W2.T @ W2 - W1 @ W1.T
    lam = np.trace(B) / 3
    deviation = np.abs(B - lam * np.eye(3)).max()
    with pytest.raises(ValueError, match="not λ-balanced") as info:
        balance_coefficient(W1, W2)
    message = str(info.value)
    reported = float(re.search(r"by ([0-9.eE+-]+) in max-abs", message).group(1))
    assert reported == pytest.approx(deviation, rel=5e-3)
    relative = float(re.search(r"which is ([0-9.eE+-]+) relative", message).group(1))
    assert relative == pytest.approx(deviation / weight_scale(W1, W2), rel=5e-3)
    assert f"lam = {lam:.6g}" in message


def test_tolerance_of_the_balance_check():
    W1, W2 = lambda_balanced(3, 3, 3, 0.2, scale=1.0, rng=0)
    size = weight_scale(W1, W2)
    W2_off = W2.copy()
    W2_off[0, 0] += 1e-6
    # Off by ~1e-6 relative: rejected at the default rtol 1e-8, accepted
    # at 1e-4.
    with pytest.raises(ValueError, match="not λ-balanced"):
        balance_coefficient(W1, W2_off)
    assert balance_coefficient(W1, W2_off, rtol=1e-4) == pytest.approx(
        0.2, abs=1e-5 * size
    )
    with pytest.raises(ValueError, match="rtol must be positive"):
        balance_coefficient(W1, W2, rtol=0.0)


@pytest.mark.parametrize("lam", [0.0, 0.5, -0.5, 50.0])
@pytest.mark.parametrize("widths", [(3, 3, 3), (2, 2, 4), (4, 2, 2), (4, 2, 3)])
def test_aligned_init_uses_the_task_singular_vectors(widths, lam):
    n_in, n_hidden, n_out = widths
    S = make_task(n_out, n_in, np.linspace(2.0, 0.5, min(n_in, n_out)), seed=11)
    scale = 0.3
    W1, W2 = lambda_balanced(n_in, n_hidden, n_out, lam, scale=scale, rng=5, sigma_yx=S)
    U, _, Vt = np.linalg.svd(S)
    # In the task's bases the product is scale on the first r modes and zero
    # elsewhere (signs of the singular pairs cancel in u v^T).
    r = min(widths)
    expected = np.zeros((n_out, n_in))
    expected[np.arange(r), np.arange(r)] = scale
    np.testing.assert_allclose(U.T @ W2 @ W1 @ Vt.T, expected, atol=1e-14)
    # And the representations are diagonal in the same bases.
    for gram, basis in ((W1.T @ W1, Vt.T), (W2 @ W2.T, U)):
        inner = basis.T @ gram @ basis
        off = inner - np.diag(np.diag(inner))
        assert np.abs(off).max() <= 1e-13 * max(1.0, abs(lam))


def test_reproducible_with_a_seed():
    first = lambda_balanced(3, 2, 4, 0.5, scale=0.2, rng=42)
    again = lambda_balanced(3, 2, 4, 0.5, scale=0.2, rng=42)
    other = lambda_balanced(3, 2, 4, 0.5, scale=0.2, rng=43)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(first[0], other[0])


def test_rng_may_be_an_int_or_a_generator():
    from_int = lambda_balanced(4, 3, 2, -0.3, rng=7)
    generator = np.random.default_rng(7)
    from_generator = lambda_balanced(4, 3, 2, -0.3, rng=generator)
    for a, b in zip(from_int, from_generator, strict=True):
        np.testing.assert_array_equal(a, b)
    # The generator advances: a second draw differs.
    second = lambda_balanced(4, 3, 2, -0.3, rng=generator)
    assert not np.allclose(from_generator[0], second[0])
    # None draws fresh randomness but is still balanced.
    W1, W2 = lambda_balanced(4, 3, 2, -0.3, rng=None)
    assert balance_coefficient(W1, W2) == pytest.approx(-0.3, abs=1e-12)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        pytest.param(
            (0, 2, 2, 0.0), {}, "n_in must be a positive integer", id="n_in=0"
        ),
        pytest.param(
            (2, -1, 2, 0.0), {}, "n_hidden must be a positive integer", id="n_hidden<0"
        ),
        pytest.param(
            (2, 2, 2.5, 0.0), {}, "n_out must be a positive integer", id="n_out-float"
        ),
        pytest.param(
            (True, 2, 2, 0.0), {}, "n_in must be a positive integer", id="n_in-bool"
        ),
        pytest.param((2, 2, 2, np.nan), {}, "lam must be finite", id="lam-nan"),
        pytest.param((2, 2, 2, np.inf), {}, "lam must be finite", id="lam-inf"),
        pytest.param(
            (2, 2, 2, 0.0), {"scale": -1.0}, "scale must be non-negative", id="scale<0"
        ),
        pytest.param(
            (2, 2, 2, 0.0), {"scale": np.nan}, "scale must be finite", id="scale-nan"
        ),
        pytest.param(
            (2, 2, 3, 0.0),
            {"sigma_yx": np.ones((2, 3))},
            r"sigma_yx must have shape \(n_out, n_in\) = \(3, 2\)",
            id="sigma_yx-shape",
        ),
        pytest.param(
            (2, 2, 2, 0.0),
            {"sigma_yx": np.ones(4)},
            "sigma_yx must be a 2-D array",
            id="sigma_yx-1d",
        ),
        pytest.param(
            (2, 2, 2, 0.0),
            {"sigma_yx": [[1.0, np.nan], [0.0, 1.0]]},
            "sigma_yx must contain only finite",
            id="sigma_yx-nan",
        ),
        pytest.param(
            (2, 2, 2, 0.0),
            {"rng": "seed"},
            "rng must be None, an integer seed",
            id="rng-text",
        ),
    ],
)
def test_lambda_balanced_rejects_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        lambda_balanced(*args, **kwargs)


@pytest.mark.parametrize(
    "W1, W2, match",
    [
        pytest.param(
            np.ones((2, 3)), np.ones((3, 3)), r"W2 must have shape", id="chain"
        ),
        pytest.param(np.ones(3), np.ones((3, 1)), "W1 must be a 2-D array", id="1d"),
        pytest.param(
            np.ones((2, 3)),
            np.full((3, 2), np.inf),
            "W2 must contain only finite",
            id="inf",
        ),
    ],
)
def test_balance_rejects_bad_input(W1, W2, match):
    for function in (balance, balance_coefficient):
        with pytest.raises(ValueError, match=match):
            function(W1, W2)

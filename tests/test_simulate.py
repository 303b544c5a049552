"""Numerical gradient flow and discrete gradient descent.

* The balance ``W2^T W2 - W1 W1^T`` is conserved along the flow for any
  start and any input covariance (it is for the exact flow; the integrator
  must keep it to its tolerance).
* Gradient descent: the loss decreases for a small step, the recorded steps
  are the documented ones, it converges to the flow at first order in the
  step, and a step that is too large is reported.
* Bad input is refused with a message that names the problem.
"""

import numpy as np
import pytest
from reference import make_task

from lazyrich import balance, gradient_descent, gradient_flow, lambda_balanced


def _unbalanced(n_in, n_hidden, n_out, seed, scale=0.5):
    rng = np.random.default_rng(seed)
    W1 = scale * rng.standard_normal((n_hidden, n_in))
    W2 = scale * rng.standard_normal((n_out, n_hidden))
    return W1, W2


def _random_spd(n, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n))
    return A @ A.T / n + 0.3 * np.eye(n)


@pytest.mark.parametrize("covariance", ["whitened", "correlated"])
@pytest.mark.parametrize(
    "widths",
    [(3, 4, 2), (2, 2, 5), (4, 2, 3), (3, 7, 3)],
    ids=lambda w: "x".join(map(str, w)),
)
def test_balance_is_conserved_for_any_start(widths, covariance):
    n_in, n_hidden, n_out = widths
    W1, W2 = _unbalanced(n_in, n_hidden, n_out, seed=sum(widths))
    S = make_task(n_out, n_in, np.linspace(2.0, 0.5, min(n_in, n_out)), seed=2)
    sigma_xx = None if covariance == "whitened" else _random_spd(n_in, 4)
    B0 = balance(W1, W2)
    assert np.abs(B0 - np.trace(B0) / n_hidden * np.eye(n_hidden)).max() > 0.1
    times = np.array([0.0, 0.3, 2.0, 10.0, 60.0])
    W1_t, W2_t = gradient_flow(
        W1, W2, S, times, sigma_xx=sigma_xx, rtol=1e-12, atol=1e-14
    )
    scale = np.abs(B0).max() + max(np.abs(W1_t).max(), np.abs(W2_t).max()) ** 2
    for w1, w2 in zip(W1_t, W2_t, strict=True):
        assert np.abs(balance(w1, w2) - B0).max() <= 1e-12 * scale
    # The flow has actually moved and reduced the loss.
    sigma = np.eye(n_in) if sigma_xx is None else sigma_xx

    def excess(w1, w2):
        E = w2 @ w1 - S @ np.linalg.inv(sigma)
        return np.trace(E @ sigma @ E.T) / 2

    losses = [excess(w1, w2) for w1, w2 in zip(W1_t, W2_t, strict=True)]
    assert np.all(np.diff(losses) <= 1e-12 * losses[0])
    assert losses[-1] < 0.5 * losses[0]


def test_flow_starts_from_the_initial_weights():
    W1, W2 = _unbalanced(3, 2, 2, seed=0)
    W1_t, W2_t = gradient_flow(W1, W2, np.ones((2, 3)), [0.0, 1.0])
    assert W1_t.shape == (2, 2, 3) and W2_t.shape == (2, 2, 2)
    np.testing.assert_array_equal(W1_t[0], W1)
    np.testing.assert_array_equal(W2_t[0], W2)


def test_tau_rescales_time_in_the_flow():
    W1, W2 = _unbalanced(3, 2, 2, seed=1)
    S = make_task(2, 3, [1.5, 0.4], seed=3)
    times = np.array([0.0, 0.5, 2.0])
    slow = gradient_flow(W1, W2, S, 4.0 * times, tau=4.0, rtol=1e-12, atol=1e-14)
    fast = gradient_flow(W1, W2, S, times, rtol=1e-12, atol=1e-14)
    for a, b in zip(slow, fast, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


# ----------------------------------------------------------------------
# Gradient descent
# ----------------------------------------------------------------------


def _data(n_in, n_out, n_samples, seed, whitened=True):
    rng = np.random.default_rng(seed)
    if whitened:
        Qm = np.linalg.qr(rng.standard_normal((n_samples, n_in)))[0]
        X = np.sqrt(n_samples) * Qm.T
    else:
        X = rng.standard_normal((n_in, n_samples))
    Y = rng.standard_normal((n_out, n_samples))
    return X, Y


def _loss(W1, W2, X, Y):
    return np.sum((Y - W2 @ W1 @ X) ** 2) / (2 * X.shape[1])


@pytest.mark.parametrize("whitened", [True, False])
def test_descent_loss_decreases_for_a_small_step(whitened):
    X, Y = _data(3, 2, 8, seed=0, whitened=whitened)
    W1, W2 = _unbalanced(3, 4, 2, seed=5, scale=0.3)
    result = gradient_descent(W1, W2, X, Y, lr=0.01, steps=400)
    assert np.all(np.diff(result.loss) <= 0)
    assert result.loss[-1] < 0.9 * result.loss[0]
    for k in (0, 100, 400):
        assert result.loss[k] == pytest.approx(
            _loss(result.W1[k], result.W2[k], X, Y), rel=1e-12
        )


def test_descent_step_is_the_gradient_step():
    X, Y = _data(3, 2, 8, seed=1, whitened=False)
    W1, W2 = _unbalanced(3, 4, 2, seed=6)
    lr = 0.05
    result = gradient_descent(W1, W2, X, Y, lr=lr, steps=1)
    P = X.shape[1]
    residual = (Y - W2 @ W1 @ X) / P
    np.testing.assert_allclose(
        result.W1[1], W1 + lr * W2.T @ residual @ X.T, rtol=1e-13
    )
    np.testing.assert_allclose(
        result.W2[1], W2 + lr * residual @ X.T @ W1.T, rtol=1e-13
    )


@pytest.mark.parametrize(
    "steps, every, expected",
    [
        (10, 3, [0, 3, 6, 9, 10]),
        (9, 3, [0, 3, 6, 9]),
        (5, 1, [0, 1, 2, 3, 4, 5]),
        (4, 10, [0, 4]),
        (0, 1, [0]),
    ],
)
def test_record_every_keeps_the_first_and_last_step(steps, every, expected):
    X, Y = _data(2, 2, 4, seed=2)
    W1, W2 = _unbalanced(2, 3, 2, seed=7, scale=0.2)
    result = gradient_descent(W1, W2, X, Y, lr=0.02, steps=steps, record_every=every)
    np.testing.assert_array_equal(result.step, expected)
    assert len(result.W1) == len(result.W2) == len(result.loss) == len(expected)
    np.testing.assert_array_equal(result.W1[0], W1)
    # Each record equals the weights after that many steps of a fresh run.
    full = gradient_descent(W1, W2, X, Y, lr=0.02, steps=steps)
    np.testing.assert_array_equal(result.W1, full.W1[expected])
    np.testing.assert_array_equal(result.W2, full.W2[expected])


def test_descent_converges_to_the_flow_at_first_order():
    X, Y = _data(3, 2, 6, seed=3, whitened=False)
    W1, W2 = lambda_balanced(3, 2, 2, 0.3, scale=0.2, rng=8)
    P = X.shape[1]
    sigma_xx, sigma_yx = X @ X.T / P, Y @ X.T / P
    horizon = 3.0
    flow = gradient_flow(
        W1, W2, sigma_yx, [horizon], sigma_xx=sigma_xx, rtol=1e-12, atol=1e-14
    )
    errors = []
    lrs = [0.02, 0.01, 0.005, 0.0025]
    for lr in lrs:
        steps = round(horizon / lr)
        result = gradient_descent(W1, W2, X, Y, lr=lr, steps=steps, record_every=steps)
        errors.append(
            max(
                np.abs(result.W1[-1] - flow[0][-1]).max(),
                np.abs(result.W2[-1] - flow[1][-1]).max(),
            )
        )
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    # Halving the step halves the error (Euler's method is first order).
    assert np.all((ratios > 1.8) & (ratios < 2.2)), ratios
    assert errors[-1] < 1e-2


def test_descent_with_a_huge_step_reports_divergence():
    X, Y = _data(3, 2, 6, seed=4)
    W1, W2 = _unbalanced(3, 2, 2, seed=9)
    with pytest.raises(ValueError, match=r"diverged at step \d+ with lr = 50"):
        gradient_descent(W1, W2, X, Y, lr=50.0, steps=200)


# ----------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------

_W1, _W2 = _unbalanced(3, 2, 2, seed=10)
_S = np.ones((2, 3))


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        pytest.param(
            (np.full((2, 3), np.nan), _W2, _S, [1.0]),
            {},
            "W1 must contain only finite",
            id="nan-W1",
        ),
        pytest.param(
            (_W1, _W2, np.full((2, 3), np.inf), [1.0]),
            {},
            "sigma_yx must contain only finite",
            id="inf-sigma_yx",
        ),
        pytest.param(
            (_W1.ravel(), _W2, _S, [1.0]), {}, "W1 must be a 2-D array", id="1d-W1"
        ),
        pytest.param(
            (_W1, _W2, _S[None], [1.0]),
            {},
            "sigma_yx must be a 2-D array",
            id="3d-sigma_yx",
        ),
        pytest.param(
            (_W1, np.ones((2, 3)), _S, [1.0]),
            {},
            r"W2 must have shape \(n_out, n_hidden\)",
            id="W1-W2-chain",
        ),
        pytest.param(
            (_W1, _W2, np.ones((3, 2)), [1.0]),
            {},
            r"sigma_yx must have shape \(n_out, n_in\)",
            id="sigma_yx-chain",
        ),
        pytest.param(
            (_W1, _W2, _S, [1.0]),
            {"sigma_xx": np.eye(2)},
            r"sigma_xx must have shape \(n_in, n_in\)",
            id="sigma_xx-shape",
        ),
        pytest.param(
            (_W1, _W2, _S, [0.0, -1.0]), {}, "t must be non-negative", id="negative-t"
        ),
        pytest.param((_W1, _W2, _S, [np.nan]), {}, "only finite times", id="nan-t"),
        pytest.param(
            (_W1, _W2, _S, [[0.0, 1.0]]), {}, "t must be a 1-D array", id="2d-t"
        ),
        pytest.param(
            (_W1, _W2, _S, [2.0, 1.0]),
            {},
            "sorted in non-decreasing order",
            id="unsorted-t",
        ),
        pytest.param(
            (_W1, _W2, _S, [1.0]), {"tau": 0.0}, "tau must be positive", id="tau=0"
        ),
        pytest.param(
            (_W1, _W2, _S, [1.0]),
            {"tau": -np.inf},
            "tau must be finite",
            id="tau-inf",
        ),
        pytest.param(
            (_W1, _W2, _S, [1.0]), {"rtol": 0.0}, "rtol must be positive", id="rtol=0"
        ),
    ],
)
def test_gradient_flow_rejects_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        gradient_flow(*args, **kwargs)


_X, _Y = _data(3, 2, 5, seed=11)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        pytest.param(
            (_W1, _W2, _X, _Y),
            {"lr": 0.0, "steps": 1},
            "lr must be positive",
            id="lr=0",
        ),
        pytest.param(
            (_W1, _W2, _X, _Y),
            {"lr": 0.1, "steps": -1},
            "steps must be at least 0",
            id="steps<0",
        ),
        pytest.param(
            (_W1, _W2, _X, _Y),
            {"lr": 0.1, "steps": 2.0},
            "steps must be an integer",
            id="steps-float",
        ),
        pytest.param(
            (_W1, _W2, _X, _Y),
            {"lr": 0.1, "steps": 3, "record_every": 0},
            "record_every must be at least 1",
            id="record_every=0",
        ),
        pytest.param(
            (_W1, _W2, _X[:2], _Y),
            {"lr": 0.1, "steps": 1},
            r"X must have shape \(n_in, n_samples\)",
            id="X-shape",
        ),
        pytest.param(
            (_W1, _W2, _X, _Y[:1]),
            {"lr": 0.1, "steps": 1},
            r"Y must have shape \(n_out, n_samples\)",
            id="Y-shape",
        ),
        pytest.param(
            (_W1, _W2, _X, _Y[:, :3]),
            {"lr": 0.1, "steps": 1},
            "same number of samples",
            id="samples",
        ),
        pytest.param(
            (_W1, _W2, np.full_like(_X, np.nan), _Y),
            {"lr": 0.1, "steps": 1},
            "X must contain only finite",
            id="nan-X",
        ),
    ],
)
def test_gradient_descent_rejects_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        gradient_descent(*args, **kwargs)

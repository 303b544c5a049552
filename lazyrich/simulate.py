"""Simulated training: numerical gradient flow and discrete gradient descent.

These are the independent references against which the exact solution is
checked, and the tools for everything outside the theory's assumptions:
any initialisation (balanced or not) and any input covariance.

The loss is ``L = ||Y - W2 W1 X||_F^2 / (2P)``; in terms of covariances its
gradients are ``-dL/dW1 = W2.T (Σyx - W2 W1 Σxx)`` and
``-dL/dW2 = (Σyx - W2 W1 Σxx) W1.T``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.integrate import solve_ivp

from ._validation import (
    as_matrix,
    as_positive,
    as_times,
    check_chain,
)

__all__ = ["GradientDescentResult", "gradient_descent", "gradient_flow"]


def gradient_flow(
    W1,
    W2,
    sigma_yx,
    t,
    *,
    tau=1.0,
    sigma_xx=None,
    rtol=1e-10,
    atol=1e-12,
    method="DOP853",
):
    """Integrate the gradient flow numerically (SciPy ``solve_ivp``).

    Solves ``tau dW1/dt = W2.T (Σyx - W2 W1 Σxx)`` and
    ``tau dW2/dt = (Σyx - W2 W1 Σxx) W1.T`` from any initial weights.

    Parameters
    ----------
    W1 : array_like, shape (n_hidden, n_in)
        Initial first-layer weights.
    W2 : array_like, shape (n_out, n_hidden)
        Initial second-layer weights.
    sigma_yx : array_like, shape (n_out, n_in)
        Input–output covariance.
    t : array_like, shape (n_times,)
        Non-negative, non-decreasing times at which to record the weights,
        in the units of ``tau``.
    tau : float, optional
        Time constant (inverse learning rate), ``tau > 0``.
    sigma_xx : array_like, shape (n_in, n_in), optional
        Input covariance; the identity (whitened inputs) if omitted.
    rtol, atol : float, optional
        Relative and absolute tolerances of the integrator.
    method : str, optional
        Any explicit or implicit method of ``scipy.integrate.solve_ivp``.

    Returns
    -------
    W1_t : ndarray, shape (n_times, n_hidden, n_in)
    W2_t : ndarray, shape (n_times, n_out, n_hidden)

    Raises
    ------
    ValueError
        On bad input, or if the integrator fails (its message is included).
    """
    W1 = as_matrix("W1", W1)
    W2 = as_matrix("W2", W2)
    sigma_yx = as_matrix("sigma_yx", sigma_yx)
    n_in, n_hidden, n_out = check_chain(W1, W2, sigma_yx)
    times = as_times(t, sorted_required=True)
    tau = as_positive("tau", tau)
    rtol = as_positive("rtol", rtol)
    atol = as_positive("atol", atol)
    if sigma_xx is None:
        sigma_xx = np.eye(n_in)
    else:
        sigma_xx = as_matrix("sigma_xx", sigma_xx)
        if sigma_xx.shape != (n_in, n_in):
            raise ValueError(
                f"sigma_xx must have shape (n_in, n_in) = ({n_in}, {n_in}), "
                f"got {sigma_xx.shape}"
            )
    split = n_hidden * n_in

    def rhs(_, y):
        A = y[:split].reshape(n_hidden, n_in)
        B = y[split:].reshape(n_out, n_hidden)
        error = (sigma_yx - B @ A @ sigma_xx) / tau
        return np.concatenate([(B.T @ error).ravel(), (error @ A.T).ravel()])

    y0 = np.concatenate([W1.ravel(), W2.ravel()])
    solution = solve_ivp(
        rhs,
        (0.0, times[-1]),
        y0,
        method=method,
        t_eval=times,
        rtol=rtol,
        atol=atol,
    )
    if not solution.success:
        raise ValueError(f"the integrator failed: {solution.message}")
    y = solution.y.T
    return (
        y[:, :split].reshape(-1, n_hidden, n_in),
        y[:, split:].reshape(-1, n_out, n_hidden),
    )


class GradientDescentResult(NamedTuple):
    """Recorded trajectory of discrete gradient descent.

    Attributes
    ----------
    step : ndarray, shape (n_records,)
        Step numbers at which the weights were recorded (0 is the start).
        With ``tau = 1 / lr`` the matching gradient-flow time is
        ``t = step``; with ``tau = 1`` it is ``t = lr * step``.
    W1 : ndarray, shape (n_records, n_hidden, n_in)
    W2 : ndarray, shape (n_records, n_out, n_hidden)
    loss : ndarray, shape (n_records,)
        ``||Y - W2 W1 X||_F^2 / (2P)`` at each recorded step.
    """

    step: np.ndarray
    W1: np.ndarray
    W2: np.ndarray
    loss: np.ndarray


def gradient_descent(W1, W2, X, Y, *, lr, steps, record_every=1):
    """Run full-batch gradient descent on ``||Y - W2 W1 X||^2 / (2P)``.

    Parameters
    ----------
    W1 : array_like, shape (n_hidden, n_in)
        Initial first-layer weights.
    W2 : array_like, shape (n_out, n_hidden)
        Initial second-layer weights.
    X : array_like, shape (n_in, n_samples)
        Inputs, one sample per column.
    Y : array_like, shape (n_out, n_samples)
        Targets, one sample per column.
    lr : float
        Learning rate ``eta > 0``.
    steps : int
        Number of updates, ``steps >= 0``.
    record_every : int, optional
        Record the weights every this many steps (the start and the last
        step are always recorded).

    Returns
    -------
    GradientDescentResult
        Named tuple ``(step, W1, W2, loss)``.
    """
    W1 = as_matrix("W1", W1).copy()
    W2 = as_matrix("W2", W2).copy()
    X = as_matrix("X", X)
    Y = as_matrix("Y", Y)
    check_chain(W1, W2, X=X, Y=Y)
    lr = as_positive("lr", lr)
    for name, value, low in (("steps", steps, 0), ("record_every", record_every, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be an integer, got {value!r}")
        if value < low:
            raise ValueError(f"{name} must be at least {low}, got {value}")

    # Covariances once: each step then costs a few small matrix products.
    n_samples = X.shape[1]
    sigma_xx = X @ X.T / n_samples
    sigma_yx = Y @ X.T / n_samples

    def loss(A, B):
        # From the residual itself, which stays accurate near zero loss.
        with np.errstate(over="ignore", invalid="ignore"):
            return 0.5 * float(np.sum((Y - B @ (A @ X)) ** 2)) / n_samples

    recorded = sorted(set(range(0, steps + 1, record_every)) | {steps})
    W1_rec, W2_rec, loss_rec = [], [], []
    next_record = 0
    for k in range(steps + 1):
        if k == recorded[next_record]:
            W1_rec.append(W1.copy())
            W2_rec.append(W2.copy())
            loss_rec.append(loss(W1, W2))
            next_record += 1
            if not np.isfinite(loss_rec[-1]):
                raise ValueError(
                    f"gradient descent diverged at step {k} with lr = {lr:.3g}: "
                    "the loss overflowed; keep lr times the fastest rate of "
                    "the flow well below 1"
                )
        if k == steps:
            break
        with np.errstate(over="ignore", invalid="ignore"):
            error = sigma_yx - W2 @ W1 @ sigma_xx
            W1, W2 = W1 + lr * (W2.T @ error), W2 + lr * (error @ W1.T)
        if not (np.all(np.isfinite(W1)) and np.all(np.isfinite(W2))):
            raise ValueError(
                f"gradient descent diverged at step {k + 1} with lr = {lr:.3g}; "
                "the step is too large for this task and initialisation "
                "(keep lr times the fastest rate of the flow well below 1)"
            )
    return GradientDescentResult(
        np.asarray(recorded), np.array(W1_rec), np.array(W2_rec), np.array(loss_rec)
    )

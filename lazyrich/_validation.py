"""Input checks shared by every public entry point.

Each helper either returns a clean float array or raises a ``ValueError``
whose message names the argument, says what was received and what was
expected. Nothing is coerced silently: integer arrays are converted to
float, but arrays of the wrong dimension or shape are rejected.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_matrix",
    "as_rng",
    "as_width",
    "as_times",
    "as_positive",
    "as_finite_scalar",
    "check_chain",
    "check_finite",
]


def as_matrix(name, value):
    """Return ``value`` as a finite 2-D float array, or raise ``ValueError``."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a 2-D array of real numbers; could not convert "
            f"{type(value).__name__} ({exc})"
        ) from None
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array, got an array with {array.ndim} "
            f"dimension(s) and shape {array.shape}"
        )
    return check_finite(name, array)


def check_finite(name, array):
    """Return ``array`` if it is non-empty and finite, else raise ``ValueError``."""
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        bad = int(np.count_nonzero(~np.isfinite(array)))
        raise ValueError(
            f"{name} must contain only finite numbers; found {bad} NaN or "
            f"infinite entr{'y' if bad == 1 else 'ies'}"
        )
    return array


def as_times(t, *, sorted_required=False):
    """Return ``t`` as a 1-D array of finite, non-negative times.

    Parameters
    ----------
    t : array_like, shape (n_times,)
        Times, in the same units as ``tau``.
    sorted_required : bool
        If true, also require the times to be non-decreasing (needed by a
        numerical integrator that marches forward).
    """
    try:
        times = np.asarray(t, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"t must be a 1-D array of times; could not convert "
            f"{type(t).__name__} ({exc})"
        ) from None
    if times.ndim != 1:
        raise ValueError(
            f"t must be a 1-D array of times, got shape {times.shape}; "
            "wrap a single time as [t]"
        )
    if times.size == 0:
        raise ValueError("t must contain at least one time")
    if not np.all(np.isfinite(times)):
        raise ValueError("t must contain only finite times; found NaN or inf")
    if np.any(times < 0):
        raise ValueError(
            f"t must be non-negative (the dynamics start at t = 0); the "
            f"smallest time given is {times.min():.6g}"
        )
    if sorted_required and np.any(np.diff(times) < 0):
        raise ValueError("t must be sorted in non-decreasing order")
    return times


def as_finite_scalar(name, value):
    """Return ``value`` as a finite Python float, or raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        if not (isinstance(value, np.ndarray) and value.ndim == 0):
            raise ValueError(
                f"{name} must be a real number, got {type(value).__name__}"
            )
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}")
    return number


def as_positive(name, value):
    """Return ``value`` as a finite, strictly positive float."""
    number = as_finite_scalar(name, value)
    if number <= 0:
        raise ValueError(f"{name} must be positive, got {number:.6g}")
    return number


def check_chain(W1, W2, sigma_yx=None, X=None, Y=None):
    """Check that the shapes of weights, task and data fit together.

    Parameters
    ----------
    W1 : ndarray, shape (n_hidden, n_in)
    W2 : ndarray, shape (n_out, n_hidden)
    sigma_yx : ndarray, shape (n_out, n_in), optional
    X : ndarray, shape (n_in, n_samples), optional
    Y : ndarray, shape (n_out, n_samples), optional

    Returns
    -------
    n_in, n_hidden, n_out : int
    """
    n_hidden, n_in = W1.shape
    if W2.shape[1] != n_hidden:
        raise ValueError(
            f"W2 must have shape (n_out, n_hidden) with n_hidden = {n_hidden} "
            f"(the number of rows of W1, shape {W1.shape}); got W2 of shape "
            f"{W2.shape}"
        )
    n_out = W2.shape[0]
    if sigma_yx is not None and sigma_yx.shape != (n_out, n_in):
        raise ValueError(
            f"sigma_yx must have shape (n_out, n_in) = ({n_out}, {n_in}) to "
            f"match W1 {W1.shape} and W2 {W2.shape}; got {sigma_yx.shape}"
        )
    if X is not None and X.shape[0] != n_in:
        raise ValueError(
            f"X must have shape (n_in, n_samples) with n_in = {n_in} "
            f"(samples are columns); got X of shape {X.shape}"
        )
    if Y is not None:
        if Y.shape[0] != n_out:
            raise ValueError(
                f"Y must have shape (n_out, n_samples) with n_out = {n_out}; "
                f"got Y of shape {Y.shape}"
            )
        if X is not None and Y.shape[1] != X.shape[1]:
            raise ValueError(
                f"X and Y must have the same number of samples (columns); "
                f"got X {X.shape} and Y {Y.shape}"
            )
    return n_in, n_hidden, n_out


def as_width(name, value):
    """Return ``value`` as a positive Python int (a layer width or a count)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def as_rng(rng):
    """Return a ``numpy.random.Generator`` from a seed, a generator or None."""
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError):
        raise ValueError(
            "rng must be None, an integer seed or a numpy.random.Generator, "
            f"got {type(rng).__name__}"
        ) from None

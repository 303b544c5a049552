"""The conserved balance of a two-layer linear network and λ-balanced weights.

Under gradient flow the matrix ``W2.T @ W2 - W1 @ W1.T`` does not change,
whatever the data. When it equals ``lam * I`` the weights are called
*λ-balanced*, and ``lam`` labels the whole trajectory. This module measures
the balance, extracts ``lam``, and builds exactly λ-balanced weights.

Feasibility
-----------
``W2.T @ W2`` has rank at most ``n_out`` and ``W1 @ W1.T`` rank at most
``n_in``, both as ``(n_hidden, n_hidden)`` matrices. Their difference can be
``lam * I`` with ``lam > 0`` only if ``n_hidden <= n_out``, and with
``lam < 0`` only if ``n_hidden <= n_in``; ``lam = 0`` allows any width.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    as_finite_scalar,
    as_matrix,
    as_positive,
    as_rng,
    as_width,
    check_chain,
)

__all__ = [
    "balance",
    "balance_coefficient",
    "check_feasible",
    "lambda_balanced",
    "mode_weights",
]


def balance(W1, W2):
    """Return the conserved balance matrix ``W2.T @ W2 - W1 @ W1.T``.

    Parameters
    ----------
    W1 : array_like, shape (n_hidden, n_in)
        First-layer weights.
    W2 : array_like, shape (n_out, n_hidden)
        Second-layer weights.

    Returns
    -------
    ndarray, shape (n_hidden, n_hidden)
        The balance matrix; it equals ``lam * I`` for λ-balanced weights.

    Examples
    --------
    >>> import numpy as np
    >>> W1, W2 = np.eye(2), 2 * np.eye(2)
    >>> balance(W1, W2)
    array([[3., 0.],
           [0., 3.]])
    """
    W1 = as_matrix("W1", W1)
    W2 = as_matrix("W2", W2)
    check_chain(W1, W2)
    return W2.T @ W2 - W1 @ W1.T


def balance_coefficient(W1, W2, *, rtol=1e-8):
    """Return λ for λ-balanced weights, or raise if they are not balanced.

    Parameters
    ----------
    W1 : array_like, shape (n_hidden, n_in)
        First-layer weights.
    W2 : array_like, shape (n_out, n_hidden)
        Second-layer weights.
    rtol : float, optional
        Tolerance on ``max|B - lam I|``, relative to the weights' scale
        ``max(||W1||_2, ||W2||_2) ** 2``, where ``B`` is the balance matrix.

    Returns
    -------
    float
        ``lam = trace(B) / n_hidden``. Where the widths forbid a sign of
        ``lam`` (see :func:`lazyrich.balancing.check_feasible`), a value of
        that sign within the tolerance of zero is rounding error and is
        returned as exactly 0.

    Raises
    ------
    ValueError
        If the balance matrix differs from ``lam * I`` by more than the
        tolerance; the message gives the measured deviation.
    """
    rtol = as_positive("rtol", rtol)
    B = balance(W1, W2)
    n_hidden = B.shape[0]
    lam = float(np.trace(B)) / n_hidden

    # Scale of the weights: the balance is a difference of two Gram
    # matrices, so its rounding error is relative to their size.
    W1 = np.asarray(W1, dtype=float)
    W2 = np.asarray(W2, dtype=float)
    scale = max(np.linalg.norm(W1, 2), np.linalg.norm(W2, 2)) ** 2
    deviation = float(np.max(np.abs(B - lam * np.eye(n_hidden))))
    n_out, n_in = W2.shape[0], W1.shape[1]
    if deviation > rtol * max(scale, np.finfo(float).tiny):
        # Say so when no weights of these widths could have this lam.
        try:
            check_feasible(lam, n_in, n_hidden, n_out)
            why = ""
        except ValueError as exc:
            why = f" (moreover, {exc})"
        raise ValueError(
            "the weights are not λ-balanced: W2.T @ W2 - W1 @ W1.T differs "
            f"from lam * I (lam = {lam:.6g}) by {deviation:.3g} in max-abs, "
            f"which is {deviation / max(scale, np.finfo(float).tiny):.3g} "
            f"relative to the weights' scale (tolerance {rtol:.1g}); build "
            "balanced weights with lazyrich.lambda_balanced, or use "
            "lazyrich.gradient_flow, which accepts any initialisation" + why
        )

    # Widths can force the sign of lam (see check_feasible); a value of the
    # forbidden sign that is within the tolerance of zero is rounding.
    forbidden = (lam > 0 and n_hidden > n_out) or (lam < 0 and n_hidden > n_in)
    if forbidden and abs(lam) <= rtol * scale:
        lam = 0.0
    return lam


def check_feasible(lam, n_in, n_hidden, n_out):
    """Raise ``ValueError`` if no weights of these widths are λ-balanced.

    Parameters
    ----------
    lam : float
        Balance coefficient.
    n_in, n_hidden, n_out : int
        Layer widths.
    """
    if lam > 0 and n_hidden > n_out:
        raise ValueError(
            f"lam = {lam:.6g} > 0 is infeasible for n_hidden = {n_hidden} > "
            f"n_out = {n_out}: W2.T @ W2 has rank at most n_out, so it cannot "
            "exceed W1 @ W1.T by lam * I; use n_hidden <= n_out or lam <= 0"
        )
    if lam < 0 and n_hidden > n_in:
        raise ValueError(
            f"lam = {lam:.6g} < 0 is infeasible for n_hidden = {n_hidden} > "
            f"n_in = {n_in}: W1 @ W1.T has rank at most n_in, so it cannot "
            "exceed W2.T @ W2 by -lam * I; use n_hidden <= n_in or lam >= 0"
        )


def mode_weights(s, lam):
    """Per-mode singular values of λ-balanced layers with product ``s``.

    Solves ``s1 * s2 = s`` and ``s2**2 - s1**2 = lam`` for non-negative
    ``s1, s2``, without dividing by ``lam``.

    Parameters
    ----------
    s : array_like, shape (r,)
        Non-negative singular values of the product ``W2 @ W1``.
    lam : float
        Balance coefficient.

    Returns
    -------
    s1, s2 : ndarray, shape (r,)
        Singular values of ``W1`` and ``W2`` for each mode.
    """
    s = np.asarray(s, dtype=float)
    root = np.hypot(lam, 2 * s)

    # One of root - lam, root + lam may cancel; get it from s1 * s2 = s.
    big = np.sqrt((root + abs(lam)) / 2)
    small = np.divide(s, big, out=np.zeros_like(s), where=big > 0)
    if lam >= 0:
        return small, big
    return big, small


def _random_orthonormal(rng, n, k):
    """Return an ``(n, k)`` matrix with orthonormal columns, Haar-random."""
    A = rng.standard_normal((n, k))
    Qm, R = np.linalg.qr(A)
    return Qm * np.sign(np.where(np.diag(R) == 0, 1.0, np.diag(R)))


def _as_mode_scale(scale, r):
    """Return ``scale`` as ``r`` non-negative mode singular values."""
    values = np.asarray(scale, dtype=float) if not isinstance(scale, str) else None
    if values is None or values.ndim > 1 or values.ndim == 1 and len(values) != r:
        raise ValueError(
            f"scale must be a number or an array of r = {r} per-mode singular "
            f"values (r = min(n_in, n_hidden, n_out)), got {scale!r}"
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(f"scale must be finite, got {scale!r}")
    if np.any(values < 0):
        raise ValueError(f"scale must be non-negative, got {scale!r}")
    return np.broadcast_to(values, (r,)).copy()


def lambda_balanced(n_in, n_hidden, n_out, lam, *, scale=1.0, rng=None, sigma_yx=None):
    """Draw random, exactly λ-balanced weights.

    The product is ``W2 @ W1 = U @ diag(scale) @ V.T`` with ``r = min(n_in,
    n_hidden, n_out)`` orthonormal columns in ``U`` and ``V``. Each mode gets
    the layer singular values of :func:`lazyrich.balancing.mode_weights`;
    hidden units beyond ``r`` carry ``sqrt(lam)`` in the second layer (``lam > 0``) or
    ``sqrt(-lam)`` in the first (``lam < 0``). A random orthogonal hidden
    rotation ``R`` gives ``W1 = R S1 V.T`` and ``W2 = U S2 R.T``.

    Parameters
    ----------
    n_in, n_hidden, n_out : int
        Layer widths.
    lam : float
        Balance coefficient; feasibility requires ``n_hidden <= n_out`` for
        ``lam > 0`` and ``n_hidden <= n_in`` for ``lam < 0``.
    scale : float or array_like of shape (r,), optional
        Singular values of the initial product ``W2 @ W1``: one value for
        every mode, or one per mode (mode ``i`` uses the ``i``-th columns of
        ``U`` and ``V``). Non-negative. Small values give the rich,
        sigmoidal regime.
    rng : int or numpy.random.Generator, optional
        Seed or generator for ``U``, ``V`` and ``R``.
    sigma_yx : array_like, shape (n_out, n_in), optional
        If given, ``U`` and ``V`` are the leading singular vectors of this
        task, so the weights are aligned with it.

    Returns
    -------
    W1 : ndarray, shape (n_hidden, n_in)
    W2 : ndarray, shape (n_out, n_hidden)

    Raises
    ------
    ValueError
        If ``lam`` is infeasible for the widths, a width is not a positive
        integer, ``scale`` is negative, or ``sigma_yx`` has the wrong shape.

    Notes
    -----
    At ``lam = 0`` with ``n_in = n_hidden = n_out`` the sign of
    ``det(W2 @ W1)`` is conserved by gradient flow (a hidden direction that
    dies stays dead). A random init whose determinant sign differs from the
    task's therefore cannot learn the weakest mode: it ends on a saddle. With
    random ``U`` and ``V`` this happens for about half of the seeds; pass
    ``sigma_yx`` for an aligned init, or any ``lam != 0``, to avoid it.

    Examples
    --------
    >>> W1, W2 = lambda_balanced(3, 2, 4, lam=0.5, rng=0)
    >>> round(balance_coefficient(W1, W2), 12)
    0.5
    """
    n_in = as_width("n_in", n_in)
    n_hidden = as_width("n_hidden", n_hidden)
    n_out = as_width("n_out", n_out)
    lam = as_finite_scalar("lam", lam)
    check_feasible(lam, n_in, n_hidden, n_out)
    rng = as_rng(rng)
    r = min(n_in, n_hidden, n_out)
    scale = _as_mode_scale(scale, r)

    # Singular vectors of the product: random, or the task's own.
    if sigma_yx is None:
        U = _random_orthonormal(rng, n_out, min(n_out, n_hidden))
        V = _random_orthonormal(rng, n_in, min(n_in, n_hidden))
    else:
        sigma_yx = as_matrix("sigma_yx", sigma_yx)
        if sigma_yx.shape != (n_out, n_in):
            raise ValueError(
                f"sigma_yx must have shape (n_out, n_in) = ({n_out}, {n_in}), "
                f"got {sigma_yx.shape}"
            )
        U_full, _, Vt_full = np.linalg.svd(sigma_yx)
        U = U_full[:, : min(n_out, n_hidden)]
        V = Vt_full.T[:, : min(n_in, n_hidden)]

    # Layer singular values: r shared modes, then the extra hidden units.
    s1, s2 = mode_weights(scale, lam)
    S1 = np.zeros((n_hidden, V.shape[1]))
    S2 = np.zeros((U.shape[1], n_hidden))
    S1[np.arange(r), np.arange(r)] = s1
    S2[np.arange(r), np.arange(r)] = s2
    extra = np.arange(r, n_hidden)
    if lam > 0:
        S2[extra, extra] = np.sqrt(lam)
    elif lam < 0:
        S1[extra, extra] = np.sqrt(-lam)

    R = _random_orthonormal(rng, n_hidden, n_hidden)
    W1 = R @ S1 @ V.T
    W2 = U @ S2 @ R.T
    return W1, W2

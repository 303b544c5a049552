r"""The neural tangent kernel of a two-layer linear network and kernel distance.

For the network ``f(x) = W2 @ W1 @ x`` the tangent features of output ``i``
at input ``x`` are the derivatives of ``f_i(x)`` with respect to every
entry of ``W1`` and ``W2``. Their inner products over the ``n_out * P``
pairs (output ``i``, sample ``p``), taken in output-major order (pair
``(i, p)`` at index ``i * P + p``), form the neural tangent kernel

.. math::

    \mathrm{NTK} = I_{n_\text{out}} \otimes (X^T W_1^T W_1 X)
                 + (W_2 W_2^T) \otimes (X^T X).

The first term comes from the second-layer weights (they see the hidden
features ``W1 @ X``), the second from the first-layer weights (they see the
inputs, weighted by how the outputs read the hidden layer). Both depend on
the weights only through the blocks ``W1.T @ W1`` and ``W2 @ W2.T`` of
``QQ^T``, so the exact solution of :mod:`lazyrich.exact` gives the kernel at
every time without simulation.

How far the kernel moves during training is measured by the kernel distance
of Fort et al. (2020), one minus the cosine of the angle between two kernels
seen as vectors of their entries: near 0 in the lazy regime, large in the
rich one.

References
----------
Jacot, Gabriel and Hongler, "Neural tangent kernel: convergence and
generalization in neural networks", NeurIPS 2018.

Fort, Dziugaite, Paul, Kharaghani, Roy and Ganguli, "Deep learning versus
kernel learning: an empirical study of loss landscape geometry and the time
evolution of the neural tangent kernel", NeurIPS 2020.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_matrix, check_chain, check_finite

__all__ = ["kernel_distance", "ntk"]


def ntk(W1, W2, X):
    r"""Return the neural tangent kernel of ``f(x) = W2 @ W1 @ x`` on ``X``.

    Parameters
    ----------
    W1 : array_like, shape (n_hidden, n_in)
        First-layer weights.
    W2 : array_like, shape (n_out, n_hidden)
        Second-layer weights.
    X : array_like, shape (n_in, n_samples)
        Inputs at which the kernel is evaluated, one per column.

    Returns
    -------
    ndarray, shape (n_out * n_samples, n_out * n_samples)
        ``kron(I, X.T W1.T W1 X) + kron(W2 W2.T, X.T X)``, indexed by
        (output, sample) pairs in output-major order: entry
        ``[i * P + p, j * P + q]`` is the inner product of the parameter
        gradients of ``f_i(x_p)`` and ``f_j(x_q)``, with ``P = n_samples``.
        The ordering is that of :meth:`lazyrich.ExactDynamics.ntk`.
        The kernel is symmetric and positive semi-definite, in units of
        (output / weight) squared.

    Notes
    -----
    With ``F = W2 W1 X`` and the loss ``||Y - F||_F^2 / (2P)``, gradient
    flow moves the outputs, flattened row by row (output-major), as
    ``tau d vec(F)/dt = K vec(Y - F) / P`` with ``K`` this kernel. Its two
    terms follow from ``d f_ip / d W1[h, k] = W2[i, h] X[k, p]`` and
    ``d f_ip / d W2[j, h] = δ_ij (W1 X)[h, p]``.

    Examples
    --------
    >>> import numpy as np
    >>> K = ntk(np.ones((1, 1)), 2 * np.ones((1, 1)), np.array([[1.0, 3.0]]))
    >>> K
    array([[ 5., 15.],
           [15., 45.]])
    """
    W1 = as_matrix("W1", W1)
    W2 = as_matrix("W2", W2)
    X = as_matrix("X", X)
    _, _, n_out = check_chain(W1, W2, X=X)

    # Second-layer term: Gram matrix of the hidden features W1 X, per output.
    features = W1 @ X
    K_hidden = _symmetric(features.T @ features)

    # First-layer term: output similarity W2 W2^T times the input Gram matrix.
    K_out = _symmetric(W2 @ W2.T)
    K_in = _symmetric(X.T @ X)

    # Output-major Kronecker products, (i, p) at index i * P + p.
    return np.kron(np.eye(n_out), K_hidden) + np.kron(K_out, K_in)


def kernel_distance(K1, K2):
    r"""Return the kernel distance ``1 - <K1, K2>_F / (||K1||_F ||K2||_F)``.

    The distance of Fort et al. (2020) compares the directions of two
    kernels and ignores their scale: ``S(K, c K) = 0`` for every ``c > 0``.

    Parameters
    ----------
    K1 : array_like, shape (..., m, m)
        A kernel matrix, or a stack of them.
    K2 : array_like, shape (..., m, m)
        Kernels of the same size ``m``; the leading axes of ``K1`` and
        ``K2`` broadcast against each other, so one kernel of shape
        ``(m, m)`` can be compared with a trajectory of shape
        ``(n_times, m, m)``.

    Returns
    -------
    float or ndarray, shape (...)
        The distance for each pair, a Python float when both inputs are
        2-D. It lies in ``[0, 2]``: 0 for kernels that are positive
        multiples of each other, 2 for ``K2 = -c K1``. For positive
        semi-definite kernels ``<K1, K2>_F >= 0``, so it lies in ``[0, 1]``.

    Raises
    ------
    ValueError
        If a kernel is not square, is empty, contains NaN or infinity, has
        zero norm (the angle is then undefined), or if the sizes ``m`` of
        ``K1`` and ``K2`` differ or their leading axes do not broadcast.

    Notes
    -----
    With ``U1 = K1 / ||K1||_F`` and ``U2 = K2 / ||K2||_F`` the distance
    equals ``||U1 - U2||_F^2 / 2``. That form is evaluated here: unlike
    ``1 - cos``, it keeps its relative accuracy for the small distances of
    the lazy regime.

    Examples
    --------
    >>> import numpy as np
    >>> K = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> kernel_distance(K, 3 * K)
    0.0
    >>> round(kernel_distance(K, np.eye(2)), 12)
    0.105572809
    """
    K1 = _as_kernels("K1", K1)
    K2 = _as_kernels("K2", K2)
    if K1.shape[-1] != K2.shape[-1]:
        raise ValueError(
            f"K1 and K2 must be kernels of the same size m, shapes (..., m, m); "
            f"got K1 of shape {K1.shape} and K2 of shape {K2.shape}"
        )
    try:
        np.broadcast_shapes(K1.shape[:-2], K2.shape[:-2])
    except ValueError:
        raise ValueError(
            f"the leading axes of K1 {K1.shape[:-2]} and K2 {K2.shape[:-2]} "
            "must broadcast against each other (shapes (..., m, m))"
        ) from None

    # Unit-norm kernels, so that only the direction is compared.
    U1 = _unit_frobenius("K1", K1)
    U2 = _unit_frobenius("K2", K2)

    # S = ||U1 - U2||^2 / 2 = 1 - <U1, U2>; rounding of the norms can put it
    # a few ulps outside [0, 2].
    distance = 0.5 * np.sum((U1 - U2) ** 2, axis=(-2, -1))
    distance = np.clip(distance, 0.0, 2.0)
    if distance.ndim == 0:
        return float(distance)
    return distance


def _as_kernels(name, value):
    """Return ``value`` as a finite float array of shape (..., m, m)."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be an array of real numbers of shape (..., m, m); "
            f"could not convert {type(value).__name__} ({exc})"
        ) from None
    if array.ndim < 2:
        raise ValueError(
            f"{name} must be a square matrix or a stack of them, shape "
            f"(..., m, m); got an array with {array.ndim} dimension(s) and "
            f"shape {array.shape}"
        )
    if array.shape[-1] != array.shape[-2]:
        raise ValueError(
            f"{name} must be square in its last two axes, shape (..., m, m); "
            f"got shape {array.shape}"
        )
    return check_finite(name, array)


def _unit_frobenius(name, K):
    """Divide each kernel of a stack by its Frobenius norm, without overflow."""
    # Scale by the largest entry first, so that squaring cannot overflow.
    peak = np.max(np.abs(K), axis=(-2, -1), keepdims=True)
    if np.any(peak == 0):
        where = np.argwhere(peak[..., 0, 0] == 0)
        at = "" if K.ndim == 2 else f" at index {tuple(int(i) for i in where[0])}"
        raise ValueError(
            f"{name} has a kernel of zero Frobenius norm{at}; the kernel "
            "distance compares directions and is undefined for a zero kernel"
        )
    scaled = K / peak
    norm = np.sqrt(np.sum(scaled**2, axis=(-2, -1), keepdims=True))
    return scaled / norm


def _symmetric(K):
    """Return ``(K + K.T) / 2``, exactly symmetric."""
    return (K + K.T) / 2

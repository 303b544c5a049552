r"""Tasks and their covariances: what the network is trained on.

The theory sees a data set ``(X, Y)`` of ``P`` samples, one per column, only
through its covariances ``Σxx = X X^T / P``, ``Σyx = Y X^T / P`` and
``Σyy = Y Y^T / P``, and the exact solution assumes whitened inputs,
``Σxx = I``. This module computes the covariances, whitens inputs, and
builds the two tasks the book uses: the eight-item semantic hierarchy of
Saxe, McClelland and Ganguli (2019) and a random linear regression task.

References
----------
Saxe, McClelland and Ganguli, "A mathematical theory of semantic
development in deep neural networks", PNAS 116(23):11537-11546, 2019.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_finite_scalar, as_matrix, as_rng, as_width

__all__ = ["covariances", "random_task", "semantic_hierarchy", "whiten"]

_ITEMS = ("canary", "robin", "salmon", "sunfish", "oak", "pine", "rose", "daisy")

# One row per node of the tree, one column per item; +1 marks the first
# named branch of a split, -1 the second, 0 the items outside the node.
_FEATURES = (
    ("living thing", (1, 1, 1, 1, 1, 1, 1, 1)),
    ("animal vs plant", (1, 1, 1, 1, -1, -1, -1, -1)),
    ("bird vs fish", (1, 1, -1, -1, 0, 0, 0, 0)),
    ("tree vs flower", (0, 0, 0, 0, 1, 1, -1, -1)),
    ("canary vs robin", (1, -1, 0, 0, 0, 0, 0, 0)),
    ("salmon vs sunfish", (0, 0, 1, -1, 0, 0, 0, 0)),
    ("oak vs pine", (0, 0, 0, 0, 1, -1, 0, 0)),
    ("rose vs daisy", (0, 0, 0, 0, 0, 0, 1, -1)),
)


def covariances(X, Y):
    """Return the covariances ``(Σxx, Σyx, Σyy)`` of a data set.

    The second moments are taken about zero, as in the theory; subtract the
    sample means first for centred covariances.

    Parameters
    ----------
    X : array_like, shape (n_in, n_samples)
        Inputs, one sample per column.
    Y : array_like, shape (n_out, n_samples)
        Targets, one sample per column.

    Returns
    -------
    sigma_xx : ndarray, shape (n_in, n_in)
        Input covariance ``X @ X.T / P``.
    sigma_yx : ndarray, shape (n_out, n_in)
        Input–output covariance ``Y @ X.T / P``.
    sigma_yy : ndarray, shape (n_out, n_out)
        Output covariance ``Y @ Y.T / P``.

    Examples
    --------
    >>> import numpy as np
    >>> sigma_xx, sigma_yx, sigma_yy = covariances(np.eye(2), [[1.0, -1.0]])
    >>> sigma_yx
    array([[ 0.5, -0.5]])
    """
    X = as_matrix("X", X)
    Y = as_matrix("Y", Y)
    if Y.shape[1] != X.shape[1]:
        raise ValueError(
            f"X and Y must have the same number of samples (columns); got X "
            f"of shape {X.shape} and Y of shape {Y.shape}"
        )
    n_samples = X.shape[1]

    # Second moments over the samples; the Gram matrices made exactly
    # symmetric.
    sigma_xx = X @ X.T / n_samples
    sigma_yx = Y @ X.T / n_samples
    sigma_yy = Y @ Y.T / n_samples
    return (
        (sigma_xx + sigma_xx.T) / 2,
        sigma_yx,
        (sigma_yy + sigma_yy.T) / 2,
    )


def whiten(X):
    """Whiten inputs: return ``Σxx^{-1/2} X`` and ``Σxx^{-1/2}``.

    The whitening matrix is the symmetric inverse square root of
    ``Σxx = X @ X.T / P``, computed from its eigendecomposition, so the
    whitened inputs satisfy ``X_white @ X_white.T / P = I`` (to rounding
    error of about ``cond(Σxx)`` times the machine epsilon). Of all
    whitening transforms, the symmetric one moves the inputs the least.
    The inputs are **not** centred: subtract the sample mean first
    (``X - X.mean(axis=1, keepdims=True)``) if that is wanted.

    Parameters
    ----------
    X : array_like, shape (n_in, n_samples)
        Inputs, one sample per column; ``n_samples >= n_in``.

    Returns
    -------
    X_white : ndarray, shape (n_in, n_samples)
        Whitened inputs ``whitening @ X``.
    whitening : ndarray, shape (n_in, n_in)
        The symmetric positive definite matrix ``Σxx^{-1/2}``. A network
        ``W2 @ W1`` trained on ``X_white`` acts on the original inputs as
        ``W2 @ W1 @ whitening``.

    Raises
    ------
    ValueError
        If ``Σxx`` is singular or numerically singular (its smallest
        eigenvalue is at most ``n_in * eps`` times its largest), which is
        always the case when ``n_samples < n_in``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[3.0, -2.0, 1.0], [0.0, 1.0, 1.0]])
    >>> X_white, whitening = whiten(X)
    >>> np.allclose(X_white @ X_white.T / 3, np.eye(2))
    True
    """
    X = as_matrix("X", X)
    n_in, n_samples = X.shape
    if n_samples < n_in:
        raise ValueError(
            f"X has n_in = {n_in} input dimensions (rows) but only "
            f"{n_samples} samples (columns), so Σxx = X X^T / P has rank at "
            f"most {n_samples} < {n_in} and cannot be whitened; use at least "
            "n_in samples, or fewer input dimensions (for example project X "
            f"onto its {n_samples} leading principal components)"
        )

    # Eigendecomposition of the input covariance Σxx = V diag(e) V^T.
    sigma_xx = X @ X.T / n_samples
    eigvals, V = np.linalg.eigh((sigma_xx + sigma_xx.T) / 2)

    # Numerical rank: eigenvalues within rounding of zero make Σxx^{-1/2}
    # meaningless.
    threshold = n_in * np.finfo(float).eps * eigvals[-1]
    if eigvals[0] <= threshold:
        rank = int(np.count_nonzero(eigvals > threshold))
        raise ValueError(
            f"X cannot be whitened: Σxx = X X^T / P has numerical rank {rank} "
            f"< n_in = {n_in} (smallest eigenvalue {eigvals[0]:.3g}, largest "
            f"{eigvals[-1]:.3g}), so some input directions carry no variance; "
            f"use fewer input dimensions (for example project X onto its "
            f"{rank} leading principal components) or more samples"
        )

    # Symmetric inverse square root Σxx^{-1/2} = V diag(e^{-1/2}) V^T.
    whitening = (V / np.sqrt(eigvals)) @ V.T
    whitening = (whitening + whitening.T) / 2
    return whitening @ X, whitening


def semantic_hierarchy():
    r"""Return the eight-item hierarchical task of semantic development.

    Eight items (canary, robin, salmon, sunfish, oak, pine, rose, daisy)
    are presented as one-hot inputs scaled to ``X = sqrt(8) I``, so that
    ``Σxx = I``. Each target feature is a node of a depth-3 binary tree
    over the items:

    - *living thing*: 1 for every item;
    - *animal vs plant*: +1 for the four animals, -1 for the four plants;
    - *bird vs fish* and *tree vs flower*: ±1 splitting the pairs of one
      group, 0 on the other group;
    - four leaf features (*canary vs robin*, ...): ±1 splitting one pair,
      0 elsewhere.

    Returns
    -------
    X : ndarray, shape (8, 8)
        Inputs ``sqrt(8) * I``, one item per column.
    Y : ndarray, shape (8, 8)
        Targets with entries +1, -1 and 0, one feature per row and one item
        per column.
    items : tuple of str, length 8
        Item names, in the order of the columns.
    features : tuple of str, length 8
        Feature names, in the order of the rows, from the root of the tree
        to its leaves; ``"a vs b"`` is +1 on ``a`` and -1 on ``b``.

    Notes
    -----
    The features (rows of ``Y``) are mutually orthogonal, with
    ``Y @ Y.T = diag(8, 8, 4, 4, 2, 2, 2, 2)``: a node's row has one
    nonzero entry per item below it. With ``X = sqrt(8) I`` the task is
    ``Σyx = Y X^T / 8 = Y / sqrt(8)``, so
    ``Σyx Σyx^T = diag(1, 1, 1/2, 1/2, 1/4, 1/4, 1/4, 1/4)`` and the
    singular values of ``Σyx`` are

    .. math:: 1, 1, \tfrac{1}{\sqrt 2}, \tfrac{1}{\sqrt 2},
              \tfrac12, \tfrac12, \tfrac12, \tfrac12 .

    The singular modes are the nodes of the tree: the left singular vectors
    are the features themselves and the right singular vectors the rows of
    ``Y`` divided by their norms (within each group of equal singular
    values any rotation is also a valid choice). The root and the first
    split share the largest singular value, then come the two pair splits,
    then the four leaves, so training learns them coarse to fine.

    The items themselves (columns of ``Y``) are not orthogonal: ``Y.T @ Y``
    is 4 on the diagonal, 2 between the two items of a pair, 1 between
    items of the same group in different pairs and 0 between an animal and
    a plant, the similarity structure of the tree.

    Examples
    --------
    >>> import numpy as np
    >>> X, Y, items, features = semantic_hierarchy()
    >>> np.round(np.linalg.svd(Y @ X.T / 8, compute_uv=False) ** 2, 12)
    array([1.  , 1.  , 0.5 , 0.5 , 0.25, 0.25, 0.25, 0.25])
    """
    n_items = len(_ITEMS)
    X = np.sqrt(n_items) * np.eye(n_items)
    Y = np.array([row for _, row in _FEATURES], dtype=float)
    features = tuple(name for name, _ in _FEATURES)
    return X, Y, _ITEMS, features


def random_task(n_in, n_out, n_samples, *, rng=None, noise=0.0):
    """Draw a random linear regression task with whitened inputs.

    The inputs are standard Gaussian samples, whitened with :func:`whiten`
    (applied twice: the second pass removes the rounding error the first
    leaves when the Gaussian draw is ill-conditioned), so that
    ``X @ X.T / n_samples = I`` to rounding error. The targets are
    ``Y = A @ X + noise * N`` with a teacher ``A`` of independent
    ``N(0, 1 / n_in)`` entries and standard Gaussian noise ``N``.

    Parameters
    ----------
    n_in : int
        Input dimension, ``n_in >= 1``.
    n_out : int
        Output dimension, ``n_out >= 1``.
    n_samples : int
        Number of samples ``P``; ``n_samples >= n_in`` so that the inputs
        can be whitened.
    rng : int or numpy.random.Generator, optional
        Seed or generator. ``X``, ``A`` and ``N`` are drawn in that order,
        and ``N`` is drawn even when ``noise = 0``, so one seed gives the
        same inputs and teacher at every noise level.
    noise : float, optional
        Standard deviation of the additive target noise, ``noise >= 0``.

    Returns
    -------
    X : ndarray, shape (n_in, n_samples)
        Whitened inputs, one sample per column.
    Y : ndarray, shape (n_out, n_samples)
        Targets, one sample per column. The task is
        ``Σyx = Y @ X.T / n_samples = A + noise * N @ X.T / n_samples``.

    Examples
    --------
    >>> import numpy as np
    >>> X, Y = random_task(3, 2, 10, rng=0)
    >>> np.allclose(X @ X.T / 10, np.eye(3))
    True
    """
    n_in = as_width("n_in", n_in)
    n_out = as_width("n_out", n_out)
    n_samples = as_width("n_samples", n_samples)
    if n_samples < n_in:
        raise ValueError(
            f"n_samples = {n_samples} must be at least n_in = {n_in}: with "
            "fewer samples than input dimensions Σxx is singular and the "
            "inputs cannot be whitened"
        )
    noise = as_finite_scalar("noise", noise)
    if noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise:.6g}")
    rng = as_rng(rng)

    # Draws, in a fixed order: inputs, teacher, noise.
    gaussian = rng.standard_normal((n_in, n_samples))
    A = rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)
    N = rng.standard_normal((n_out, n_samples))

    # Whitened inputs; the second pass refines the first.
    X, _ = whiten(gaussian)
    X, _ = whiten(X)

    # Targets from the linear teacher plus noise.
    Y = A @ X + noise * N
    return X, Y

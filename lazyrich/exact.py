r"""Exact gradient-flow dynamics of a λ-balanced two-layer linear network.

With whitened inputs and λ-balanced weights, the stacked matrix
``Q = [W1.T; W2]`` of shape ``(n_in + n_out, n_hidden)`` obeys the matrix
Riccati equation

.. math::

    \tau \frac{d(QQ^T)}{dt} = F QQ^T + QQ^T F - (QQ^T)^2, \qquad
    F = \begin{pmatrix} -\tfrac{\lambda}{2} I & \Sigma_{yx}^T \\
    \Sigma_{yx} & \tfrac{\lambda}{2} I \end{pmatrix},

whose solution from any ``Q0`` is

.. math::

    QQ^T(t) = e^{Ft/\tau} Q_0 \, G(t)^{-1} Q_0^T e^{Ft/\tau}, \qquad
    G(t) = I + Q_0^T \Big(\int_0^{t/\tau} e^{2Fu}\,du\Big) Q_0 .

Eigenbasis
----------
``F`` is diagonalised from the singular value decomposition of the task,
``Σyx = U S V^T``: each mode ``α`` couples the input direction ``v_α`` and
the output direction ``u_α`` through the 2 x 2 block
``[[-lam/2, s], [s, lam/2]]``, whose eigenvalues are ``±k`` with
``k = hypot(s, lam/2)`` and whose eigenvectors are a rotation by the angle
``phi = atan2(s, lam/2) / 2``; input directions beyond the task's rank
have eigenvalue ``-lam/2`` and output directions ``+lam/2``. Everything is
built from ``hypot`` and ``atan2``, so no step divides by ``lam`` and
``lam = 0`` is an ordinary case. With ``F = O diag(Λ) O^T`` and
``M = O^T Q0`` the solution is ``QQ^T = O P O^T`` with

.. math::

    P = E M (I + M^T D M)^{-1} M^T E, \quad
    E = \mathrm{diag}(e^{\Lambda_i t}), \quad
    D = \mathrm{diag}\Big(\frac{e^{2\Lambda_i t} - 1}{2\Lambda_i}\Big)

(``t`` in units of ``tau``; ``D_i = t`` when ``Λ_i = 0``).

How every intermediate stays bounded
------------------------------------
Evaluated as written, ``E`` and ``D`` overflow once ``Λ t`` passes about
350, and ``G`` is a difference of huge numbers long before that. The solver
never forms them. Three steps keep every number it stores of order one
(at most ``sqrt(t)`` for zero eigenvalues), for every ``t >= 0``:

1. *Column echelon form.* The rows of ``M`` are sorted by decreasing ``Λ``
   and an orthogonal change of hidden basis ``M T = L`` makes ``L`` lower
   echelon: column ``j`` is zero above its pivot row ``p_j``, and the
   pivots are strictly increasing. The solution depends on ``Q0`` only
   through ``Q0 Q0^T``, so ``L`` replaces ``M`` exactly, and only
   ``k = rank(M)`` columns remain.
2. *Scaling by the pivot's growth.* Let ``c_j = exp(max(Λ_{p_j}, 0) t)``
   and ``C = diag(c_j)``. Since ``I + L^T D L = C A^T A C`` with
   ``A = [C^{-1}; D^{1/2} L C^{-1}]``,

   .. math::  P = \hat L (A^T A)^{-1} \hat L^T, \qquad \hat L = E L C^{-1}.

   Every nonzero entry of ``\hat L`` carries ``exp((Λ_i - Λ_{p_j}^+) t)``
   and every entry of ``D^{1/2} L C^{-1}`` carries
   ``sqrt(δ_i) exp((Λ_i^+ - Λ_{p_j}^+) t)`` with
   ``δ_i = -expm1(-2|Λ_i| t) / (2|Λ_i|) <= min(t, 1/(2|Λ_i|))``. Because
   ``i >= p_j`` wherever ``L_ij != 0`` and the rows are sorted, every one
   of these exponents is ``<= 0``: nothing can overflow, and what
   underflows to zero is below rounding relative to what is kept.
3. *Orthogonal factorisation.* A Householder QR ``A = Q_A R_A`` (a
   backward-stable step that is insensitive to the column scaling) and a
   triangular solve give ``Y = \hat L R_A^{-1}`` and ``P = Y Y^T``, which
   is symmetric and positive semi-definite by construction. The result is
   returned as ``O Y``, a factor of ``QQ^T(t)``.

No approximation enters: the algebra of steps 1–3 is an identity, so the
result is the exact solution in floating point, with no invertibility
assumption on any block of ``M`` (bottlenecks, rank-deficient tasks,
unequal widths and degenerate overlaps are all covered). The cost per time
point is a QR of a ``(k + n_in + n_out, k)`` matrix and two matrix
products, the same for every ``t`` and every ``lam``.

Overlaps at rounding level
--------------------------
An overlap of the initial weights with a growing eigendirection that is
exactly zero in exact arithmetic (for example a zero-balanced network
initialised anti-aligned with its task: the reversal saddle) comes out of
``O^T Q0`` as rounding noise near ``1e-16``. Left in, that noise would grow
like ``exp(Λ t)`` and drive the network off the saddle at an arbitrary
time. The solver therefore treats the part of a row of ``M`` that is not
already spanned by earlier (faster) rows as zero when its norm is at most
``overlap_rtol`` times the largest row norm of ``M``. The default,
``16 * (n_in + n_out) * eps`` (about ``2e-14`` for six directions), sits
just above the rounding error of forming ``O^T Q0``. Such a network stays on
the saddle forever, which is the exact answer for the initialisation
intended. A genuine overlap smaller than the threshold is lost as well: for
example an anti-aligned init at ``|lam| = 1e-12`` has a growing overlap of
relative size about ``|lam|`` over the weights' scale, which is resolved by
the default only while it exceeds the threshold. To study the escape from a
saddle, perturb the weights by more than that; pass ``overlap_rtol=0`` to
keep every overlap, however small.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular

from ._validation import (
    as_finite_scalar,
    as_matrix,
    as_positive,
    as_times,
    check_chain,
)
from .balancing import balance_coefficient, check_feasible

__all__ = ["ExactDynamics", "HealthCheckError", "mode_rotation", "task_eigenbasis"]

# Largest number of float64 entries a chunk of time points may hold in its
# biggest intermediate (about 64 MB); long time arrays are done in chunks.
_CHUNK_ENTRIES = 8_000_000


class HealthCheckError(FloatingPointError):
    """Raised when a computed solution fails its numerical health check."""


def mode_rotation(s, lam):
    """Eigenvalue and rotation of one mode's block ``[[-lam/2, s], [s, lam/2]]``.

    The block equals ``k`` times a reflection; its eigenvector for ``+k`` is
    ``(sin(phi), cos(phi))`` and for ``-k`` is ``(cos(phi), -sin(phi))``, with
    ``cos(2 phi) = lam / (2k)`` and ``sin(2 phi) = s / k``. The half-angle
    values are formed without cancellation, and are exactly 0 or 1 where
    they should be (``s = 0``), so a decoupled direction stays decoupled.

    Parameters
    ----------
    s : array_like, shape (m,)
        Non-negative singular values of the task.
    lam : float
        Balance coefficient.

    Returns
    -------
    k, sin, cos : ndarray, shape (m,)
        ``k = hypot(s, lam/2)`` and ``sin(phi)``, ``cos(phi)``; for ``s = 0``
        and ``lam = 0`` (a zero block) ``phi = 0``.
    """
    s = np.asarray(s, dtype=float)
    k = np.hypot(s, lam / 2)
    safe_k = np.where(k > 0, k, 1.0)
    cos_2phi = np.where(k > 0, lam / 2 / safe_k, 1.0)
    sin_2phi = np.where(k > 0, s / safe_k, 0.0)

    # The larger half-angle factor from its square, the other from
    # sin(2 phi) = 2 sin(phi) cos(phi): neither step cancels.
    big = np.sqrt((1 + np.abs(cos_2phi)) / 2)
    small = sin_2phi / (2 * big)
    sin = np.where(cos_2phi >= 0, small, big)
    cos = np.where(cos_2phi >= 0, big, small)
    return k, sin, cos


def _task_eigenbasis(sigma_yx, lam):
    """:func:`task_eigenbasis`, plus the sort order and the sparse form of O."""
    n_out, n_in = sigma_yx.shape
    m = min(n_in, n_out)
    U, s, Vt = np.linalg.svd(sigma_yx)
    V = Vt.T

    # Each mode's 2 x 2 block [[-lam/2, s], [s, lam/2]] is k times a
    # reflection: eigenvalues ±k and eigenvectors rotated by phi.
    k, sin, cos = mode_rotation(s, lam)

    size = n_in + n_out
    O = np.zeros((size, size))
    eigvals = np.empty(size)
    # Growing member of each pair: (sin v, cos u) with eigenvalue +k.
    O[:n_in, :m] = V[:, :m] * sin
    O[n_in:, :m] = U[:, :m] * cos
    eigvals[:m] = k
    # Decaying member: (cos v, -sin u) with eigenvalue -k.
    O[:n_in, m : 2 * m] = V[:, :m] * cos
    O[n_in:, m : 2 * m] = -U[:, :m] * sin
    eigvals[m : 2 * m] = -k
    # Left-over input directions (-lam/2) and output directions (+lam/2).
    O[:n_in, 2 * m : m + n_in] = V[:, m:]
    eigvals[2 * m : m + n_in] = -lam / 2
    O[n_in:, m + n_in :] = U[:, m:]
    eigvals[m + n_in :] = lam / 2

    order = np.argsort(-eigvals, kind="stable")
    mixing = _sparse_mixing(U, V, sin, cos, order)
    return eigvals[order], O[:, order], mixing


def task_eigenbasis(sigma_yx, lam):
    """Eigen-decomposition of ``F`` built from the task's SVD.

    Parameters
    ----------
    sigma_yx : ndarray, shape (n_out, n_in)
        Input–output covariance.
    lam : float
        Balance coefficient.

    Returns
    -------
    eigvals : ndarray, shape (n_in + n_out,)
        Eigenvalues ``Λ`` of ``F``, sorted in decreasing order.
    O : ndarray, shape (n_in + n_out, n_in + n_out)
        Orthogonal matrix whose columns are the matching eigenvectors, so
        that ``F = O @ diag(eigvals) @ O.T``.
    """
    eigvals, O, _ = _task_eigenbasis(sigma_yx, lam)
    return eigvals, O


def _sparse_mixing(U, V, sin, cos, order):
    """The eigenvectors as two rotations per row, for a cheap ``O @ Y``.

    ``O = blockdiag(V, U) @ R`` where every row of ``R`` (in the task's
    singular coordinates) has at most two nonzero entries: ``sin, cos`` for
    an input direction of a mode, ``cos, -sin`` for its output direction,
    and a single 1 for a left-over direction. Returns ``V``, ``U`` and, per
    row, the two columns (in sorted eigen-order) and their coefficients.
    """
    n_in, n_out = len(V), len(U)
    m = len(sin)

    # Columns of O before sorting, as laid out in task_eigenbasis.
    col1 = np.concatenate([np.arange(m), m + np.arange(m, n_in)])
    col1 = np.concatenate([col1, np.arange(m), n_in + np.arange(m, n_out)])
    col2 = np.concatenate([m + np.arange(m), m + np.arange(m, n_in)])
    col2 = np.concatenate([col2, m + np.arange(m), n_in + np.arange(m, n_out)])
    ones_in, ones_out = np.ones(n_in - m), np.ones(n_out - m)
    coef1 = np.concatenate([sin, ones_in, cos, ones_out])
    zeros_in, zeros_out = np.zeros(n_in - m), np.zeros(n_out - m)
    coef2 = np.concatenate([cos, zeros_in, -sin, zeros_out])

    # Positions of those columns after sorting by eigenvalue.
    position = np.empty_like(order)
    position[order] = np.arange(len(order))
    return V, U, position[col1], coef1, position[col2], coef2


def _echelon(M, overlap_rtol):
    """Orthogonal column echelon form of ``M`` (rows already sorted).

    Returns ``L`` of shape ``(N, k)`` with ``L @ L.T == M @ M.T`` (up to the
    dropped rounding-level overlaps) and the pivot rows ``p`` of shape
    ``(k,)``, strictly increasing, with ``L[i, j] == 0`` for ``i < p[j]``.
    """
    row_norms = np.linalg.norm(M, axis=1)
    threshold = overlap_rtol * row_norms.max()
    basis = np.zeros((M.shape[1], 0))
    pivots = []
    for i, row in enumerate(M):
        # Part of this row not yet spanned (Gram-Schmidt, done twice).
        residual = row - basis @ (basis.T @ row)
        residual -= basis @ (basis.T @ residual)
        norm = np.linalg.norm(residual)
        if norm > threshold and norm > 0:
            basis = np.column_stack([basis, residual / norm])
            pivots.append(i)
            if basis.shape[1] == M.shape[1]:
                break
    pivots = np.asarray(pivots, dtype=int)
    L = M @ basis
    # Entries above a pivot are rounding noise; they must be exactly zero
    # for the scaling of step 2 to be bounded.
    rows = np.arange(M.shape[0])[:, None]
    L[rows < pivots[None, :]] = 0.0
    return L, pivots


class ExactDynamics:
    """Exact gradient flow of a λ-balanced two-layer linear network.

    The network ``x -> W2 @ W1 @ x`` is trained by gradient flow on
    whitened inputs (``Σxx = I``) with time constant ``tau``:
    ``tau dW1/dt = W2.T (Σyx - W2 W1)``, ``tau dW2/dt = (Σyx - W2 W1) W1.T``.
    All time-independent work is done at construction; each method then
    evaluates the closed-form solution at an array of times. See the module
    docstring for the algorithm and its stability.

    Parameters
    ----------
    W1 : array_like, shape (n_hidden, n_in)
        Initial first-layer weights.
    W2 : array_like, shape (n_out, n_hidden)
        Initial second-layer weights; ``W2.T @ W2 - W1 @ W1.T`` must equal
        ``lam * I`` (see :func:`lazyrich.balance_coefficient`).
    sigma_yx : array_like, shape (n_out, n_in)
        Input–output covariance ``Y @ X.T / P`` of the whitened task.
    tau : float, optional
        Time constant, the inverse learning rate (``tau > 0``).
    balance_rtol : float, optional
        Tolerance of the λ-balance check, relative to the weights' scale.
    overlap_rtol : float, optional
        Relative size below which an overlap with a growing eigendirection
        is treated as rounding noise and set to zero; the default is
        ``16 * (n_in + n_out) * eps`` (see the module docstring, "Overlaps
        at rounding level").

    Attributes
    ----------
    lam : float
        Balance coefficient inferred from the weights.
    n_in, n_hidden, n_out : int
        Layer widths.
    eigvals : ndarray, shape (n_in + n_out,)
        Eigenvalues of ``F`` in decreasing order, in units of ``1 / tau``.

    Examples
    --------
    >>> import numpy as np
    >>> from lazyrich import ExactDynamics, lambda_balanced
    >>> sigma_yx = np.diag([3.0, 1.0])
    >>> W1, W2 = lambda_balanced(2, 2, 2, 0.0, scale=1e-3, sigma_yx=sigma_yx)
    >>> dyn = ExactDynamics(W1, W2, sigma_yx)
    >>> np.round(dyn.network_function([50.0])[0], 6) + 0.0  # drops signed zeros
    array([[3., 0.],
           [0., 1.]])
    """

    def __init__(
        self, W1, W2, sigma_yx, *, tau=1.0, balance_rtol=1e-8, overlap_rtol=None
    ):
        # Validate: finite 2-D arrays whose shapes chain, a positive tau,
        # weights that are λ-balanced and a λ the widths allow.
        W1 = as_matrix("W1", W1)
        W2 = as_matrix("W2", W2)
        sigma_yx = as_matrix("sigma_yx", sigma_yx)
        n_in, n_hidden, n_out = check_chain(W1, W2, sigma_yx)
        self.tau = as_positive("tau", tau)
        if overlap_rtol is None:
            overlap_rtol = 16 * (n_in + n_out) * np.finfo(float).eps
        overlap_rtol = as_finite_scalar("overlap_rtol", overlap_rtol)
        if not 0 <= overlap_rtol < 1:
            raise ValueError(f"overlap_rtol must be in [0, 1), got {overlap_rtol!r}")
        self.lam = balance_coefficient(W1, W2, rtol=balance_rtol)
        check_feasible(self.lam, n_in, n_hidden, n_out)
        self.n_in, self.n_hidden, self.n_out = n_in, n_hidden, n_out
        self.W1, self.W2 = W1.copy(), W2.copy()
        self.sigma_yx = sigma_yx.copy()

        # Eigenbasis of F and the initial overlaps M = O^T Q0; O is kept
        # in its sparse form, two rotations per row after the task's SVD.
        self.eigvals, O, self._mixing = _task_eigenbasis(sigma_yx, self.lam)
        M = O.T @ np.vstack([W1.T, W2])

        # Step 1: orthogonal column echelon form of the overlaps.
        if np.any(M):
            self._L, self._pivots = _echelon(M, overlap_rtol)
        else:
            self._L = np.zeros((M.shape[0], 0))
            self._pivots = np.zeros(0, dtype=int)
        rank = self._L.shape[1]
        self.rank = rank

        # Time-independent parts of the exponents of step 2.
        lam_i = self.eigvals
        lam_p = np.maximum(lam_i[self._pivots], 0.0)
        below = np.arange(len(lam_i))[:, None] >= self._pivots[None, :]
        # Above a pivot L is exactly zero; a zero rate there keeps every
        # exponent finite and <= 0 without masking.
        self._rate_z = np.where(below, np.maximum(lam_i, 0.0)[:, None] - lam_p, 0.0)
        self._rate_c = lam_p

    # ------------------------------------------------------------------
    # Core evaluation
    # ------------------------------------------------------------------

    def _factor_chunk(self, s):
        """Return ``O Y`` for scaled times ``s = t / tau``, shape (T, N, k)."""
        L = self._L
        n_times = len(s)
        size, rank = L.shape
        if rank == 0:
            return np.zeros((n_times, size, 0))
        st = s[:, None, None]

        # δ_i = -expm1(-2|Λ_i| s) / (2|Λ_i|), equal to s when Λ_i = 0.
        x = 2 * np.abs(self.eigvals)[None, :] * s[:, None]
        safe = np.where(x > 0, x, 1.0)
        delta = s[:, None] * np.where(x > 0, -np.expm1(-x) / safe, 1.0)

        # Step 2: the bounded matrices L_hat and A = [C^-1; D^1/2 L C^-1].
        # exp((Λ_i - Λ_p^+) s) = exp((Λ_i^+ - Λ_p^+) s) exp(min(Λ_i, 0) s):
        # one exponential of the matrix of rates, both factors <= 1.
        grow_z = np.exp(self._rate_z[None] * st) * L[None]
        decay = np.exp(np.minimum(self.eigvals, 0.0)[None, :] * s[:, None])
        L_hat = decay[:, :, None] * grow_z
        A = np.zeros((n_times, rank + size, rank))
        diag = np.arange(rank)
        A[:, diag, diag] = np.exp(-self._rate_c[None, :] * s[:, None])
        np.multiply(np.sqrt(delta)[:, :, None], grow_z, out=A[:, rank:, :])

        # Step 3: A = Q_A R_A, Y = L_hat R_A^-1, and the factor O Y.
        R_A = np.linalg.qr(A, mode="r")
        pivots = np.abs(np.diagonal(R_A, axis1=1, axis2=2))
        if not np.all(pivots > 0):
            raise HealthCheckError(
                "the scaled Gram factor R_A is singular, so the overlaps "
                "with the growing eigendirections cannot be resolved; this "
                "happens when overlap_rtol = 0 lets rounding noise through. "
                "Use the default overlap_rtol"
            )
        Y = solve_triangular(R_A, np.swapaxes(L_hat, 1, 2), trans="T")
        Y = np.swapaxes(Y, 1, 2)

        # O Y = blockdiag(V, U) (R Y), with R two rotations per row.
        V, U, col1, coef1, col2, coef2 = self._mixing
        mixed = coef1[:, None] * np.take(Y, col1, axis=1)
        mixed += coef2[:, None] * np.take(Y, col2, axis=1)
        n_in = self.n_in
        return np.concatenate([V @ mixed[:, :n_in], U @ mixed[:, n_in:]], axis=1)

    def _evaluate(self, t, reduce, out_shape):
        """Apply ``reduce(factor, out)`` chunk by chunk; it fills ``out``."""
        times = as_times(t)
        s = times / self.tau
        size = self.n_in + self.n_out
        per_time = max(1, (self.rank + size) * max(self.rank, 1) * 4)
        chunk = max(1, _CHUNK_ENTRIES // per_time)
        out = np.empty((len(s), *out_shape))
        for start in range(0, len(s), chunk):
            factor = self._factor_chunk(s[start : start + chunk])
            if not np.all(np.isfinite(factor)):
                raise HealthCheckError(
                    "the exact solution produced non-finite values; this "
                    "should not happen for finite inputs and indicates a "
                    "bug: please report the weights, task and times"
                )
            # Each observable writes its chunk in place, with no extra copy.
            reduce(factor, out[start : start + chunk])
        return out

    # ------------------------------------------------------------------
    # Public observables
    # ------------------------------------------------------------------

    def factor(self, t):
        """Return ``Q~(t)`` with ``Q~ Q~^T = QQ^T(t)``.

        ``Q~(t)`` equals ``Q(t) = [W1(t).T; W2(t)]`` up to an orthogonal
        change of hidden basis, restricted to the ``rank`` directions that
        carry weight.

        Parameters
        ----------
        t : array_like, shape (n_times,)
            Non-negative times, in the units of ``tau``.

        Returns
        -------
        ndarray, shape (n_times, n_in + n_out, rank)
        """
        size = self.n_in + self.n_out
        return self._evaluate(t, lambda Y, out: np.copyto(out, Y), (size, self.rank))

    def weights(self, t):
        """Return weights ``W1(t), W2(t)`` up to a rotation of the hidden layer.

        The returned weights differ from the trained ones by one orthogonal
        ``n_hidden x n_hidden`` matrix ``R(t)`` (``W1 -> R^T W1``,
        ``W2 -> W2 R``), which changes neither the network function, nor
        the representations, nor the balance. They are what is needed to
        continue training from time ``t`` on a new task, for example with a
        new :class:`ExactDynamics`.

        Parameters
        ----------
        t : array_like, shape (n_times,)
            Non-negative times, in the units of ``tau``.

        Returns
        -------
        W1_t : ndarray, shape (n_times, n_hidden, n_in)
        W2_t : ndarray, shape (n_times, n_out, n_hidden)
        """
        factor = self.factor(t)
        # Hidden directions beyond the rank carry no weight (zero columns).
        Q = np.zeros((factor.shape[0], factor.shape[1], self.n_hidden))
        Q[:, :, : self.rank] = factor
        return np.swapaxes(Q[:, : self.n_in], 1, 2), Q[:, self.n_in :]

    def qqt(self, t):
        """Return the full matrix ``QQ^T(t)``.

        Its blocks are ``W1^T W1`` (top left), ``W1^T W2^T`` (top right),
        ``W2 W1`` (bottom left) and ``W2 W2^T`` (bottom right).

        Parameters
        ----------
        t : array_like, shape (n_times,)
            Non-negative times, in the units of ``tau``.

        Returns
        -------
        ndarray, shape (n_times, n_in + n_out, n_in + n_out)
        """
        size = self.n_in + self.n_out
        return self._evaluate(t, _gram, (size, size))

    def network_function(self, t):
        """Return the network function ``W2(t) @ W1(t)``.

        Parameters
        ----------
        t : array_like, shape (n_times,)
            Non-negative times, in the units of ``tau``.

        Returns
        -------
        ndarray, shape (n_times, n_out, n_in)
        """
        n_in = self.n_in
        return self._evaluate(
            t,
            lambda Y, out: np.matmul(
                Y[:, n_in:], np.swapaxes(Y[:, :n_in], 1, 2), out=out
            ),
            (self.n_out, n_in),
        )

    def input_representation(self, t):
        """Return the input-side representation ``W1(t).T @ W1(t)``.

        Parameters
        ----------
        t : array_like, shape (n_times,)
            Non-negative times, in the units of ``tau``.

        Returns
        -------
        ndarray, shape (n_times, n_in, n_in)
        """
        n_in = self.n_in
        return self._evaluate(t, lambda Y, out: _gram(Y[:, :n_in], out), (n_in, n_in))

    def output_representation(self, t):
        """Return the output-side representation ``W2(t) @ W2(t).T``.

        Parameters
        ----------
        t : array_like, shape (n_times,)
            Non-negative times, in the units of ``tau``.

        Returns
        -------
        ndarray, shape (n_times, n_out, n_out)
        """
        n_in, n_out = self.n_in, self.n_out
        return self._evaluate(t, lambda Y, out: _gram(Y[:, n_in:], out), (n_out, n_out))

    def loss(self, t, sigma_yy=None, *, sigma_yx=None):
        """Return the loss along the exact trajectory, on this or another task.

        Parameters
        ----------
        t : array_like, shape (n_times,)
            Non-negative times, in the units of ``tau``.
        sigma_yy : array_like, shape (n_out, n_out), optional
            Output covariance ``Y @ Y.T / P`` of the task being evaluated.
            Without it the constant ``(tr Σyy - ||Σyx||_F^2) / 2`` is
            omitted and the result is the excess loss
            ``||W2 W1 - Σyx||_F^2 / 2``.
        sigma_yx : array_like, shape (n_out, n_in), optional
            Input–output covariance of the task on which the loss is
            measured, on the same whitened inputs; the training task if
            omitted. Another task gives, for example, the exact forgetting
            curve of an earlier task while this one is trained.

        Returns
        -------
        ndarray, shape (n_times,)
            ``||Y - W2 W1 X||_F^2 / (2P)`` for whitened inputs.
        """
        target = self.sigma_yx
        if sigma_yx is not None:
            target = as_matrix("sigma_yx", sigma_yx)
            if target.shape != self.sigma_yx.shape:
                raise ValueError(
                    f"sigma_yx must have shape (n_out, n_in) = "
                    f"{self.sigma_yx.shape}, got {target.shape}"
                )
        constant = 0.0
        if sigma_yy is not None:
            sigma_yy = as_matrix("sigma_yy", sigma_yy)
            if sigma_yy.shape != (self.n_out, self.n_out):
                raise ValueError(
                    f"sigma_yy must have shape (n_out, n_out) = "
                    f"({self.n_out}, {self.n_out}), got {sigma_yy.shape}"
                )
            constant = (np.trace(sigma_yy) - np.sum(target**2)) / 2
        n_in = self.n_in

        def excess(Y, out):
            W = Y[:, n_in:] @ np.swapaxes(Y[:, :n_in], 1, 2)
            out[...] = 0.5 * np.sum((W - target) ** 2, axis=(1, 2))

        return self._evaluate(t, excess, ()) + constant

    def ntk(self, t, X):
        """Return the neural tangent kernel along the exact trajectory.

        Parameters
        ----------
        t : array_like, shape (n_times,)
            Non-negative times, in the units of ``tau``.
        X : array_like, shape (n_in, n_samples)
            Inputs at which the kernel is evaluated, one per column.

        Returns
        -------
        ndarray, shape (n_times, n_out * n_samples, n_out * n_samples)
            ``I ⊗ (X^T W1^T W1 X) + (W2 W2^T) ⊗ (X^T X)``, indexed by
            (output, sample) pairs in output-major order, as
            :func:`lazyrich.ntk`.
        """
        X = as_matrix("X", X)
        if X.shape[0] != self.n_in:
            raise ValueError(
                f"X must have shape (n_in, n_samples) with n_in = {self.n_in} "
                f"(samples are columns), got {X.shape}"
            )
        n_in, n_out, n_samples = self.n_in, self.n_out, X.shape[1]
        gram_x = X.T @ X
        eye = np.eye(n_out)

        def kernel(Y, out):
            features = np.swapaxes(Y[:, :n_in], 1, 2) @ X
            K_in = np.swapaxes(features, 1, 2) @ features
            K_out = _gram(Y[:, n_in:])
            first = np.einsum("ab,tpq->tapbq", eye, K_in)
            second = np.einsum("tab,pq->tapbq", K_out, gram_x)
            size = n_out * n_samples
            out[...] = (first + second).reshape(len(Y), size, size)

        size = n_out * n_samples
        return self._evaluate(t, kernel, (size, size))

    def __repr__(self):
        return (
            f"ExactDynamics(n_in={self.n_in}, n_hidden={self.n_hidden}, "
            f"n_out={self.n_out}, lam={self.lam:.6g}, tau={self.tau:.6g})"
        )


def _gram(Y, out=None):
    """Return ``Y @ Y.T`` for a stack of matrices, into ``out`` if given."""
    return np.matmul(Y, np.swapaxes(Y, 1, 2), out=out)

"""Independent references for the exact dynamics, used only by the tests.

Nothing here reuses the package's algorithm. The matrix solution is
evaluated in multiple-precision arithmetic (mpmath) directly from its
definition,

    QQ^T(t) = e^{Ft} Q0 G(t)^{-1} Q0^T e^{Ft},
    G(t) = I + Q0^T O D O^T Q0,  D = diag((e^{2 Λ t} - 1) / (2 Λ)),

with ``F = O diag(Λ) O^T`` obtained from mpmath's own symmetric eigensolver
rather than from the task's singular value decomposition. Every input is a
float64, converted exactly, so the reference is the exact solution for the
very numbers the package receives, up to the working precision. That
precision is chosen from the largest ``Λ t``: forming ``G`` and inverting
it cancels about ``2 Λ_max t / ln 10`` digits.

The fixed points are derived from the stationarity conditions and the
conserved balance (see ``fixed_point``), using only the singular values of
the task.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

# Digits kept beyond those lost to cancellation.
_GUARD_DIGITS = 30


def required_dps(eigvals_max, t_max):
    """Working precision for a solution with growth rate ``eigvals_max``."""
    growth = max(float(eigvals_max), 0.0) * float(t_max)
    return int(2 * growth / math.log(10)) + _GUARD_DIGITS


def _to_mp(A):
    """Exact conversion of a float64 array to an mpmath matrix."""
    A = np.asarray(A, dtype=float)
    return mpmath.matrix([[mpmath.mpf(float(x)) for x in row] for row in A])


def _to_np(A):
    return np.array([[float(A[i, j]) for j in range(A.cols)] for i in range(A.rows)])


def _drift_matrix(sigma_yx, lam):
    """``F = [[-lam/2 I, Σyx^T], [Σyx, lam/2 I]]`` in mpmath."""
    S = _to_mp(sigma_yx)
    n_out, n_in = sigma_yx.shape
    size = n_in + n_out
    half = mpmath.mpf(float(lam)) / 2
    F = mpmath.zeros(size, size)
    for i in range(n_in):
        F[i, i] = -half
    for i in range(n_out):
        F[n_in + i, n_in + i] = half
    for i in range(n_out):
        for j in range(n_in):
            F[n_in + i, j] = S[i, j]
            F[j, n_in + i] = S[i, j]
    return F


def _integral_weight(rate, s):
    """``(e^{2 rate s} - 1) / (2 rate)``, with its series for tiny ``rate s``."""
    x = 2 * rate * s
    if rate == 0:
        return s
    if abs(x) < mpmath.mpf(10) ** (-(mpmath.mp.dps // 3)):
        # e^x - 1 = x (1 + x/2 + x^2/6 + x^3/24 + ...), truncated far below
        # the working precision.
        return s * (1 + x / 2 + x**2 / 6 + x**3 / 24)
    return mpmath.expm1(x) / (2 * rate)


def mp_qqt(W1, W2, sigma_yx, times, *, tau=1.0, lam=None, dps=None):
    """``QQ^T(t)`` from the closed form, evaluated with mpmath.

    Parameters
    ----------
    W1, W2, sigma_yx : ndarray
        Initial weights (exactly λ-balanced up to rounding) and the task.
    times : sequence of float
        Non-negative times, in units of ``tau``.
    tau : float
        Time constant.
    lam : float, optional
        Balance coefficient; if omitted, ``trace(W2^T W2 - W1 W1^T) /
        n_hidden`` computed in high precision.
    dps : int, optional
        Working precision; chosen from the largest ``Λ t`` if omitted.

    Returns
    -------
    ndarray, shape (n_times, n_in + n_out, n_in + n_out)
    """
    W1 = np.asarray(W1, dtype=float)
    W2 = np.asarray(W2, dtype=float)
    sigma_yx = np.asarray(sigma_yx, dtype=float)
    times = [float(t) for t in times]
    n_hidden = W1.shape[0]
    with mpmath.workdps(60):
        if lam is None:
            B = _to_mp(W2).T * _to_mp(W2) - _to_mp(W1) * _to_mp(W1).T
            lam = sum(B[i, i] for i in range(n_hidden)) / n_hidden
        lam = mpmath.mpf(lam)
    if dps is None:
        rate = max_growth_rate(sigma_yx, float(lam))
        dps = required_dps(rate, max(times) / tau)

    out = []
    with mpmath.workdps(dps):
        F = _drift_matrix(sigma_yx, lam)
        Q0 = _to_mp(np.vstack([W1.T, W2]))
        eigvals, O = mpmath.eigsy(F)
        M = O.T * Q0
        size = F.rows
        for t in times:
            s = mpmath.mpf(t) / mpmath.mpf(float(tau))
            E = mpmath.diag([mpmath.exp(eigvals[i] * s) for i in range(size)])
            D = mpmath.diag([_integral_weight(eigvals[i], s) for i in range(size)])
            G = mpmath.eye(n_hidden) + M.T * D * M
            EM = E * M
            P = EM * mpmath.inverse(G) * EM.T
            out.append(_to_np(O * P * O.T))
    return np.array(out)


def mp_scalar_ode(times, s, a0, lam, *, tau=1.0, dps=30):
    """Solve ``tau da/dt = sqrt(lam^2 + 4 a^2) (s - a)`` with mpmath.odefun.

    A Taylor-series integrator at ``dps`` digits; its error is far below
    the float64 tolerances the tests use.
    """
    with mpmath.workdps(dps):
        lam_mp = mpmath.mpf(float(lam))
        s_mp = mpmath.mpf(float(s))
        tau_mp = mpmath.mpf(float(tau))

        def rhs(_, a):
            return mpmath.sqrt(lam_mp**2 + 4 * a**2) * (s_mp - a) / tau_mp

        solution = mpmath.odefun(rhs, 0, mpmath.mpf(float(a0)))
        return np.array([float(solution(mpmath.mpf(float(t)))) for t in times])


def balanced_scalar_weights(a0, lam, dps=50):
    """``(w1, w2)`` with ``w1 w2 = a0`` and ``w2^2 - w1^2 = lam``, ``w2 >= 0``."""
    with mpmath.workdps(dps):
        a0_mp, lam_mp = mpmath.mpf(float(a0)), mpmath.mpf(float(lam))
        root = mpmath.sqrt(lam_mp**2 + 4 * a0_mp**2)
        w2 = mpmath.sqrt((root + lam_mp) / 2)
        w1_abs = mpmath.sqrt((root - lam_mp) / 2)
        w1 = w1_abs if a0 >= 0 else -w1_abs
        return float(w1), float(w2)


def fixed_point(sigma_yx, lam, n_hidden):
    """The limit of the exact flow from a generic λ-balanced start.

    At a stationary point of the flow that a generic start reaches,
    ``W2 W1`` is the best rank-``n_hidden`` approximation of the task,
    ``P* = sum_{α < r*} s_α u_α v_α^T`` with ``r* = min(n_hidden,
    rank Σyx)`` (this needs ``s_{r*} > s_{r*+1}`` when ``n_hidden`` is a
    bottleneck). With ``X = W1^T W1``, the balance ``W2^T W2 = W1 W1^T +
    lam I`` gives ``X^2 + lam X = W1^T W2^T W2 W1 = P*^T P*``, so ``X``
    commutes with ``P*^T P*`` and each eigenvalue solves
    ``x^2 + lam x = s^2`` with ``x >= 0``:

    * task mode (s > 0): ``x = sqrt(s^2 + lam^2/4) - lam/2``;
    * elsewhere (s = 0): ``x = 0`` or ``x = -lam``. For ``lam < 0`` the
      matrix ``W1 W1^T = W2^T W2 - lam I`` has full rank ``n_hidden``, so
      exactly ``n_hidden - r*`` eigenvalues equal ``-lam``; for
      ``lam >= 0`` only 0 is admissible.

    Symmetrically the eigenvalues of ``W2 W2^T`` are
    ``sqrt(s^2 + lam^2/4) + lam/2`` per task mode and ``lam`` for each of the
    ``n_hidden - r*`` extra hidden units when ``lam > 0``.

    Returns
    -------
    product : ndarray, shape (n_out, n_in)
    eig_in : ndarray, shape (n_in,), sorted decreasing
    eig_out : ndarray, shape (n_out,), sorted decreasing
    """
    sigma_yx = np.asarray(sigma_yx, dtype=float)
    n_out, n_in = sigma_yx.shape
    U, s, Vt = np.linalg.svd(sigma_yx)
    rank = int(np.sum(s > 1e-12 * max(s.max(initial=0.0), 1e-300)))
    r_star = min(n_hidden, rank)
    product = (U[:, :r_star] * s[:r_star]) @ Vt[:r_star]
    extra = n_hidden - r_star

    with mpmath.workdps(50):
        lam_mp = mpmath.mpf(float(lam))
        roots = [mpmath.sqrt(mpmath.mpf(float(x)) ** 2 + lam_mp**2 / 4) for x in s]
        task_in = [float(roots[i] - lam_mp / 2) for i in range(r_star)]
        task_out = [float(roots[i] + lam_mp / 2) for i in range(r_star)]
    eig_in = task_in + [max(-float(lam), 0.0)] * extra
    eig_out = task_out + [max(float(lam), 0.0)] * extra
    return product, _pad_sorted(eig_in, n_in), _pad_sorted(eig_out, n_out)


def _pad_sorted(values, size):
    """The ``size`` largest of ``values`` padded with zeros, decreasing."""
    padded = np.sort(np.concatenate([values, np.zeros(size)]))[::-1]
    return padded[:size]


def stack_qqt(W1_t, W2_t):
    """``QQ^T`` from recorded weights of shape (T, h, n_in) and (T, n_out, h)."""
    Q = np.concatenate([np.swapaxes(W1_t, 1, 2), W2_t], axis=1)
    return Q @ np.swapaxes(Q, 1, 2)


def rel_err(A, B):
    """Max-abs error of ``A`` over the max-abs value of ``B``."""
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float)
    scale = np.max(np.abs(B))
    return float(np.max(np.abs(A - B)) / (scale if scale > 0 else 1.0))


def random_orthogonal(rng, n):
    """Haar-random orthogonal ``(n, n)`` matrix."""
    A = rng.standard_normal((n, n))
    Qm, R = np.linalg.qr(A)
    return Qm * np.sign(np.diag(R))


def make_task(n_out, n_in, singular_values, seed):
    """``Σyx = U diag(singular_values) V^T`` with random orthogonal U, V."""
    rng = np.random.default_rng(seed)
    U = random_orthogonal(rng, n_out)
    V = random_orthogonal(rng, n_in)
    m = min(n_in, n_out)
    values = np.zeros(m)
    values[: len(singular_values)] = singular_values
    S = np.zeros((n_out, n_in))
    S[np.arange(m), np.arange(m)] = values
    return U @ S @ V.T


def balanced_init(n_in, n_hidden, n_out, lam, products, seed):
    """λ-balanced weights built from scratch, with per-mode products.

    ``W1 = R S1 V^T`` and ``W2 = U S2 R^T`` with random orthonormal ``U``,
    ``V`` and ``R``; mode ``α`` gets ``s1 s2 = products[α]`` and
    ``s2^2 - s1^2 = lam`` (computed in high precision), and each hidden
    unit beyond ``r = min(n_in, n_hidden, n_out)`` carries ``sqrt(lam)`` in
    ``W2`` (``lam > 0``) or ``sqrt(-lam)`` in ``W1`` (``lam < 0``).
    """
    rng = np.random.default_rng(seed)
    r = min(n_in, n_hidden, n_out)
    U = random_orthogonal(rng, n_out)
    V = random_orthogonal(rng, n_in)
    R = random_orthogonal(rng, n_hidden)
    S1 = np.zeros((n_hidden, n_in))
    S2 = np.zeros((n_out, n_hidden))
    for alpha in range(r):
        w1, w2 = balanced_scalar_weights(products[alpha], lam)
        S1[alpha, alpha], S2[alpha, alpha] = abs(w1), w2
    for j in range(r, n_hidden):
        if lam > 0:
            S2[j, j] = math.sqrt(lam)
        elif lam < 0:
            S1[j, j] = math.sqrt(-lam)
    return R @ S1 @ V.T, U @ S2 @ R.T


def max_growth_rate(sigma_yx, lam):
    """Largest eigenvalue of ``F``, from the task's singular values."""
    n_out, n_in = sigma_yx.shape
    s = np.linalg.svd(sigma_yx, compute_uv=False)
    # Each singular value gives ±hypot(s, lam/2); the directions beyond
    # min(n_in, n_out) give -lam/2 (inputs) or +lam/2 (outputs).
    rates = [math.hypot(x, lam / 2) for x in s]
    if n_in > n_out:
        rates.append(-lam / 2)
    if n_out > n_in:
        rates.append(lam / 2)
    return max(rates)


def mp_scalar_times(targets, s, a0, lam, *, dps=25):
    """Times at which ``tau da/dt = sqrt(lam^2 + 4a^2)(s - a)`` reaches
    each of ``targets``.

    Separation of variables: ``t(a) = ∫_{a0}^{a} da' / (sqrt(lam^2 + 4a'^2)
    (s - a'))`` (units of ``tau``), by tanh-sinh quadrature in mpmath,
    accumulated from one target to the next. The integrand has a peak of
    width ``|lam|`` at 0, a ``1/a`` behaviour above it and a pole at ``s``,
    so the path is split at 0 and at geometric points around it. The
    targets must be ordered along the path and lie strictly between ``a0``
    and the limit of the flow.
    """
    with mpmath.workdps(dps):
        lam_mp = mpmath.mpf(float(lam))
        s_mp = mpmath.mpf(float(s))

        def rate(x):
            return 1 / (mpmath.sqrt(lam_mp**2 + 4 * x**2) * (s_mp - x))

        marks = {0.0}
        for k in range(-16, 1, 2):
            marks |= {10.0**k, -(10.0**k)}
        for j in range(0, 8):
            if 0 < abs(lam) * 100.0**j < 1:
                marks |= {abs(lam) * 100.0**j, -abs(lam) * 100.0**j}
        marks = sorted(mpmath.mpf(x) for x in marks)

        times = []
        total = mpmath.mpf(0)
        start = mpmath.mpf(float(a0))
        for a in targets:
            end = mpmath.mpf(float(a))
            inside = [x for x in marks if min(start, end) < x < max(start, end)]
            if end < start:
                inside = inside[::-1]
            total += mpmath.quad(rate, [start, *inside, end])
            times.append(float(total))
            start = end
        return np.array(times)


def mp_scalar_zero_balanced(times, s, a0, *, dps=30):
    """Closed forms of the λ = 0 scalar flow ``tau da/dt = 2|a|(s - a)``.

    ``a0 > 0``: the logistic ``s e^{2st} / (e^{2st} - 1 + s/a0)``.
    ``a0 < 0``: with ``b = -a``, ``db/dt = -2b(s + b)`` gives
    ``a = -s|a0| e^{-2st} / (s + |a0|(1 - e^{-2st}))``, which stays
    negative. ``s = 0`` gives ``a0 / (1 + 2|a0| t)`` in both cases.
    """
    out = []
    with mpmath.workdps(dps):
        s_mp, a0_mp = mpmath.mpf(float(s)), mpmath.mpf(float(a0))
        for t in times:
            t = mpmath.mpf(float(t))
            if a0 == 0:
                value = mpmath.mpf(0)
            elif s == 0:
                value = a0_mp / (1 + 2 * abs(a0_mp) * t)
            elif a0 > 0:
                grow = mpmath.exp(2 * s_mp * t)
                value = s_mp * grow / (grow - 1 + s_mp / a0_mp)
            else:
                decay = mpmath.exp(-2 * s_mp * t)
                b0 = -a0_mp
                value = -s_mp * b0 * decay / (s_mp + b0 * (1 - decay))
            out.append(float(value))
    return np.array(out)

r"""The single-mode network: closed form of ``a(t) = w1(t) w2(t)``.

Scalar weights ``w1, w2`` trained on a target ``s`` keep
``lam = w2**2 - w1**2`` fixed, and their product ``a`` obeys

.. math:: \tau \dot a = \sqrt{\lambda^2 + 4a^2}\,(s - a).

The solution used here is the one-mode case of the matrix solution of
:mod:`lazyrich.exact`: with ``k = hypot(s, lam/2)`` and the mixing angle
``phi`` of :func:`lazyrich.exact.mode_rotation`
(``cos 2phi = lam / 2k``, ``sin 2phi = s / k``), the overlaps of ``(w1, w2)`` with the
growing and decaying eigenvectors are

.. math:: m_+ = w_1 \sin\phi + w_2 \cos\phi, \qquad
          m_- = w_1 \cos\phi - w_2 \sin\phi,

and, writing ``q = exp(-2 k t / tau)`` and
``δ = -expm1(-2 k t/tau) / (2k)`` (``δ = t/tau`` when ``k = 0``),

.. math:: a(t) = \frac{(m_+ \sin\phi + q\, m_- \cos\phi)
                       (m_+ \cos\phi - q\, m_- \sin\phi)}
                      {q + \delta\,(m_+^2 + q\, m_-^2)} .

Every term is bounded for all ``t >= 0`` and no step divides by ``lam``,
``s`` or ``a0``, so ``lam = 0``, tiny ``|lam|``, ``s = 0`` and ``a0 = 0``
are ordinary values rather than limits. The overlap that is a difference
of two products is computed from an identity instead, so that it is exact
where it should vanish: at ``lam = 0`` an initial ``a0 <= 0`` sits on the
saddle and ``a(t)`` decays to 0 without ever changing sign.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_finite_scalar, as_positive, as_times
from .balancing import mode_weights
from .exact import mode_rotation

__all__ = ["scalar_mode"]


def scalar_mode(t, s, a0, lam, *, tau=1.0):
    """Return the product ``a(t) = w1(t) w2(t)`` of the single-mode network.

    Parameters
    ----------
    t : array_like, shape (n_times,)
        Non-negative times, in the units of ``tau``.
    s : float
        Target (the task's singular value), ``s >= 0``.
    a0 : float
        Initial product ``w1(0) w2(0)``, of either sign.
    lam : float
        Balance ``w2**2 - w1**2``, any real value.
    tau : float, optional
        Time constant (inverse learning rate), ``tau > 0``.

    Returns
    -------
    ndarray, shape (n_times,)
        ``a(t)``; it tends to ``s`` unless ``lam == 0`` and ``a0 <= 0``,
        where it stays at or decays to the saddle ``a = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> np.round(scalar_mode([0.0, 1.0, 50.0], s=2.0, a0=0.01, lam=0.0), 4)
    array([0.01  , 0.4306, 2.    ])
    """
    times = as_times(t)
    s = as_finite_scalar("s", s)
    if s < 0:
        raise ValueError(
            f"s must be non-negative (it is a singular value), got {s:.6g}; "
            "flip the sign of a0 instead"
        )
    a0 = as_finite_scalar("a0", a0)
    lam = as_finite_scalar("lam", lam)
    tau = as_positive("tau", tau)
    x = times / tau

    # Weight sizes with product |a0| and balance lam (w2 >= 0, and the
    # sign of a0 goes to w1).
    w1_abs, w2 = (v[0] for v in mode_weights(np.array([abs(a0)]), lam))

    # Eigen-pair of [[-lam/2, s], [s, lam/2]] and the initial overlaps
    # m_grow = w1 sin + w2 cos, m_decay = w1 cos - w2 sin. The one that is
    # a difference is formed from the identities below, with no
    # cancellation: it is exactly 0 at the saddle (lam = 0, a0 <= 0).
    k, sin, cos = (v[0] for v in mode_rotation(np.array([s]), lam))
    rho = np.hypot(lam, 2 * a0)
    w1 = np.copysign(w1_abs, a0)
    if k == 0:
        # Zero block (lam = s = 0): phi = 0 and nothing mixes.
        m_grow, m_decay = w2, w1
    elif a0 >= 0:
        m_grow = w1_abs * sin + w2 * cos
        # (w1 cos)^2 - (w2 sin)^2 = lam (a0^2 - s^2) / (k (rho + 2k)).
        numerator = 0.0 if lam == 0 else lam * (a0 - s) * (a0 + s) / (k * (rho + 2 * k))
        m_decay = _ratio(numerator, w1_abs * cos + w2 * sin)
    else:
        # (w2 cos)^2 - (w1 sin)^2 = lam (2k + rho) / (4k).
        numerator = 0.0 if lam == 0 else lam * (2 * k + rho) / (4 * k)
        m_grow = _ratio(numerator, w2 * cos + w1_abs * sin)
        m_decay = -(w1_abs * cos + w2 * sin)

    # Bounded evaluation: q = exp(-2kt) and δ = (1 - q) / (2k).
    q = np.exp(-2 * k * x)
    delta = x if k == 0 else -np.expm1(-2 * k * x) / (2 * k)
    if m_grow == 0:
        # On the saddle the common factor q cancels analytically.
        return -q * m_decay**2 * sin * cos / (1 + delta * m_decay**2)
    first = m_grow * sin + q * m_decay * cos
    second = m_grow * cos - q * m_decay * sin
    return first * second / (q + delta * (m_grow**2 + q * m_decay**2))


def _ratio(numerator, denominator):
    """``numerator / denominator``, taken as 0 when both vanish."""
    return 0.0 if denominator == 0 else numerator / denominator

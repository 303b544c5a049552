"""The exact solution against independent references.

* Accuracy: ``ExactDynamics.qqt`` against the closed form evaluated with
  mpmath in its own eigenbasis (``reference.mp_qqt``) and against a tight
  numerical integration of the gradient flow, for every kind of
  configuration: each sign and size of λ (0, ±1e-12 ... ±1e3), equal and
  unequal widths, bottlenecks, hidden layers wider than the task allows at
  λ ≠ 0, rank-deficient and zero tasks, tiny and large initial scales,
  random and aligned starts, ``tau != 1``.
* Stability: no overflow, invalid operation or warning up to ``t = 1e6 tau``
  (and ``1e14 tau`` where the approach is algebraic), and convergence to the
  fixed point derived in ``reference.fixed_point``.
* Degenerate overlaps: the reversal saddle at λ = 0, the escape from it, the
  reversal at λ ≠ 0, and the ``overlap_rtol`` contract.
* Health: symmetry, positive semi-definiteness, the factor, the blocks, the
  loss and its monotonicity, the NTK.
* Bad input: every rejection names what is wrong.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from reference import (
    balanced_init,
    fixed_point,
    make_task,
    max_growth_rate,
    mp_qqt,
    mp_scalar_zero_balanced,
    rel_err,
    stack_qqt,
)

from lazyrich import ExactDynamics, gradient_flow, lambda_balanced

TOL = 1e-10

LAMS = (0.0, 1e-12, -1e-12, 0.5, -0.5, 5.0, -5.0, 50.0, -50.0, 1e3, -1e3)

# Fractions of the fastest time scale 1 / Λ_max at which to compare; the
# largest gives Λ_max t = 100 (about 120 digits for the reference).
UNITS = (0.0, 0.02, 0.3, 1.5, 6.0, 25.0, 100.0)


def shape(kind, lam):
    """``(n_in, n_hidden, n_out)`` of each kind, feasible for the sign of λ."""
    if kind == "square":
        return 3, 3, 3
    if kind == "in<out":
        # λ >= 0 allows a hidden unit beyond the task's rank.
        return (2, 3, 4) if lam >= 0 else (2, 2, 4)
    if kind == "in>out":
        return (4, 3, 2) if lam <= 0 else (4, 2, 2)
    if kind == "bottleneck":
        return 4, 2, 3
    if kind == "hidden>max":
        return 2, 4, 3
    if kind == "hidden>in+out":
        return 2, 6, 3
    raise KeyError(kind)


@dataclass(frozen=True)
class Case:
    """One configuration of widths, balance, initialisation and task."""

    shape: str
    lam: float
    scale: float = 0.1
    init: str = "random"  # random (lambda_balanced), generic or aligned
    task: str = "full"  # full, deficient (one zero singular value) or zero
    tau: float = 1.0
    seed: int = 0

    @property
    def id(self):
        parts = [self.shape, f"lam={self.lam:g}"]
        if self.scale != 0.1:
            parts.append(f"scale={self.scale:g}")
        if self.init != "random":
            parts.append(self.init)
        if self.task != "full":
            parts.append(f"task={self.task}")
        if self.tau != 1.0:
            parts.append(f"tau={self.tau:g}")
        return "-".join(parts)

    @property
    def widths(self):
        return shape(self.shape, self.lam)


@functools.cache
def _build(case):
    n_in, n_hidden, n_out = case.widths
    m = min(n_in, n_out)
    values = np.linspace(2.0, 0.6, m)
    if case.task == "deficient":
        values[-1] = 0.0
    elif case.task == "zero":
        values[:] = 0.0
    S = make_task(n_out, n_in, values, seed=100 + case.seed)
    if case.init == "aligned":
        W1, W2 = lambda_balanced(
            n_in,
            n_hidden,
            n_out,
            case.lam,
            scale=case.scale,
            rng=case.seed,
            sigma_yx=S,
        )
    elif case.init == "generic":
        r = min(n_in, n_hidden, n_out)
        products = case.scale * np.geomspace(1.0, 0.3, r)
        W1, W2 = balanced_init(n_in, n_hidden, n_out, case.lam, products, case.seed)
    else:
        W1, W2 = lambda_balanced(
            n_in, n_hidden, n_out, case.lam, scale=case.scale, rng=case.seed
        )
    if case.init != "aligned" and n_in == n_out == n_hidden and case.task == "full":
        # A random square start whose product has the opposite determinant
        # sign to the task lies exactly on a saddle at λ = 0 (and within
        # rounding of one for tiny λ): see the saddle tests below. Keep the
        # generic starts of the battery away from it; W2 -> -W2 keeps the
        # balance and flips the sign in odd dimensions.
        if np.linalg.det(S) * np.linalg.det(W2 @ W1) < 0:
            W2 = -W2
    return W1, W2, S


def build(case):
    W1, W2, S = _build(case)
    return W1.copy(), W2.copy(), S.copy()


def dynamics(case, **kwargs):
    W1, W2, S = build(case)
    return ExactDynamics(W1, W2, S, tau=case.tau, **kwargs)


def times_for(case):
    _, _, S = build(case)
    rate = max(max_growth_rate(S, case.lam), 0.05)
    return np.array(UNITS) * case.tau / rate


def params(cases):
    return [pytest.param(case, id=case.id) for case in cases]


def _accuracy_cases():
    cases = []
    for lam in LAMS:
        for kind in ("square", "in<out", "in>out", "bottleneck"):
            cases.append(Case(kind, lam))
    for kind in ("hidden>max", "hidden>in+out"):
        for init in ("random", "generic", "aligned"):
            cases.append(Case(kind, 0.0, init=init))
            cases.append(Case(kind, 0.0, init=init, scale=1e-12))
            cases.append(Case(kind, 0.0, init=init, task="deficient"))
    for lam in LAMS:
        for scale in (1e-12, 1e-6, 10.0):
            for init in ("generic", "aligned"):
                for kind in ("square", "in>out"):
                    cases.append(Case(kind, lam, scale=scale, init=init))
        for task in ("deficient", "zero"):
            for init in ("generic", "aligned"):
                for kind in ("square", "in<out"):
                    cases.append(Case(kind, lam, init=init, task=task))
        for tau in (0.25, 4.0):
            cases.append(Case("square", lam, tau=tau, init="generic"))
    return cases


ACCURACY_CASES = _accuracy_cases()

# The integrator reaches about 1e-11 (relative to max-abs) for moderate λ
# and time and for scales it resolves with atol = 1e-14; beyond that its
# own error, not the exact solution's, dominates.
FLOW_CASES = [
    case
    for case in ACCURACY_CASES
    if abs(case.lam) <= 5 and case.scale >= 0.1 and case.shape != "hidden>in+out"
]


def _relative_errors(got, ref):
    return np.array([rel_err(g, r) for g, r in zip(got, ref, strict=True)])


# ----------------------------------------------------------------------
# Accuracy
# ----------------------------------------------------------------------


@pytest.mark.parametrize("case", params(ACCURACY_CASES))
def test_matches_high_precision_reference(case):
    W1, W2, S = build(case)
    times = times_for(case)
    got = dynamics(case).qqt(times)
    ref = mp_qqt(W1, W2, S, times, tau=case.tau)
    errors = _relative_errors(got, ref)
    assert errors.max() <= TOL, f"relative errors per time: {errors}"


@pytest.mark.parametrize("case", params(FLOW_CASES))
def test_matches_numerical_gradient_flow(case):
    W1, W2, S = build(case)
    times = times_for(case)[1:-1]
    got = dynamics(case).qqt(times)
    W1_t, W2_t = gradient_flow(W1, W2, S, times, tau=case.tau, rtol=1e-12, atol=1e-14)
    errors = _relative_errors(got, stack_qqt(W1_t, W2_t))
    assert errors.max() <= TOL, f"relative errors per time: {errors}"


@pytest.mark.parametrize("case", params(ACCURACY_CASES[::3]))
def test_time_zero_is_the_initial_gram_matrix(case):
    W1, W2, _ = build(case)
    Q0 = np.vstack([W1.T, W2])
    got = dynamics(case).qqt([0.0])[0]
    assert rel_err(got, Q0 @ Q0.T) <= 1e-14


def test_network_function_block_is_accurate_when_lambda_dominates():
    # Relative to max-abs of QQ^T the lazy regime is dominated by the
    # lam * I part of W2 W2^T; check the function block on its own too.
    case = Case("square", 1e3, init="generic")
    W1, W2, S = build(case)
    times = times_for(case)
    got = dynamics(case).network_function(times)
    ref = mp_qqt(W1, W2, S, times)[:, 3:, :3]
    assert rel_err(got, ref) <= TOL


# ----------------------------------------------------------------------
# Stability and the fixed point
# ----------------------------------------------------------------------


def _fixed_point_cases():
    cases = []
    for lam in LAMS:
        for kind in ("square", "in<out", "in>out", "bottleneck"):
            for init in ("random", "aligned"):
                cases.append(Case(kind, lam, init=init))
        for task in ("deficient", "zero"):
            cases.append(Case("square", lam, task=task, init="generic"))
            cases.append(Case("in<out", lam, task=task))
        cases.append(Case("square", lam, scale=1e-12, init="generic"))
        cases.append(Case("in>out", lam, scale=10.0, init="generic"))
    for kind in ("hidden>max", "hidden>in+out"):
        cases.append(Case(kind, 0.0))
        cases.append(Case(kind, 0.0, init="aligned", scale=1e-6))
    return cases


FIXED_POINT_CASES = _fixed_point_cases()


def _slowest_rate(case):
    """Smallest |Λ| of F: an algebraic tail when it vanishes."""
    _, _, S = build(case)
    n_in, _, n_out = case.widths
    s = np.linalg.svd(S, compute_uv=False)
    rates = [np.hypot(x, case.lam / 2) for x in s]
    if n_in != n_out:
        rates.append(abs(case.lam) / 2)
    return min(rates)


def _raising_errstate():
    # Underflow of a decaying exponential to zero is intended (it is below
    # rounding relative to what is kept), so only the others raise.
    return np.errstate(over="raise", divide="raise", invalid="raise", under="ignore")


@pytest.mark.parametrize("case", params(FIXED_POINT_CASES))
def test_stable_for_all_times(case):
    times = np.concatenate([[0.0], np.logspace(-3, 6, 46)]) * case.tau
    dyn = dynamics(case)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with _raising_errstate():
            P = dyn.qqt(times)
            loss = dyn.loss(times)
    assert np.all(np.isfinite(P)) and np.all(np.isfinite(loss))
    assert np.array_equal(P, np.swapaxes(P, 1, 2))
    eig = np.linalg.eigvalsh(P)
    assert eig.min() >= -1e-12 * np.abs(eig).max()


@pytest.mark.parametrize("case", params(FIXED_POINT_CASES))
def test_converges_to_the_fixed_point(case):
    W1, W2, S = build(case)
    n_in, n_hidden, n_out = case.widths
    product, eig_in, eig_out = fixed_point(S, case.lam, n_hidden)
    # Where F has a (near-)zero eigenvalue the last part of the approach
    # is algebraic, ~1/t, so it needs a much larger time.
    t_large = 1e6 if _slowest_rate(case) >= 1e-3 else 1e14
    dyn = dynamics(case)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with _raising_errstate():
            P = dyn.qqt([t_large * case.tau])[0]
    Q0 = np.vstack([W1.T, W2])
    scale = max(np.abs(S).max(), eig_in.max(), eig_out.max(), np.abs(Q0 @ Q0.T).max())
    got_in = np.sort(np.linalg.eigvalsh(P[:n_in, :n_in]))[::-1]
    got_out = np.sort(np.linalg.eigvalsh(P[n_in:, n_in:]))[::-1]
    assert np.abs(P[n_in:, :n_in] - product).max() <= TOL * scale
    assert np.abs(got_in - eig_in).max() <= TOL * scale
    assert np.abs(got_out - eig_out).max() <= TOL * scale


def test_zero_eigenvalue_gives_an_algebraic_tail():
    # λ = 0 with a rank-deficient task: the zero singular value gives F a
    # zero eigenvalue, and the weight a full-rank start leaves in that mode
    # follows a' = -2 a^2, so a = a0 / (1 + 2 a0 t) -> 1 / (2t).
    case = Case("square", 0.0, init="generic", task="deficient")
    times = np.array([1e5, 1e6, 1e7, 1e10])
    P = dynamics(case).qqt(times)
    left = np.array([np.linalg.eigvalsh(p[:3, :3])[0] for p in P])
    ratios = left[:2] / left[1:3]
    assert np.all((ratios > 9.5) & (ratios < 10.5)), ratios
    assert abs(2 * times[-1] * left[-1] - 1) <= 1e-4


# ----------------------------------------------------------------------
# Degenerate overlaps
# ----------------------------------------------------------------------

SADDLE_S = make_task(3, 3, [2.0, 1.2, 0.7], seed=7)
U_S, S_VALUES, VT_S = np.linalg.svd(SADDLE_S)
PAIR_S = make_task(2, 2, [2.0, 0.7], seed=8)


def _anti_aligned(lam, scale, how):
    """Weights whose product is ``-scale`` times the task's own modes."""
    if how == "negated-task":
        return lambda_balanced(3, 3, 3, lam, scale=scale, rng=1, sigma_yx=-SADDLE_S)
    W1, W2 = lambda_balanced(3, 3, 3, lam, scale=scale, rng=1, sigma_yx=SADDLE_S)
    return W1, -W2


def _rotated_anti_aligned(task, theta, plane=(0, 1), scale=0.01):
    """Zero-balanced weights with product ``-c U R(θ) V^T``.

    ``R(θ)`` rotates the task modes of ``plane``. The overlap of mode ``α``
    with its growing eigendirection is ``sum_β (δ_αβ - R_αβ)^2`` times
    ``c / 2``, so it is of order ``θ`` for the two modes in the plane and
    exactly zero for any mode outside it.
    """
    U, _, Vt = np.linalg.svd(task)
    R = np.eye(len(task))
    i, j = plane
    R[[i, i, j, j], [i, j, i, j]] = [
        np.cos(theta),
        -np.sin(theta),
        np.sin(theta),
        np.cos(theta),
    ]
    return np.sqrt(scale) * Vt, -np.sqrt(scale) * U @ R


def _mode_sum(task, modes):
    U, s, Vt = np.linalg.svd(task)
    return sum(s[a] * np.outer(U[:, a], Vt[a]) for a in modes)


@pytest.mark.parametrize("how", ["negated-task", "negated-W2"])
def test_anti_aligned_zero_balanced_init_stays_on_the_saddle(how):
    W1, W2 = _anti_aligned(0.0, 0.01, how)
    np.testing.assert_allclose(U_S.T @ W2 @ W1 @ VT_S.T, -0.01 * np.eye(3), atol=1e-15)
    dyn = ExactDynamics(W1, W2, SADDLE_S)

    # Each mode follows the scalar λ = 0 flow from a0 = -c < 0 (closed form)
    # and decays to 0.
    times = np.array([0.5, 3.0, 10.0])
    modes = np.array([mp_scalar_zero_balanced(times, s, -0.01) for s in S_VALUES])
    expected = np.einsum("ia,at,ja->tij", U_S, modes, VT_S.T)
    for got, exp in zip(dyn.network_function(times), expected, strict=True):
        assert rel_err(got, exp) <= TOL
    assert np.all(modes < 0)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P = dyn.qqt([1e3, 1e6])
    # Exactly, QQ^T(t) ~ c exp(-2 s_min t): zero in float64 at these times.
    assert np.abs(P).max() <= TOL * np.abs(SADDLE_S).max()


@pytest.mark.parametrize(
    "plane, learned",
    [
        pytest.param((0, 1), (0, 1), id="modes-1-2-rotated-mode-3-stuck"),
        pytest.param((1, 2), (1, 2), id="modes-2-3-rotated-mode-1-stuck"),
    ],
)
def test_odd_dimension_keeps_one_mode_on_the_saddle(plane, learned):
    # -R(θ) in three dimensions has the eigenvalue -1 (its axis): at λ = 0
    # that mode has no overlap with its growing direction, whatever θ.
    W1, W2 = _rotated_anti_aligned(SADDLE_S, 0.3, plane)
    dyn = ExactDynamics(W1, W2, SADDLE_S)
    times = np.array([1.0, 4.0, 10.0])
    ref = mp_qqt(W1, W2, SADDLE_S, times)
    assert _relative_errors(dyn.qqt(times), ref).max() <= TOL
    for W in dyn.network_function([1e3, 1e6]):
        assert rel_err(W, _mode_sum(SADDLE_S, learned)) <= TOL


def test_random_square_start_of_opposite_determinant_misses_a_mode():
    # At λ = 0 a square product cannot change the sign of its determinant
    # (no singular value can pass through zero). A random start with
    # det(W2 W1) det(Σyx) < 0 learns every mode but the weakest.
    W1, W2 = lambda_balanced(3, 3, 3, 0.0, scale=0.1, rng=0)
    if np.linalg.det(W2 @ W1) * np.linalg.det(SADDLE_S) > 0:
        W2 = -W2
    dyn = ExactDynamics(W1, W2, SADDLE_S)
    times = np.array([2.0, 8.0, 20.0])
    ref = mp_qqt(W1, W2, SADDLE_S, times)
    assert _relative_errors(dyn.qqt(times), ref).max() <= TOL
    for W in dyn.network_function([1e3, 1e6]):
        assert rel_err(W, _mode_sum(SADDLE_S, (0, 1))) <= TOL


# Near a saddle the solution is ill-conditioned: a growing overlap of
# relative size ε is formed from O(1) terms that cancel, so the float64
# backward error u ~ 1.1e-16 becomes a relative error ~ u / ε in the
# overlap, and in QQ^T while the mode escapes. The tolerance says so.
EPS = np.finfo(float).eps


@pytest.mark.parametrize(
    "W1, W2, task, tol",
    [
        pytest.param(
            *_rotated_anti_aligned(PAIR_S, 1e-3),
            PAIR_S,
            TOL,
            id="lam=0-rotated-by-1e-3",
        ),
        pytest.param(
            *_rotated_anti_aligned(PAIR_S, 1e-6),
            PAIR_S,
            max(TOL, 10 * EPS / 1e-6),
            id="lam=0-rotated-by-1e-6",
        ),
        pytest.param(
            *_anti_aligned(1e-6, 0.01, "negated-task"), SADDLE_S, TOL, id="lam=1e-6"
        ),
    ],
)
def test_perturbed_saddle_escapes_and_learns_the_task(W1, W2, task, tol):
    dyn = ExactDynamics(W1, W2, task)
    times = np.array([1.0, 8.0, 16.0, 24.0, 32.0, 48.0])
    ref = mp_qqt(W1, W2, task, times)
    assert _relative_errors(dyn.qqt(times), ref).max() <= tol
    # Still near the saddle early on, then the task is learned.
    assert np.abs(ref[0]).max() < 0.1
    for W in dyn.network_function([1e3, 1e6]):
        assert rel_err(W, task) <= TOL


@pytest.mark.parametrize("how", ["negated-task", "negated-W2"])
def test_nonzero_lambda_reverses_an_anti_aligned_init(how):
    W1, W2 = _anti_aligned(0.1, 0.5, how)
    dyn = ExactDynamics(W1, W2, SADDLE_S)
    times = np.linspace(0.0, 12.0, 25)
    ref = mp_qqt(W1, W2, SADDLE_S, times)
    P = dyn.qqt(times)
    assert _relative_errors(P, ref).max() <= TOL
    # Every mode's strength passes through zero, from -c to +s.
    strengths = np.einsum("ia,tij,ja->ta", U_S, P[:, 3:, :3], VT_S.T)
    assert np.all(strengths[0] < 0) and np.all(strengths[-1] > 0)
    for W in dyn.network_function([1e3, 1e6]):
        assert rel_err(W, SADDLE_S) <= TOL


@pytest.mark.parametrize("scale", [0.01, 1.0])
@pytest.mark.parametrize("lam", [1e-12, -1e-12])
def test_tiny_nonzero_lambda_still_reverses(lam, scale):
    # Any λ != 0 removes the saddle: the growing overlap of an anti-aligned
    # mode is of order λ / scale, tiny but not rounding (the float64
    # weights fix λ to ~1e-16 of their size). The exact flow reverses at
    # t ~ ln(scale / |λ|) / s and learns the task, keeping the balance.
    W1, W2 = _anti_aligned(lam, scale, "negated-task")
    conserved = np.trace(W2.T @ W2) - np.trace(W1 @ W1.T)
    assert conserved == pytest.approx(3 * lam, rel=1e-3)
    dyn = ExactDynamics(W1, W2, SADDLE_S)
    P = dyn.qqt([1e3, 1e6])
    for p in P:
        assert rel_err(p[3:, :3], SADDLE_S) <= TOL
        out_trace, in_trace = np.trace(p[3:, 3:]), np.trace(p[:3, :3])
        gap = out_trace - in_trace - conserved
        # Both traces are O(1): their difference carries rounding error of
        # a few eps times their size on top of the 1e-3 relative budget.
        rounding = 8 * np.finfo(float).eps * (out_trace + in_trace)
        assert abs(gap) <= 1e-3 * abs(conserved) + rounding


def test_rounding_level_overlap_is_treated_as_zero():
    # θ = 1e-15 gives growing overlaps below the default overlap_rtol =
    # 16 (n_in + n_out) eps ≈ 1.4e-14 (relative to the largest): the network
    # is taken to sit on the saddle. overlap_rtol = 0 keeps them, and the
    # network escapes.
    W1, W2 = _rotated_anti_aligned(PAIR_S, 1e-15)
    stuck = ExactDynamics(W1, W2, PAIR_S).network_function([1e3, 1e6])
    assert np.abs(stuck).max() <= TOL * np.abs(PAIR_S).max()
    kept = ExactDynamics(W1, W2, PAIR_S, overlap_rtol=0.0)
    for W in kept.network_function([1e3, 1e6]):
        assert rel_err(W, PAIR_S) <= TOL


def test_overlap_above_the_threshold_is_kept_by_default():
    W1, W2 = _rotated_anti_aligned(PAIR_S, 1e-9)
    for W in ExactDynamics(W1, W2, PAIR_S).network_function([1e3, 1e6]):
        assert rel_err(W, PAIR_S) <= TOL


@pytest.mark.parametrize(
    "value, match",
    [
        (-1e-3, r"overlap_rtol must be in \[0, 1\)"),
        (1.0, r"overlap_rtol must be in \[0, 1\)"),
        (2.0, r"overlap_rtol must be in \[0, 1\)"),
        (np.nan, "overlap_rtol must be finite"),
        (np.inf, "overlap_rtol must be finite"),
    ],
)
def test_overlap_rtol_must_be_in_unit_interval(value, match):
    W1, W2 = _anti_aligned(0.0, 0.01, "negated-W2")
    with pytest.raises(ValueError, match=match):
        ExactDynamics(W1, W2, SADDLE_S, overlap_rtol=value)


# ----------------------------------------------------------------------
# Health of the returned quantities
# ----------------------------------------------------------------------

HEALTH_CASES = [
    case
    for case in ACCURACY_CASES
    if case.scale == 0.1 and case.tau == 1.0 and case.task != "zero"
] + [Case("square", lam, scale=1e-12, init="generic") for lam in LAMS[:5]]


@pytest.mark.parametrize("case", params(HEALTH_CASES))
def test_observables_are_consistent(case):
    n_in, _, _ = case.widths
    _, _, S = build(case)
    dyn = dynamics(case)
    times = np.concatenate([[0.0], np.logspace(-2, 3, 12)]) * case.tau
    P = dyn.qqt(times)

    assert np.array_equal(P, np.swapaxes(P, 1, 2))
    eig = np.linalg.eigvalsh(P)
    assert np.all(eig.min(axis=1) >= -1e-12 * np.abs(eig).max(axis=1))

    Y = dyn.factor(times)
    assert Y.shape == (len(times), P.shape[1], dyn.rank)
    for y, p in zip(Y, P, strict=True):
        assert rel_err(y @ y.T, p) <= 1e-14

    W = dyn.network_function(times)
    np.testing.assert_array_equal(W.shape, (len(times), S.shape[0], n_in))
    for got, block in (
        (W, P[:, n_in:, :n_in]),
        (dyn.input_representation(times), P[:, :n_in, :n_in]),
        (dyn.output_representation(times), P[:, n_in:, n_in:]),
    ):
        assert rel_err(got, block) <= 1e-14

    loss = dyn.loss(times)
    expected = 0.5 * np.sum((P[:, n_in:, :n_in] - S) ** 2, axis=(1, 2))
    np.testing.assert_allclose(loss, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", params(HEALTH_CASES[::2]))
def test_loss_is_non_increasing(case):
    dyn = dynamics(case)
    times = np.concatenate([[0.0], np.logspace(-3, 4, 400)]) * case.tau
    loss = dyn.loss(times)
    steps = np.diff(loss)
    assert np.all(steps <= 1e-13 * loss[0] + 1e-300), steps.max()


def test_loss_with_output_covariance_matches_the_data():
    rng = np.random.default_rng(3)
    n_in, n_out, n_samples = 3, 2, 7
    # Whitened inputs: X X^T / P = I.
    X = np.sqrt(n_samples) * np.linalg.qr(rng.standard_normal((n_samples, n_in)))[0].T
    Y = rng.standard_normal((n_out, n_samples))
    sigma_yx = Y @ X.T / n_samples
    sigma_yy = Y @ Y.T / n_samples
    W1, W2 = lambda_balanced(n_in, 2, n_out, -0.3, scale=0.2, rng=4)
    dyn = ExactDynamics(W1, W2, sigma_yx)
    times = np.array([0.0, 0.5, 3.0, 40.0])
    W = dyn.network_function(times)
    direct = np.array([np.sum((Y - w @ X) ** 2) / (2 * n_samples) for w in W])
    np.testing.assert_allclose(dyn.loss(times, sigma_yy), direct, rtol=1e-12)
    constant = (np.trace(sigma_yy) - np.sum(sigma_yx**2)) / 2
    np.testing.assert_allclose(
        dyn.loss(times, sigma_yy) - dyn.loss(times), constant, rtol=1e-12
    )


def test_ntk_matches_its_definition():
    case = Case("in<out", 0.5, init="generic")
    W1, W2, S = build(case)
    X = np.random.default_rng(5).standard_normal((2, 3))
    dyn = dynamics(case)
    times = np.array([0.0, 1.0, 10.0])
    K = dyn.ntk(times, X)
    W1_t, W2_t = gradient_flow(W1, W2, S, times, rtol=1e-12, atol=1e-14)
    for k, w1, w2 in zip(K, W1_t, W2_t, strict=True):
        # df_(i,p)/dW1 and df_(i,p)/dW2 for f = W2 W1 x_p, stacked.
        jac = []
        for i in range(4):
            for p in range(3):
                d_w1 = np.outer(w2[i], X[:, p])
                d_w2 = np.zeros_like(w2)
                d_w2[i] = w1 @ X[:, p]
                jac.append(np.concatenate([d_w1.ravel(), d_w2.ravel()]))
        jac = np.array(jac)
        assert rel_err(k, jac @ jac.T) <= 1e-9


# ----------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------

_W1, _W2 = lambda_balanced(3, 2, 2, 0.4, scale=0.3, rng=0)
_S = make_task(2, 3, [1.0, 0.5], seed=1)


def _with(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        pytest.param(
            (_with(_W1, (0, 0), np.nan), _W2, _S),
            {},
            "W1 must contain only finite",
            id="nan-W1",
        ),
        pytest.param(
            (_W1, _with(_W2, (1, 1), np.inf), _S),
            {},
            "W2 must contain only finite",
            id="inf-W2",
        ),
        pytest.param(
            (_W1, _W2, _with(_S, (0, 2), -np.inf)),
            {},
            "sigma_yx must contain only finite",
            id="inf-sigma_yx",
        ),
        pytest.param((_W1[0], _W2, _S), {}, "W1 must be a 2-D array", id="1d-W1"),
        pytest.param((_W1, _W2[None], _S), {}, "W2 must be a 2-D array", id="3d-W2"),
        pytest.param(
            (_W1, _W2, _S.ravel()),
            {},
            "sigma_yx must be a 2-D array",
            id="1d-sigma_yx",
        ),
        pytest.param(
            (_W1, np.ones((2, 3)), _S),
            {},
            r"W2 must have shape \(n_out, n_hidden\)",
            id="W1-W2-chain",
        ),
        pytest.param(
            (_W1, _W2, _S.T),
            {},
            r"sigma_yx must have shape \(n_out, n_in\)",
            id="sigma_yx-chain",
        ),
        pytest.param(
            (_W1, _W2 + [[0.1, 0.0], [0.0, 0.0]], _S),
            {},
            "not λ-balanced",
            id="unbalanced",
        ),
        pytest.param((_W1, _W2, _S), {"tau": 0.0}, "tau must be positive", id="tau=0"),
        pytest.param((_W1, _W2, _S), {"tau": -2.0}, "tau must be positive", id="tau<0"),
        pytest.param(
            (_W1, _W2, _S), {"tau": np.nan}, "tau must be finite", id="tau-nan"
        ),
    ],
)
def test_constructor_rejects_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ExactDynamics(*args, **kwargs)


def test_unbalanced_weights_report_the_deviation():
    W2 = _W2.copy()
    W2[0, 0] += 1e-3
    B = W2.T @ W2 - _W1 @ _W1.T
    deviation = np.abs(B - np.trace(B) / 2 * np.eye(2)).max()
    with pytest.raises(ValueError, match=f"by {deviation:.3g} in max-abs"):
        ExactDynamics(_W1, W2, _S)


def test_weights_of_infeasible_lambda_are_not_balanced():
    # Widths 3 -> 3 -> 2 cannot carry λ > 0: W2^T W2 has rank 2, so the
    # best attempt, diag(λ, λ, 0), is rejected as unbalanced.
    W1 = np.zeros((3, 3))
    W2 = np.sqrt(0.5) * np.eye(2, 3)
    with pytest.raises(ValueError, match="not λ-balanced.*by 0.333 in max-abs"):
        ExactDynamics(W1, W2, np.ones((2, 3)))


@pytest.mark.parametrize(
    "t, match",
    [
        pytest.param([0.0, -1.0], "t must be non-negative", id="negative"),
        pytest.param([0.0, np.nan], "only finite times", id="nan"),
        pytest.param([np.inf], "only finite times", id="inf"),
        pytest.param(1.0, "t must be a 1-D array", id="scalar"),
        pytest.param([[1.0, 2.0]], "t must be a 1-D array", id="2d"),
        pytest.param([], "at least one time", id="empty"),
        pytest.param(["a"], "t must be a 1-D array of times", id="text"),
    ],
)
@pytest.mark.parametrize(
    "method", ["qqt", "factor", "network_function", "loss", "input_representation"]
)
def test_methods_reject_bad_times(t, match, method):
    dyn = ExactDynamics(_W1, _W2, _S)
    with pytest.raises(ValueError, match=match):
        getattr(dyn, method)(t)


def test_ntk_rejects_mismatched_inputs():
    dyn = ExactDynamics(_W1, _W2, _S)
    with pytest.raises(ValueError, match=r"X must have shape \(n_in, n_samples\)"):
        dyn.ntk([1.0], np.ones((2, 4)))
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        dyn.ntk([1.0], np.ones(3))
    with pytest.raises(ValueError, match="X must contain only finite"):
        dyn.ntk([1.0], np.full((3, 2), np.nan))


def test_loss_rejects_mismatched_output_covariance():
    dyn = ExactDynamics(_W1, _W2, _S)
    with pytest.raises(ValueError, match=r"sigma_yy must have shape \(n_out, n_out\)"):
        dyn.loss([1.0], np.eye(3))


def test_loss_on_another_task_is_the_distance_to_it():
    task_a = np.diag([2.0, 1.0])
    task_b = np.array([[0.5, 1.0], [-1.0, 0.3]])
    W1, W2 = lambda_balanced(2, 2, 2, 0.5, scale=0.1, rng=4)
    dyn = ExactDynamics(W1, W2, task_a)
    times = np.array([0.0, 1.0, 5.0])
    W = dyn.network_function(times)
    expected = 0.5 * np.sum((W - task_b) ** 2, axis=(1, 2))
    assert np.allclose(dyn.loss(times, sigma_yx=task_b), expected, rtol=1e-13)
    sigma_yy = np.array([[3.0, 0.2], [0.2, 2.5]])
    constant = (np.trace(sigma_yy) - np.sum(task_b**2)) / 2
    with_constant = dyn.loss(times, sigma_yy, sigma_yx=task_b)
    assert np.allclose(with_constant, expected + constant, rtol=1e-13)
    with pytest.raises(ValueError, match="sigma_yx must have shape"):
        dyn.loss(times, sigma_yx=np.ones((3, 2)))

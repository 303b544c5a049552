"""Properties of the exact solution over random configurations (Hypothesis).

Each example draws feasible widths (n_in, n_out in 1..4, n_hidden in 1..6,
subject to the sign of λ), λ over fifteen decades and exactly 0, an initial
scale, a task (possibly rank-deficient), an aligned or random start, seeds
and times, and checks what must hold for every one of them: finiteness,
symmetry and positive semi-definiteness, the initial condition, the
conserved trace identity, the monotone loss, the decoupling of aligned
starts into scalar modes, the time scaling by tau, and agreement with a
numerical integration of the flow.
"""

from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import make_task, max_growth_rate, rel_err, stack_qqt

from lazyrich import ExactDynamics, gradient_flow, lambda_balanced, scalar_mode

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


@dataclass(frozen=True)
class Config:
    n_in: int
    n_hidden: int
    n_out: int
    lam: float
    scale: float
    aligned: bool
    singular_values: tuple
    seed: int
    t: float

    def build(self):
        S = make_task(self.n_out, self.n_in, self.singular_values, seed=self.seed)
        kwargs = {"scale": self.scale, "rng": self.seed + 1}
        if self.aligned:
            kwargs["sigma_yx"] = S
        W1, W2 = lambda_balanced(
            self.n_in, self.n_hidden, self.n_out, self.lam, **kwargs
        )
        return W1, W2, S

    @property
    def rate(self):
        """A time scale of the flow: its fastest rate, at least 0.1."""
        S = make_task(self.n_out, self.n_in, self.singular_values, seed=self.seed)
        return max(max_growth_rate(S, self.lam), 0.1)


@st.composite
def configs(draw):
    lam = draw(
        st.one_of(
            st.just(0.0),
            st.builds(
                lambda sign, exponent: sign * 10.0**exponent,
                st.sampled_from([1.0, -1.0]),
                st.floats(-14.0, 3.0),
            ),
        )
    )
    n_in = draw(st.integers(1, 4))
    n_out = draw(st.integers(1, 4))
    widest = 6 if lam == 0 else (n_out if lam > 0 else n_in)
    n_hidden = draw(st.integers(1, widest))
    m = min(n_in, n_out)
    values = draw(
        st.lists(st.one_of(st.just(0.0), st.floats(0.05, 3.0)), min_size=m, max_size=m)
    )
    return Config(
        n_in=n_in,
        n_hidden=n_hidden,
        n_out=n_out,
        lam=lam,
        scale=10.0 ** draw(st.floats(-8.0, 1.0)),
        aligned=draw(st.booleans()),
        singular_values=tuple(sorted(values, reverse=True)),
        seed=draw(st.integers(0, 2**31)),
        t=10.0 ** draw(st.floats(-3.0, 6.0)),
    )


def _size(P):
    return max(np.abs(P).max(), 1e-300)


@SETTINGS
@given(configs())
def test_finite_symmetric_positive_semidefinite(config):
    W1, W2, S = config.build()
    dyn = ExactDynamics(W1, W2, S)
    times = np.array([0.0, config.t / 10, config.t, 10 * config.t])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        P = dyn.qqt(times)
    assert np.all(np.isfinite(P))
    assert np.array_equal(P, np.swapaxes(P, 1, 2))
    for p in P:
        eig = np.linalg.eigvalsh(p)
        assert eig.min() >= -1e-12 * max(np.abs(eig).max(), 1e-300)


@SETTINGS
@given(configs())
def test_time_zero_is_the_initial_condition(config):
    W1, W2, S = config.build()
    Q0 = np.vstack([W1.T, W2])
    P0 = ExactDynamics(W1, W2, S).qqt([0.0])[0]
    assert rel_err(P0, Q0 @ Q0.T) <= 1e-14


@SETTINGS
@given(configs())
def test_trace_identity_holds_at_all_times(config):
    # tr(W2 W2^T) - tr(W1^T W1) = tr(W2^T W2 - W1 W1^T) = lam n_hidden,
    # conserved by the flow. The float64 weights carry lam only to about
    # 1e-16 of their initial size, hence the second term of the tolerance.
    W1, W2, S = config.build()
    n_in = config.n_in
    conserved = np.trace(W2.T @ W2) - np.trace(W1 @ W1.T)
    initial = np.trace(W2.T @ W2) + np.trace(W1 @ W1.T)
    assert abs(conserved - config.lam * config.n_hidden) <= 1e-14 * initial
    times = np.array([0.0, config.t / 10, config.t, 10 * config.t])
    for p in ExactDynamics(W1, W2, S).qqt(times):
        trace_in, trace_out = np.trace(p[:n_in, :n_in]), np.trace(p[n_in:, n_in:])
        size = trace_in + trace_out + abs(conserved)
        gap = trace_out - trace_in - conserved
        assert abs(gap) <= 1e-10 * size + 1e-14 * initial


@SETTINGS
@given(configs())
def test_excess_loss_is_non_increasing(config):
    W1, W2, S = config.build()
    times = np.concatenate([[0.0], np.geomspace(1e-3, 10 * config.t, 60)])
    loss = ExactDynamics(W1, W2, S).loss(times)
    assert np.all(np.diff(loss) <= 1e-12 * max(loss[0], 1e-300))


@SETTINGS
@given(configs())
def test_agrees_with_numerical_gradient_flow(config):
    W1, W2, S = config.build()
    times = np.array([0.5, 2.0]) / config.rate
    P = ExactDynamics(W1, W2, S).qqt(times)
    W1_t, W2_t = gradient_flow(W1, W2, S, times, rtol=1e-12, atol=1e-14)
    for p, q in zip(P, stack_qqt(W1_t, W2_t), strict=True):
        assert rel_err(p, q) <= 1e-8


@SETTINGS
@given(configs())
def test_aligned_start_decouples_into_scalar_modes(config):
    W1, W2, S = config.build()
    if not config.aligned:
        W1, W2 = lambda_balanced(
            config.n_in,
            config.n_hidden,
            config.n_out,
            config.lam,
            scale=config.scale,
            rng=config.seed,
            sigma_yx=S,
        )
    U, s, Vt = np.linalg.svd(S)
    r = min(config.n_in, config.n_hidden, config.n_out)
    times = np.array([config.t / 100, config.t / 10, config.t]) / config.rate
    got = ExactDynamics(W1, W2, S).network_function(times)
    expected = np.zeros_like(got)
    for alpha in range(r):
        a = scalar_mode(times, s[alpha], config.scale, config.lam)
        expected += a[:, None, None] * np.outer(U[:, alpha], Vt[alpha])[None]
    size = max(np.abs(S).max(), config.scale)
    assert np.abs(got - expected).max() <= 1e-8 * size


@SETTINGS
@given(configs(), st.floats(0.01, 100.0))
def test_tau_only_rescales_time(config, tau):
    W1, W2, S = config.build()
    times = np.array([0.0, config.t / 10, config.t])
    slow = ExactDynamics(W1, W2, S, tau=tau).qqt(times * tau)
    fast = ExactDynamics(W1, W2, S).qqt(times)
    for a, b in zip(slow, fast, strict=True):
        assert rel_err(a, b) <= 1e-12

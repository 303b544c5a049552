"""Benchmark of the exact solver: speed, accuracy, flatness and memory.

Run ``python -m lazyrich.benchmark`` (add ``--quick`` for a smaller run).
It prints four tables:

1. the exact solution against :func:`lazyrich.gradient_flow` for
   ``n_in = n_hidden = n_out = 50``, ``lam = 100`` and 200 time points on
   ``[0, 1000 tau]``: both times, their ratio and the relative difference;
2. the cost per time point relative to one product ``Q @ Q.T`` of the same
   size;
3. the cost over horizons and balances, which should be flat;
4. the scaling with the width at 1000 time points, with peak memory.

Times are the best of a few repeats measured with ``time.perf_counter``;
peak memory is the largest extra allocation seen by ``tracemalloc``
(NumPy reports its buffers to it) beyond the returned array.

BLAS runs on one thread during the benchmark when ``threadpoolctl`` is
installed (``--threads N`` changes it): on a small shared machine a
multithreaded BLAS makes timings of small matrix products erratic, and one
thread keeps both sides of every comparison on the same footing.
"""

from __future__ import annotations

import argparse
import contextlib
import time
import tracemalloc

import numpy as np

from .balancing import lambda_balanced
from .exact import ExactDynamics
from .simulate import gradient_flow

__all__ = ["main"]


def _task(n_in, n_out, rng):
    """A random task with singular values spread over [0.5, 3]."""
    U, _ = np.linalg.qr(rng.standard_normal((n_out, n_out)))
    V, _ = np.linalg.qr(rng.standard_normal((n_in, n_in)))
    m = min(n_in, n_out)
    s = np.linspace(3.0, 0.5, m)
    return U[:, :m] @ np.diag(s) @ V[:, :m].T


def _best_time(function, repeats):
    """Best wall-clock time of ``repeats`` calls, and the last result."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def _relative(a, b):
    """Max-abs difference over max-abs value."""
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def _table(title, header, rows):
    """Format a table as text."""
    widths = [
        max(len(str(cell)) for cell in column)
        for column in zip(header, *rows, strict=True)
    ]
    line = "  ".join(f"{{:>{w}}}" for w in widths)
    out = [title, line.format(*header), line.format(*["-" * w for w in widths])]
    out += [line.format(*row) for row in rows]
    return "\n".join(out)


def against_gradient_flow(n=50, lam=100.0, n_times=200, horizon=1000.0):
    """Exact solution against numerical integration: times and accuracy."""
    rng = np.random.default_rng(0)
    sigma_yx = _task(n, n, rng)
    W1, W2 = lambda_balanced(n, n, n, lam, scale=0.1, rng=rng)
    t = np.linspace(0.0, horizon, n_times)

    def exact():
        return ExactDynamics(W1, W2, sigma_yx).qqt(t)

    def simulated():
        W1_t, W2_t = gradient_flow(W1, W2, sigma_yx, t, rtol=1e-12, atol=1e-12)
        Q = np.concatenate([np.swapaxes(W1_t, 1, 2), W2_t], axis=1)
        return Q @ np.swapaxes(Q, 1, 2)

    t_exact, qqt_exact = _best_time(exact, 3)
    t_flow, qqt_flow = _best_time(simulated, 1)
    row = (
        f"{n}",
        f"{lam:g}",
        f"{n_times}",
        f"{horizon:g}",
        f"{t_exact * 1e3:.1f}",
        f"{t_flow * 1e3:.0f}",
        f"{t_flow / t_exact:.0f}x",
        f"{_relative(qqt_exact, qqt_flow):.1e}",
    )
    header = (
        "n",
        "lam",
        "times",
        "horizon",
        "exact ms",
        "flow ms",
        "speed-up",
        "rel diff",
    )
    return _table("Exact solution against gradient_flow (rtol 1e-12)", header, [row])


def per_time_point(sizes=(10, 50, 100), n_times=200):
    """Cost per time point over the cost of one Q Q^T product."""
    rows = []
    for n in sizes:
        rng = np.random.default_rng(1)
        sigma_yx = _task(n, n, rng)
        W1, W2 = lambda_balanced(n, n, n, 1.0, scale=0.1, rng=rng)
        dynamics = ExactDynamics(W1, W2, sigma_yx)
        t = np.linspace(0.0, 50.0, n_times)
        t_eval, _ = _best_time(lambda d=dynamics, t=t: d.qqt(t), 5)
        Q = np.vstack([W1.T, W2])
        repeats = max(10, 20000 // n)
        t_product, _ = _best_time(lambda Q=Q, r=repeats: [Q @ Q.T for _ in range(r)], 5)
        per_point = t_eval / n_times
        per_product = t_product / repeats
        rows.append(
            (
                f"{n}",
                f"{per_point * 1e6:.1f}",
                f"{per_product * 1e6:.2f}",
                f"{per_point / per_product:.1f}",
            )
        )
    header = ("n", "us per time point", "us per Q Q^T", "ratio")
    return _table("Cost per time point (qqt)", header, rows)


def flatness(n=50, n_times=200):
    """Cost over horizons and balances (should not grow with either)."""
    rng = np.random.default_rng(2)
    sigma_yx = _task(n, n, rng)
    rows = []
    for lam in (0.0, 1.0, 100.0, 1000.0):
        W1, W2 = lambda_balanced(n, n, n, lam, scale=0.1, rng=rng)
        dynamics = ExactDynamics(W1, W2, sigma_yx)
        cells = [f"{lam:g}"]
        for horizon in (10.0, 1e3, 1e6):
            t = np.linspace(0.0, horizon, n_times)
            elapsed, qqt = _best_time(lambda d=dynamics, t=t: d.qqt(t), 3)
            if not np.all(np.isfinite(qqt)):
                raise FloatingPointError("non-finite result in the benchmark")
            cells.append(f"{elapsed * 1e3:.1f}")
        rows.append(tuple(cells))
    header = ("lam", "ms to 10 tau", "ms to 1e3 tau", "ms to 1e6 tau")
    return _table(f"Flatness in horizon and lam (n = {n}, qqt)", header, rows)


def scaling(sizes=(10, 50, 100, 200), n_times=1000):
    """Time and peak memory of qqt over widths at ``n_times`` points."""
    rows = []
    for n in sizes:
        rng = np.random.default_rng(3)
        sigma_yx = _task(n, n, rng)
        W1, W2 = lambda_balanced(n, n, n, 1.0, scale=0.1, rng=rng)
        dynamics = ExactDynamics(W1, W2, sigma_yx)
        t = np.linspace(0.0, 100.0, n_times)
        tracemalloc.start()
        start = time.perf_counter()
        qqt = dynamics.qqt(t)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append(
            (
                f"{n}",
                f"{2 * n}",
                f"{elapsed:.2f}",
                f"{qqt.nbytes / 2**20:.0f}",
                f"{(peak - qqt.nbytes) / 2**20:.0f}",
            )
        )
        del qqt
    header = ("n", "size of QQ^T", "seconds", "output MiB", "extra peak MiB")
    return _table(f"Scaling with width ({n_times} time points, qqt)", header, rows)


def main(argv=None):
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes, for a fast check"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS threads (default 1)"
    )
    args = parser.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        limits, threads = contextlib.nullcontext(), "as configured"
    else:
        limits, threads = threadpool_limits(args.threads), str(args.threads)
    with limits:
        tables = _tables(args.quick)
    # The benchmark's purpose is to print its figures.
    print(f"BLAS threads: {threads}\n")  # noqa: T201
    print("\n\n".join(tables))  # noqa: T201


def _tables(quick):
    """Run every table, small sizes if ``quick``."""
    if quick:
        tables = [
            against_gradient_flow(n=10, lam=10.0, n_times=50, horizon=100.0),
            per_time_point(sizes=(10, 50)),
            flatness(n=10),
            scaling(sizes=(10, 50), n_times=200),
        ]
    else:
        tables = [against_gradient_flow(), per_time_point(), flatness(), scaling()]
    return tables


if __name__ == "__main__":
    main()

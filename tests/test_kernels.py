"""Tests of the neural tangent kernel and the kernel distance."""

import numpy as np
import pytest

from lazyrich.balancing import lambda_balanced
from lazyrich.exact import ExactDynamics
from lazyrich.kernels import kernel_distance, ntk

SHAPES = [(3, 4, 2, 5), (1, 1, 1, 1), (2, 5, 3, 1), (4, 2, 1, 6), (3, 3, 3, 3)]


def _random_network(rng, n_in, n_hidden, n_out, n_samples):
    W1 = rng.standard_normal((n_hidden, n_in))
    W2 = rng.standard_normal((n_out, n_hidden))
    X = rng.standard_normal((n_in, n_samples))
    return W1, W2, X


def _jacobian(W1, W2, X):
    """Jacobian of vec(W2 W1 X), output-major, w.r.t. (vec W1, vec W2).

    Built entry by entry from d f_ip / d W1[h, k] = W2[i, h] X[k, p] and
    d f_ip / d W2[j, h] = δ_ij (W1 X)[h, p].
    """
    n_hidden, n_in = W1.shape
    n_out = W2.shape[0]
    n_samples = X.shape[1]
    hidden = W1 @ X
    J = np.zeros((n_out * n_samples, W1.size + W2.size))
    for i in range(n_out):
        for p in range(n_samples):
            row = i * n_samples + p
            for h in range(n_hidden):
                for k in range(n_in):
                    J[row, h * n_in + k] = W2[i, h] * X[k, p]
            for j in range(n_out):
                for h in range(n_hidden):
                    if i == j:
                        J[row, W1.size + j * n_hidden + h] = hidden[h, p]
    return J


def _relative_error(A, B):
    return np.max(np.abs(A - B)) / np.max(np.abs(B))


# ----------------------------------------------------------------------
# ntk
# ----------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_ntk_is_the_gram_matrix_of_the_jacobian(shape):
    rng = np.random.default_rng(sum(shape))
    W1, W2, X = _random_network(rng, *shape)
    J = _jacobian(W1, W2, X)
    K = ntk(W1, W2, X)
    n_out, n_samples = shape[2], shape[3]
    assert K.shape == (n_out * n_samples, n_out * n_samples)
    assert _relative_error(K, J @ J.T) <= 1e-12


@pytest.mark.parametrize("shape", SHAPES)
def test_ntk_is_symmetric_positive_semidefinite(shape):
    rng = np.random.default_rng(7)
    K = ntk(*_random_network(rng, *shape))
    np.testing.assert_array_equal(K, K.T)
    assert np.linalg.eigvalsh(K).min() >= -1e-12 * np.abs(K).max()


def test_ntk_drives_the_outputs_under_gradient_flow():
    # tau d vec(F)/dt = K vec(Y - F) / P for F = W2 W1 X, any inputs.
    rng = np.random.default_rng(3)
    W1, W2, X = _random_network(rng, 3, 4, 2, 6)
    Y = rng.standard_normal((2, 6))
    n_samples = X.shape[1]
    residual = Y - W2 @ W1 @ X
    dW1 = W2.T @ residual @ X.T / n_samples
    dW2 = residual @ (W1 @ X).T / n_samples
    dF = dW2 @ W1 @ X + W2 @ dW1 @ X
    predicted = ntk(W1, W2, X) @ residual.ravel() / n_samples
    np.testing.assert_allclose(predicted, dF.ravel(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("n_in", "n_hidden", "n_out", "lam"),
    [(3, 2, 4, 0.0), (3, 2, 4, 1.5), (4, 3, 2, -2.0), (2, 5, 3, 0.0), (3, 3, 3, 0.7)],
)
def test_ntk_matches_exact_dynamics_at_the_start(n_in, n_hidden, n_out, lam):
    rng = np.random.default_rng(11)
    W1, W2 = lambda_balanced(n_in, n_hidden, n_out, lam, scale=0.8, rng=rng)
    sigma_yx = rng.standard_normal((n_out, n_in))
    X = rng.standard_normal((n_in, 4))
    K_exact = ExactDynamics(W1, W2, sigma_yx).ntk([0.0], X)[0]
    K = ntk(W1, W2, X)
    assert _relative_error(K_exact, K) <= 1e-12


def test_ntk_matches_exact_dynamics_along_the_trajectory():
    # The kernel depends on the weights only through W1^T W1 and W2 W2^T,
    # so the factor of QQ^T(t) gives the same kernel as the weights would.
    rng = np.random.default_rng(5)
    n_in, n_hidden, n_out = 3, 2, 3
    W1, W2 = lambda_balanced(n_in, n_hidden, n_out, 0.5, scale=0.1, rng=rng)
    dyn = ExactDynamics(W1, W2, np.diag([3.0, 2.0, 1.0]))
    X = rng.standard_normal((n_in, 5))
    times = [0.5, 2.0, 10.0]
    kernels = dyn.ntk(times, X)
    for Qt, K_exact in zip(dyn.factor(times), kernels, strict=True):
        K = ntk(Qt[:n_in].T, Qt[n_in:], X)
        assert _relative_error(K, K_exact) <= 1e-12


def test_ntk_rejects_mismatched_layers():
    rng = np.random.default_rng(0)
    W1, W2, X = _random_network(rng, 3, 4, 2, 5)
    with pytest.raises(ValueError, match="W2 must have shape"):
        ntk(W1, W2[:, :3], X)


def test_ntk_rejects_inputs_of_the_wrong_width():
    rng = np.random.default_rng(0)
    W1, W2, X = _random_network(rng, 3, 4, 2, 5)
    with pytest.raises(ValueError, match="X must have shape"):
        ntk(W1, W2, X[:2])


def test_ntk_rejects_non_finite_and_non_matrix_inputs():
    rng = np.random.default_rng(0)
    W1, W2, X = _random_network(rng, 3, 4, 2, 5)
    X[1, 2] = np.nan
    with pytest.raises(ValueError, match="X must contain only finite"):
        ntk(W1, W2, X)
    with pytest.raises(ValueError, match="W1 must be a 2-D array"):
        ntk(W1[0], W2, X)
    with pytest.raises(ValueError, match="W2 must be a 2-D array"):
        ntk(W1, "weights", X)


# ----------------------------------------------------------------------
# kernel_distance
# ----------------------------------------------------------------------


def _random_psd(rng, m, rank=None):
    A = rng.standard_normal((m, rank or m))
    return A @ A.T


def test_distance_of_a_kernel_to_itself_is_zero():
    K = _random_psd(np.random.default_rng(0), 6)
    assert kernel_distance(K, K) == 0.0


@pytest.mark.parametrize("c", [1e-3, 2.5, 1e8, 1e250])
def test_distance_ignores_positive_scale(c):
    K = _random_psd(np.random.default_rng(1), 5)
    assert abs(kernel_distance(K, c * K)) <= 1e-15
    assert abs(kernel_distance(K * 1e-250, c * K)) <= 1e-15


def test_distance_to_the_negative_is_two():
    K = _random_psd(np.random.default_rng(2), 4)
    assert kernel_distance(K, -K) == pytest.approx(2.0, abs=1e-15)
    assert kernel_distance(K, -3.0 * K) == pytest.approx(2.0, abs=1e-15)


def test_distance_is_symmetric():
    rng = np.random.default_rng(3)
    for _ in range(5):
        A, B = rng.standard_normal((2, 5, 5))
        assert kernel_distance(A, B) == kernel_distance(B, A)


def test_distance_matches_the_cosine_formula():
    rng = np.random.default_rng(4)
    for _ in range(10):
        A, B = rng.standard_normal((2, 4, 4))
        cosine = np.sum(A * B) / (np.linalg.norm(A) * np.linalg.norm(B))
        assert kernel_distance(A, B) == pytest.approx(1 - cosine, abs=1e-14)


def test_distance_of_psd_kernels_lies_in_the_unit_interval():
    rng = np.random.default_rng(5)
    values = [
        kernel_distance(_random_psd(rng, 6, rank), _random_psd(rng, 6, rank))
        for rank in (1, 2, 6)
        for _ in range(20)
    ]
    assert all(0.0 <= value <= 1.0 for value in values)
    assert all(isinstance(value, float) for value in values)


def test_distance_keeps_relative_accuracy_when_small():
    # K2 = I + ε B with B traceless and ||B||_F = 1, so the cosine is
    # 1 / sqrt(1 + ε²/m) and S = 1 - (1 + ε²/m)^(-1/2) ≈ ε² / (2m).
    m, epsilon = 4, 1e-6
    B = 0.5 * np.diag([1.0, -1.0, 1.0, -1.0])
    x = epsilon**2 / m
    expected = -np.expm1(-0.5 * np.log1p(x))
    distance = kernel_distance(np.eye(m), np.eye(m) + epsilon * B)
    assert distance == pytest.approx(expected, rel=1e-6)


def test_distance_broadcasts_over_leading_axes():
    rng = np.random.default_rng(6)
    K0 = _random_psd(rng, 4)
    trajectory = np.stack([_random_psd(rng, 4) for _ in range(7)])
    distances = kernel_distance(K0, trajectory)
    assert distances.shape == (7,)
    expected = [kernel_distance(K0, K) for K in trajectory]
    np.testing.assert_array_equal(distances, expected)
    np.testing.assert_array_equal(kernel_distance(trajectory, K0), expected)

    # Pairwise along a shared axis, and an outer product of two axes.
    pairwise = kernel_distance(trajectory, trajectory[::-1])
    assert pairwise.shape == (7,)
    assert pairwise[2] == kernel_distance(trajectory[2], trajectory[4])
    grid = kernel_distance(trajectory[:2, None], trajectory[None, :3])
    assert grid.shape == (2, 3)
    assert grid[1, 2] == kernel_distance(trajectory[1], trajectory[2])


def test_distance_separates_the_lazy_and_rich_regimes():
    # From the same small initial product, the kernel barely moves for
    # large λ (lazy) and moves far for λ = 0 (rich), monotonically between.
    sigma_yx = np.diag([3.0, 0.3, 0.03])
    X = np.sqrt(3.0) * np.eye(3)
    times = np.array([0.0, 2.0, 20.0])
    final = {}
    for lam in (0.0, 5.0, 50.0):
        W1, W2 = lambda_balanced(3, 3, 3, lam, scale=1e-3, rng=0)
        K = ExactDynamics(W1, W2, sigma_yx).ntk(times, X)
        movement = kernel_distance(K[0], K)
        assert movement.shape == (3,) and movement[0] == 0.0
        final[lam] = movement[-1]
    assert final[0.0] > 0.2
    assert final[50.0] < 1e-4
    assert final[0.0] > final[5.0] > final[50.0]


def test_distance_rejects_a_zero_kernel():
    K = np.eye(3)
    with pytest.raises(ValueError, match="K2 has a kernel of zero Frobenius norm"):
        kernel_distance(K, np.zeros((3, 3)))
    stack = np.stack([K, np.zeros((3, 3)), K])
    with pytest.raises(ValueError, match=r"K1 .* zero Frobenius norm at index \(1,\)"):
        kernel_distance(stack, K)


def test_distance_rejects_non_finite_kernels():
    K = np.eye(3)
    bad = K.copy()
    bad[0, 1] = np.inf
    with pytest.raises(ValueError, match="K2 must contain only finite"):
        kernel_distance(K, bad)
    with pytest.raises(ValueError, match="K1 must contain only finite"):
        kernel_distance(np.full((3, 3), np.nan), K)


def test_distance_rejects_bad_shapes():
    K = np.eye(3)
    with pytest.raises(ValueError, match="K1 must be square"):
        kernel_distance(np.ones((3, 2)), K)
    with pytest.raises(ValueError, match="K2 must be square"):
        kernel_distance(K, np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="same size m"):
        kernel_distance(K, np.eye(4))
    with pytest.raises(ValueError, match="leading axes"):
        kernel_distance(np.ones((2, 3, 3)), np.ones((4, 3, 3)))
    with pytest.raises(ValueError, match="K1 must be a square matrix or a stack"):
        kernel_distance(np.ones(3), K)
    with pytest.raises(ValueError, match="K2 must not be empty"):
        kernel_distance(np.ones((1, 3, 3)), np.ones((0, 3, 3)))
    with pytest.raises(ValueError, match="K2 must be an array of real numbers"):
        kernel_distance(K, "kernel")

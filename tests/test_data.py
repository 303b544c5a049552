"""Tests of the covariances, whitening and the two tasks."""

import numpy as np
import pytest

from lazyrich.data import covariances, random_task, semantic_hierarchy, whiten

# ----------------------------------------------------------------------
# covariances
# ----------------------------------------------------------------------


def test_covariances_are_averages_of_outer_products():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 7))
    Y = rng.standard_normal((2, 7))
    sigma_xx, sigma_yx, sigma_yy = covariances(X, Y)

    # Direct sums over the samples, one column at a time.
    expected_xx = np.zeros((3, 3))
    expected_yx = np.zeros((2, 3))
    expected_yy = np.zeros((2, 2))
    for p in range(7):
        x, y = X[:, p], Y[:, p]
        expected_xx += np.outer(x, x) / 7
        expected_yx += np.outer(y, x) / 7
        expected_yy += np.outer(y, y) / 7
    np.testing.assert_allclose(sigma_xx, expected_xx, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(sigma_yx, expected_yx, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(sigma_yy, expected_yy, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(sigma_xx, sigma_xx.T)
    np.testing.assert_array_equal(sigma_yy, sigma_yy.T)


def test_covariances_accept_lists_and_integers():
    sigma_xx, sigma_yx, sigma_yy = covariances([[1, 0], [0, 1]], [[2, 4]])
    np.testing.assert_array_equal(sigma_xx, 0.5 * np.eye(2))
    np.testing.assert_array_equal(sigma_yx, [[1.0, 2.0]])
    np.testing.assert_array_equal(sigma_yy, [[10.0]])


def test_covariances_reject_bad_input():
    X, Y = np.ones((3, 5)), np.ones((2, 5))
    with pytest.raises(ValueError, match="X and Y must have the same number"):
        covariances(X, Y[:, :4])
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        covariances(X[0], Y)
    with pytest.raises(ValueError, match="Y must be a 2-D array"):
        covariances(X, np.ones((2, 5, 1)))
    bad = Y.copy()
    bad[1, 3] = np.nan
    with pytest.raises(ValueError, match="Y must contain only finite"):
        covariances(X, bad)
    with pytest.raises(ValueError, match="X must be a 2-D array of real numbers"):
        covariances("inputs", Y)


# ----------------------------------------------------------------------
# whiten
# ----------------------------------------------------------------------


@pytest.mark.parametrize(("n_in", "n_samples"), [(1, 1), (3, 3), (4, 10), (6, 50)])
def test_whitened_inputs_have_identity_covariance(n_in, n_samples):
    rng = np.random.default_rng(n_in + n_samples)
    # Correlated inputs with very different scales per direction.
    mixing = rng.standard_normal((n_in, n_in)) * np.logspace(0, 2, n_in)
    X = mixing @ rng.standard_normal((n_in, n_samples))
    X_white, whitening = whiten(X)
    assert X_white.shape == X.shape
    assert whitening.shape == (n_in, n_in)
    np.testing.assert_allclose(
        X_white @ X_white.T / n_samples, np.eye(n_in), rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(X_white, whitening @ X, rtol=0, atol=1e-12)


def test_whitening_is_the_symmetric_inverse_square_root():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((4, 12))
    sigma_xx = X @ X.T / 12
    _, whitening = whiten(X)
    np.testing.assert_array_equal(whitening, whitening.T)
    assert np.linalg.eigvalsh(whitening).min() > 0
    np.testing.assert_allclose(
        whitening @ whitening @ sigma_xx, np.eye(4), rtol=0, atol=1e-12
    )


def test_whiten_does_not_centre():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((3, 20)) + 5.0
    X_white, whitening = whiten(X)
    mean = X.mean(axis=1)
    np.testing.assert_allclose(X_white.mean(axis=1), whitening @ mean, atol=1e-12)
    assert np.all(np.abs(X_white.mean(axis=1)) > 0.1)


def test_whiten_leaves_whitened_inputs_unchanged():
    X = semantic_hierarchy()[0]
    X_white, whitening = whiten(X)
    np.testing.assert_allclose(whitening, np.eye(8), rtol=0, atol=1e-14)
    np.testing.assert_allclose(X_white, X, rtol=0, atol=1e-13)


def test_whiten_rejects_rank_deficient_inputs():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((3, 10))
    X[2] = X[0] - 2 * X[1]
    with pytest.raises(ValueError, match="numerical rank 2 < n_in = 3") as info:
        whiten(X)
    message = str(info.value)
    assert "principal components" in message
    assert "more samples" in message


def test_whiten_rejects_zero_inputs():
    with pytest.raises(ValueError, match="numerical rank 0 < n_in = 2"):
        whiten(np.zeros((2, 5)))


def test_whiten_rejects_too_few_samples():
    X = np.random.default_rng(4).standard_normal((5, 3))
    with pytest.raises(ValueError, match="only 3 samples") as info:
        whiten(X)
    assert "principal components" in str(info.value)


def test_whiten_rejects_bad_input():
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        whiten(np.ones(4))
    with pytest.raises(ValueError, match="X must contain only finite"):
        whiten(np.array([[1.0, np.inf], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="X must not be empty"):
        whiten(np.ones((0, 3)))


# ----------------------------------------------------------------------
# semantic_hierarchy
# ----------------------------------------------------------------------


def test_semantic_hierarchy_shapes_and_names():
    X, Y, items, features = semantic_hierarchy()
    assert X.shape == (8, 8) and Y.shape == (8, 8)
    assert items == (
        "canary",
        "robin",
        "salmon",
        "sunfish",
        "oak",
        "pine",
        "rose",
        "daisy",
    )
    assert isinstance(items, tuple) and isinstance(features, tuple)
    assert len(features) == 8 and len(set(features)) == 8
    assert all(isinstance(name, str) and name for name in features)
    assert features[:4] == (
        "living thing",
        "animal vs plant",
        "bird vs fish",
        "tree vs flower",
    )


def test_semantic_hierarchy_inputs_are_whitened_one_hot():
    X, Y, _, _ = semantic_hierarchy()
    np.testing.assert_array_equal(X, np.sqrt(8) * np.eye(8))
    sigma_xx, _, _ = covariances(X, Y)
    np.testing.assert_allclose(sigma_xx, np.eye(8), rtol=0, atol=1e-15)


def test_semantic_hierarchy_features_follow_the_tree():
    _, Y, items, features = semantic_hierarchy()
    assert set(np.unique(Y)) <= {-1.0, 0.0, 1.0}
    row = dict(zip(features, Y, strict=True))
    animals, plants = items[:4], items[4:]

    # Each "a vs b" feature is +1 below a, -1 below b and 0 elsewhere.
    groups = {
        "animal": animals,
        "plant": plants,
        "bird": ("canary", "robin"),
        "fish": ("salmon", "sunfish"),
        "tree": ("oak", "pine"),
        "flower": ("rose", "daisy"),
    }
    groups.update({item: (item,) for item in items})
    np.testing.assert_array_equal(row["living thing"], np.ones(8))
    for name in features[1:]:
        first, second = name.split(" vs ")
        expected = [
            1.0 if item in groups[first] else -1.0 if item in groups[second] else 0.0
            for item in items
        ]
        np.testing.assert_array_equal(row[name], expected)


def test_semantic_hierarchy_features_are_orthogonal():
    # A node's row has one ±1 per item below it: 8, 8, 4, 4, then 2 each.
    _, Y, _, _ = semantic_hierarchy()
    np.testing.assert_array_equal(Y @ Y.T, np.diag([8.0, 8, 4, 4, 2, 2, 2, 2]))


def test_semantic_hierarchy_item_similarity_is_the_tree():
    # Items share 4 features with themselves, 2 with their sibling, 1 with
    # the other pair of their group and 0 with the other group.
    _, Y, _, _ = semantic_hierarchy()
    pair, group = np.arange(8) // 2, np.arange(8) // 4
    expected = np.where(
        np.eye(8, dtype=bool),
        4.0,
        np.where(
            pair[:, None] == pair[None, :],
            2.0,
            np.where(group[:, None] == group[None, :], 1.0, 0.0),
        ),
    )
    np.testing.assert_array_equal(Y.T @ Y, expected)


def test_semantic_hierarchy_singular_values_match_the_closed_form():
    # Σyx = Y / sqrt(8) with orthogonal rows of squared norms 8, 8, 4, 4, 2,
    # 2, 2, 2, so Σyx Σyx^T = diag(1, 1, 1/2, 1/2, 1/4, 1/4, 1/4, 1/4).
    X, Y, _, _ = semantic_hierarchy()
    _, sigma_yx, _ = covariances(X, Y)
    np.testing.assert_allclose(sigma_yx, Y / np.sqrt(8), rtol=1e-15)
    s = np.linalg.svd(sigma_yx, compute_uv=False)
    half = 1 / np.sqrt(2)
    expected = [1.0, 1.0, half, half, 0.5, 0.5, 0.5, 0.5]
    np.testing.assert_allclose(s, expected, rtol=0, atol=1e-14)


def test_semantic_hierarchy_modes_are_the_tree_nodes():
    # Each feature row y_k is a right singular vector:
    # Σyx^T Σyx y_k = (||y_k||² / 8) y_k.
    X, Y, _, _ = semantic_hierarchy()
    _, sigma_yx, _ = covariances(X, Y)
    for y in Y:
        np.testing.assert_allclose(
            sigma_yx.T @ sigma_yx @ y, (y @ y / 8) * y, rtol=0, atol=1e-14
        )


def test_semantic_hierarchy_returns_fresh_arrays():
    X, Y, _, _ = semantic_hierarchy()
    X[0, 0] = Y[0, 0] = 99.0
    X_again, Y_again, _, _ = semantic_hierarchy()
    assert X_again[0, 0] == np.sqrt(8) and Y_again[0, 0] == 1.0


# ----------------------------------------------------------------------
# random_task
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_in", "n_out", "n_samples"), [(1, 1, 1), (3, 2, 3), (5, 4, 40), (30, 2, 30)]
)
def test_random_task_is_whitened(n_in, n_out, n_samples):
    X, Y = random_task(n_in, n_out, n_samples, rng=n_in)
    assert X.shape == (n_in, n_samples) and Y.shape == (n_out, n_samples)
    np.testing.assert_allclose(X @ X.T / n_samples, np.eye(n_in), rtol=0, atol=1e-13)


def test_random_task_without_noise_is_linear_in_the_inputs():
    # With Σxx = I and Y = A X the teacher is Σyx, and Y = Σyx X exactly.
    X, Y = random_task(4, 3, 25, rng=1)
    _, sigma_yx, _ = covariances(X, Y)
    np.testing.assert_allclose(Y, sigma_yx @ X, rtol=0, atol=1e-12)


def test_random_task_noise_adds_to_the_same_teacher():
    X0, Y0 = random_task(4, 3, 2000, rng=2)
    X1, Y1 = random_task(4, 3, 2000, rng=2, noise=0.5)
    np.testing.assert_array_equal(X0, X1)
    residual = Y1 - Y0
    assert residual.std() == pytest.approx(0.5, rel=0.05)


def test_random_task_is_reproducible():
    X1, Y1 = random_task(3, 2, 10, rng=7, noise=0.1)
    X2, Y2 = random_task(3, 2, 10, rng=np.random.default_rng(7), noise=0.1)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)
    X3, _ = random_task(3, 2, 10, rng=8, noise=0.1)
    assert not np.allclose(X1, X3)


def test_random_task_teacher_has_the_stated_scale():
    # Entries of A have variance 1 / n_in, so E ||A||_F^2 = n_out.
    norms = [
        np.sum(covariances(*random_task(20, 5, 20, rng=seed))[1] ** 2)
        for seed in range(40)
    ]
    assert np.mean(norms) == pytest.approx(5.0, rel=0.1)


def test_random_task_rejects_too_few_samples():
    with pytest.raises(ValueError, match="n_samples = 3 must be at least n_in = 4"):
        random_task(4, 2, 3)


@pytest.mark.parametrize("name", ["n_in", "n_out", "n_samples"])
@pytest.mark.parametrize("value", [0, -2, 2.0, True, "3", None])
def test_random_task_rejects_bad_widths(name, value):
    widths = {"n_in": 2, "n_out": 2, "n_samples": 5}
    widths[name] = value
    with pytest.raises(ValueError, match=f"{name} must be a positive integer"):
        random_task(**widths)


def test_random_task_rejects_bad_noise_and_rng():
    with pytest.raises(ValueError, match="noise must be non-negative"):
        random_task(2, 2, 5, noise=-0.1)
    with pytest.raises(ValueError, match="noise must be finite"):
        random_task(2, 2, 5, noise=np.nan)
    with pytest.raises(ValueError, match="noise must be a real number"):
        random_task(2, 2, 5, noise="0.1")
    with pytest.raises(ValueError, match="rng must be None, an integer seed"):
        random_task(2, 2, 5, rng="seed")

"""Tests of the figures: the artists each function draws and its checks."""

import matplotlib
import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest

from lazyrich import plots
from lazyrich.plots import (
    DIVERGING,
    PALETTE,
    SEQUENTIAL,
    plot_blocks,
    plot_kernel_distance,
    plot_lazy_rich_curve,
    plot_similarity,
    plot_trajectories,
    small_multiples,
    style,
)

# Draw off-screen, whatever the default backend.
plt.switch_backend("Agg")

ITEMS = ["canary", "robin", "salmon", "oak"]


@pytest.fixture(autouse=True)
def _no_show_and_close(monkeypatch):
    """Fail if a function calls plt.show(); close every figure afterwards."""

    def show(*args, **kwargs):
        raise AssertionError("the package must not call plt.show()")

    monkeypatch.setattr(plt, "show", show)
    yield
    plt.close("all")


def _gids(ax, gid):
    return [line for line in ax.lines if line.get_gid() == gid]


def _legend_texts(ax):
    legend = ax.get_legend()
    return [] if legend is None else [text.get_text() for text in legend.texts]


# ----------------------------------------------------------------------
# Palette and style
# ----------------------------------------------------------------------


def test_palette_is_okabe_ito():
    okabe_ito = {
        "#000000",
        "#E69F00",
        "#56B4E9",
        "#009E73",
        "#F0E442",
        "#0072B2",
        "#D55E00",
        "#CC79A7",
    }
    assert isinstance(PALETTE, tuple)
    assert set(PALETTE) == okabe_ito
    assert all(mcolors.is_color_like(colour) for colour in PALETTE)
    assert SEQUENTIAL in plt.colormaps() and DIVERGING in plt.colormaps()


def test_style_sets_and_restores_the_look():
    before = dict(matplotlib.rcParams)
    with style():
        fig, ax = plt.subplots()
        cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert mcolors.to_hex(fig.get_facecolor()) == "#ffffff"
    assert not ax.spines["top"].get_visible()
    assert not ax.spines["right"].get_visible()
    assert fig.dpi == 110
    assert [c.upper() for c in cycle] == list(PALETTE)
    assert dict(matplotlib.rcParams) == before


def test_given_transparent_figure_is_made_opaque():
    fig, ax = plt.subplots(facecolor=(1, 1, 1, 0))
    plot_trajectories([0, 1, 2], [0, 1, 4], ax=ax)
    assert mcolors.to_rgba(fig.get_facecolor())[3] == 1


# ----------------------------------------------------------------------
# plot_trajectories
# ----------------------------------------------------------------------


def test_trajectories_exact_and_simulated():
    t = np.linspace(0, 5, 50)
    exact = np.column_stack([np.tanh(t), np.tanh(t / 2), np.tanh(t / 3)])
    ax = plot_trajectories(t, exact, exact + 0.01, labels=["a", "b", "c"])
    assert isinstance(ax, matplotlib.axes.Axes)
    lines, markers = _gids(ax, "exact"), _gids(ax, "simulated")
    assert len(lines) == 3 and len(markers) == 3
    # One colour per component, shared by its line and its markers.
    for line, marker, colour in zip(lines, markers, PALETTE, strict=False):
        assert mcolors.same_color(line.get_color(), colour)
        assert mcolors.same_color(marker.get_markeredgecolor(), colour)
        assert marker.get_linestyle() == "None"
        assert marker.get_markerfacecolor() == "none"
    # The legend names the components and says once what is what.
    assert _legend_texts(ax) == ["a", "b", "c", "exact", "simulated"]
    assert ax.get_xlabel() == "t / τ"


def test_trajectories_one_curve_other_times_and_thinning():
    t = np.linspace(0, 1, 11)
    t_sim = np.linspace(0, 1, 200)
    ax = plot_trajectories(t, t**2, t_sim**2, t_sim=t_sim, ylabel="y", title="T")
    (marker,) = _gids(ax, "simulated")
    np.testing.assert_array_equal(marker.get_xdata(), t_sim)
    assert marker.get_markevery() == 8  # at most 25 markers of 200 points
    assert ax.get_ylabel() == "y" and ax.get_title() == "T"
    assert _legend_texts(ax) == ["exact", "simulated"]


def test_trajectories_without_labels_or_simulation_has_no_legend():
    ax = plot_trajectories([0, 1, 2], [[0, 1], [1, 2], [2, 3]])
    assert len(ax.lines) == 2 and ax.get_legend() is None


def test_trajectories_draw_on_given_axes_and_legend_outside():
    fig, ax = plt.subplots()
    out = plot_trajectories([0, 1], [0, 1], ax=ax, labels=["x"], legend="outside")
    assert out is ax
    assert _legend_texts(ax) == ["x"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"t": [[0, 1]], "exact": [0, 1]}, "t must be a 1-D array"),
        ({"t": [0, 1, 2], "exact": [0, 1]}, "3 rows"),
        ({"t": [0, 1, 2], "exact": np.zeros((2, 3))}, "transpose"),
        ({"t": [0, 1], "exact": np.zeros((2, 2, 2))}, "reshape"),
        ({"t": [0, 1], "exact": [0, np.nan]}, "finite"),
        (
            {"t": [0, 1], "exact": np.zeros((2, 2)), "simulated": np.zeros((2, 3))},
            "as many curves",
        ),
        ({"t": [0, 1], "exact": [0, 1], "t_sim": [0, 1]}, "t_sim was given"),
        ({"t": [0, 1], "exact": [0, 1], "labels": ["a", "b"]}, "one label per"),
        ({"t": [0, 1], "exact": [0, 1], "legend": "left"}, "legend must be"),
        ({"t": [0, 1], "exact": [0, 1], "ax": "axes"}, "matplotlib Axes"),
    ],
)
def test_trajectories_reject_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_trajectories(**kwargs)


# ----------------------------------------------------------------------
# plot_blocks
# ----------------------------------------------------------------------


def _qqt(n_in=3, n_out=2, seed=0):
    Q = np.random.default_rng(seed).standard_normal((n_in + n_out, 2))
    return Q @ Q.T


def test_blocks_outline_labels_colourbar_and_symmetric_colours():
    qqt = _qqt()
    ax = plot_blocks(qqt, n_in=3, title="QQ^T")
    (image,) = ax.images
    assert image.colorbar is not None
    low, high = image.get_clim()
    assert low == -high == -np.max(np.abs(qqt))
    assert image.get_cmap().name == DIVERGING
    texts = {text.get_text() for text in ax.texts}
    assert texts == {
        r"$W_1^\top W_1$",
        r"$W_1^\top W_2^\top$",
        r"$W_2 W_1$",
        r"$W_2 W_2^\top$",
    }
    # The two boundary lines sit between the input and output halves.
    edges = [line.get_xdata()[0] for line in ax.lines] + [
        line.get_ydata()[0] for line in ax.lines
    ]
    assert 2.5 in edges
    assert ax.get_title() == "QQ^T"


def test_blocks_common_colour_limit():
    ax = plot_blocks(_qqt(), n_in=3, vmax=10.0)
    assert ax.images[0].get_clim() == (-10.0, 10.0)


@pytest.mark.parametrize(
    ("qqt", "n_in", "message"),
    [
        (np.zeros((3, 4)), 2, "square"),
        (np.zeros((5, 4, 4)), 2, r"qqt\[-1\]"),
        (np.zeros((4, 4)), 4, "smaller than the size"),
        (np.zeros((4, 4)), 0, "positive integer"),
        (np.zeros((4, 4)), 2.0, "positive integer"),
        (np.eye(4), 2, None),
    ],
)
def test_blocks_reject_bad_input(qqt, n_in, message):
    if message is None:
        plot_blocks(qqt, n_in)
        with pytest.raises(ValueError, match="vmax"):
            plot_blocks(qqt, n_in, vmax=-1.0)
        return
    with pytest.raises(ValueError, match=message):
        plot_blocks(qqt, n_in)


# ----------------------------------------------------------------------
# plot_similarity
# ----------------------------------------------------------------------


def test_similarity_item_names_and_colourbar():
    K = np.array([[2, 1, 0, -1], [1, 2, 0, 0], [0, 0, 2, 1], [-1, 0, 1, 2.0]])
    ax = plot_similarity(K, ITEMS, title="K")
    assert [label.get_text() for label in ax.get_xticklabels()] == ITEMS
    assert [label.get_text() for label in ax.get_yticklabels()] == ITEMS
    (image,) = ax.images
    assert image.colorbar is not None
    assert image.get_cmap().name == DIVERGING
    assert image.get_clim() == (-2.0, 2.0)


def test_similarity_sequential_for_non_negative_data():
    ax = plot_similarity(np.eye(3), signed=False)
    image = ax.images[0]
    assert image.get_cmap().name == SEQUENTIAL
    assert image.get_clim() == (0.0, 1.0)
    assert [label.get_text() for label in ax.get_xticklabels()] == ["0", "1", "2"]


@pytest.mark.parametrize(
    ("K", "kwargs", "message"),
    [
        (np.zeros((3, 4)), {}, "square"),
        (np.zeros((2, 3, 3)), {}, "stack"),
        (np.eye(4), {"items": ITEMS[:3]}, "expected 4, got 3"),
        (-np.eye(3), {"signed": False}, "negative entries"),
    ],
)
def test_similarity_rejects_bad_input(K, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_similarity(K, **kwargs)


# ----------------------------------------------------------------------
# small_multiples
# ----------------------------------------------------------------------


def test_small_multiples_one_panel_per_value():
    seen = []

    def draw(ax, value):
        seen.append(value)
        ax.plot([0, 1], [0, value])
        ax.set_ylabel("y")

    values = [-1, 0, 0.5, 2, 10]
    fig, axes = small_multiples(values, draw, ncols=3, sharex=True)
    assert seen == values
    assert len(axes) == 5 and len(fig.axes) == 5
    assert [ax.get_title() for ax in axes] == [f"λ = {v:g}" for v in values]
    # Shared y: only the first column keeps its label.
    assert [ax.get_ylabel() for ax in axes] == ["y", "", "", "y", ""]
    assert mcolors.to_hex(fig.get_facecolor()) == "#ffffff"


def test_small_multiples_with_heatmaps_and_no_titles():
    fig, axes = small_multiples(
        ["a", "b"], lambda ax, v: plot_similarity(np.eye(2), ax=ax), panel_title=None
    )
    assert [ax.get_title() for ax in axes] == ["", ""]
    assert all(ax.images[0].colorbar is not None for ax in axes)


@pytest.mark.parametrize(
    ("values", "draw", "kwargs", "message"),
    [
        ([], lambda ax, v: None, {}, "at least one"),
        ([1], "draw", {}, "callable"),
        ([1], lambda ax, v: None, {"ncols": 0}, "positive integer"),
        (["x"], lambda ax, v: None, {}, "cannot format"),
    ],
)
def test_small_multiples_rejects_bad_input(values, draw, kwargs, message):
    with pytest.raises(ValueError, match=message):
        small_multiples(values, draw, **kwargs)


# ----------------------------------------------------------------------
# Kernel distance and the lazy-rich curve
# ----------------------------------------------------------------------


def test_kernel_distance_curves_and_unit_range():
    t = np.linspace(0, 4, 30)
    curves = [0.01 * t / 4, 0.6 * t / 4]
    ax = plot_kernel_distance(t, curves, labels=["lazy", "rich"])
    assert len(ax.lines) == 2
    low, high = ax.get_ylim()
    assert low <= 0 and high >= 1
    assert _legend_texts(ax) == ["lazy", "rich"]
    assert "S(0, t)" in ax.get_ylabel()
    assert len(plot_kernel_distance(t, curves[0]).lines) == 1


@pytest.mark.parametrize(
    ("distances", "message"),
    [
        (np.zeros((5, 2)), "transpose"),
        ([np.zeros(5), np.zeros(4)], "same length"),
        ([np.zeros((5, 1))], "not 1-D"),
        (np.zeros(4), "5 values"),
    ],
)
def test_kernel_distance_rejects_bad_shapes(distances, message):
    with pytest.raises(ValueError, match=message):
        plot_kernel_distance(np.arange(5.0), distances)


def test_lazy_rich_curve_sorted_with_lambda_zero_marked():
    lams = np.array([10, -10, 0, 1, -1, 0.3])
    distance = 1 / (1 + lams**2)
    ax = plot_lazy_rich_curve(lams, distance)
    curve = [line for line in ax.lines if line.get_gid() != "lambda-zero"]
    (zero,) = [line for line in ax.lines if line.get_gid() == "lambda-zero"]
    np.testing.assert_array_equal(curve[0].get_xdata(), np.sort(lams))
    assert list(zero.get_xdata()) == [0, 0]
    assert ax.get_xscale() == "symlog"
    assert ax.xaxis.get_transform().linthresh == 0.1
    assert ax.get_xlabel() == "λ"
    assert plot_lazy_rich_curve(lams, distance, xscale="linear").get_xscale() == (
        "linear"
    )


@pytest.mark.parametrize(
    ("lams", "distance", "kwargs", "message"),
    [
        ([0, 1], [0.1], {}, "one value per λ"),
        ([0, 1], [0.1, 0.2], {"xscale": "log"}, "symlog"),
        ([[0, 1]], [[0.1, 0.2]], {}, "1-D"),
    ],
)
def test_lazy_rich_curve_rejects_bad_input(lams, distance, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_lazy_rich_curve(lams, distance, **kwargs)


def test_public_api():
    for name in plots.__all__:
        assert hasattr(plots, name)

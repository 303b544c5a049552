"""Tests of the explorers (built headless) and their static counterparts."""

import ast
import re
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from lazyrich import widgets
from lazyrich.widgets import (
    AnimationHTML,
    lambda_explorer,
    lambda_sweep_animation,
    scalar_mode_explorer,
    scalar_mode_static,
)

# Draw off-screen, whatever the default backend.
plt.switch_backend("Agg")

SIGMA_YX = np.diag([3.0, 2.0, 1.0])
T = np.linspace(0, 6, 60)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _walk(widget):
    """Yield ``widget`` and every widget inside it."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def _by_description(root, description):
    (found,) = [
        w for w in _walk(root) if getattr(w, "description", None) == description
    ]
    return found


# ----------------------------------------------------------------------
# Without ipywidgets
# ----------------------------------------------------------------------


def test_module_does_not_import_ipywidgets_at_top_level():
    tree = ast.parse(Path(widgets.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert "ipywidgets" not in imported and "IPython" not in imported


@pytest.mark.parametrize(
    ("explorer", "args", "kwargs"),
    [(scalar_mode_explorer, (), {}), (lambda_explorer, (SIGMA_YX,), {"t": T})],
)
def test_explorers_without_ipywidgets_explain_how_to_install(
    monkeypatch, explorer, args, kwargs
):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(ImportError, match="pip install ipywidgets"):
        explorer(*args, **kwargs)


# ----------------------------------------------------------------------
# The single mode
# ----------------------------------------------------------------------


def test_scalar_mode_explorer_builds_and_updates_headless():
    ipywidgets = pytest.importorskip("ipywidgets")
    explorer = scalar_mode_explorer(s=2.0)
    assert isinstance(explorer, ipywidgets.VBox)
    lam = _by_description(explorer, "λ")
    size = _by_description(explorer, "|a₀|")
    sign = _by_description(explorer, "sign")
    tau = _by_description(explorer, "τ")
    assert (lam.min, lam.max) == (-10.0, 10.0)
    assert isinstance(size, ipywidgets.FloatLogSlider)
    assert set(sign.options) == {("a₀ > 0", 1.0), ("a₀ < 0", -1.0)}
    assert not any(c.continuous_update for c in (lam, size, sign, tau))
    assert any(isinstance(w, ipywidgets.Output) for w in _walk(explorer))
    # Moving a control redraws without error and leaves no figure open.
    lam.value, sign.value, tau.value = 3.0, -1.0, 2.0
    assert plt.get_fignums() == []


def test_scalar_mode_explorer_rejects_bad_target():
    pytest.importorskip("ipywidgets")
    with pytest.raises(ValueError, match="s must be positive"):
        scalar_mode_explorer(s=0.0)


def test_scalar_mode_static_tells_the_same_story():
    fig = scalar_mode_static()
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == [
        f"λ = {lam:g}" for lam in (-10, -1, 0, 1, 10)
    ]
    for ax in fig.axes:
        assert len([line for line in ax.lines if line.get_gid() == "exact"]) == 3
    # One legend, in the first panel.
    assert [ax.get_legend() is not None for ax in fig.axes] == [True] + [False] * 4
    with pytest.raises(ValueError, match="lams"):
        scalar_mode_static(lams=[])


# ----------------------------------------------------------------------
# The λ sweep
# ----------------------------------------------------------------------


def test_lambda_explorer_builds_and_updates_headless():
    ipywidgets = pytest.importorskip("ipywidgets")
    explorer = lambda_explorer(SIGMA_YX, t=T, lam_range=(-4.0, 4.0))
    assert isinstance(explorer, ipywidgets.VBox)
    lam = _by_description(explorer, "λ")
    assert (lam.min, lam.max, lam.value) == (-4.0, 4.0, 0.0)
    assert not lam.continuous_update
    lam.value = 2.0
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lam_range": (1.0, -1.0)}, "low < high"),
        ({"lam_range": (0.0,)}, "two finite numbers"),
        ({"n_hidden": 4}, "infeasible"),
        ({"t": [0.0, -1.0]}, "non-negative"),
    ],
)
def test_lambda_explorer_rejects_bad_input(kwargs, message):
    pytest.importorskip("ipywidgets")
    kwargs = {"t": T, **kwargs}
    with pytest.raises(ValueError, match=message):
        lambda_explorer(SIGMA_YX, **kwargs)


def test_lambda_sweep_animation_is_html_with_its_own_slider():
    html = lambda_sweep_animation(SIGMA_YX, [-4, 0, 4], t=T)
    assert isinstance(html, str) and isinstance(html, AnimationHTML)
    assert html._repr_html_() == str(html)
    assert repr(html) == "<lazyrich animation: 3 frames>"
    assert 'type="range"' in html and "_anim_slider" in html
    assert html.count("data:image/png;base64") == 3
    assert len(html) < 2 * 1024**2
    # The figure was closed: no static copy is shown below the animation.
    assert plt.get_fignums() == []


def test_lambda_sweep_animation_is_reproducible():
    first = lambda_sweep_animation(SIGMA_YX, [0.5], t=T)
    second = lambda_sweep_animation(SIGMA_YX, [0.5], t=T)
    assert first == second
    # Matplotlib's random uuid4 id is gone.
    assert not re.search(r"_anim_img[0-9a-f]{32}\"", first)


def test_lambda_sweep_animation_options():
    html = lambda_sweep_animation(
        SIGMA_YX,
        [1.0],
        t=T,
        rng=np.random.default_rng(1),
        aligned=True,
        div_id="sweep_a",
    )
    assert html.n_frames == 1
    assert 'id="_anim_imgsweep_a"' in html and "animsweep_a" in html


@pytest.mark.parametrize(
    ("lams", "kwargs", "message"),
    [
        (np.linspace(-1, 1, widgets.MAX_FRAMES + 1), {}, "at most 12 frames"),
        ([], {}, "lams must not be empty"),
        ([0.0], {"div_id": "no-hyphens"}, "div_id"),
        ([0.0], {"scale": 0.0}, "scale must be positive"),
        ([1.0], {"n_hidden": 4}, "infeasible"),
    ],
)
def test_lambda_sweep_animation_rejects_bad_input(lams, kwargs, message):
    with pytest.raises(ValueError, match=message):
        lambda_sweep_animation(SIGMA_YX, lams, t=T, **kwargs)


# ----------------------------------------------------------------------
# Figures shown inside widgets carry alt text
# ----------------------------------------------------------------------


def test_figure_image_is_a_png_with_escaped_alt_text():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    image = widgets.figure_image(fig, 'Line "a" < line b & c.')
    assert not plt.fignum_exists(fig.number)  # rendered, then closed
    assert image.png.startswith(b"\x89PNG\r\n\x1a\n")
    bundle = image._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/png", "text/plain"}
    html_alt = re.search(r'alt="([^"]*)"', bundle["text/html"]).group(1)
    assert html_alt == "Line &quot;a&quot; &lt; line b &amp; c."
    # The HTML carries the same image as the PNG entry.
    assert bundle["image/png"] in bundle["text/html"]


@pytest.mark.parametrize("alt", ["", "   ", None, 3])
def test_figure_image_rejects_missing_alt_text(alt):
    fig = plt.figure()
    with pytest.raises(ValueError, match="alt must be a non-empty description"):
        widgets.figure_image(fig, alt)


def test_explorers_describe_their_figure(monkeypatch):
    """Every redraw of an explorer hands a description to the Output."""
    shown = []
    original = widgets.figure_image

    def spy(fig, alt, **kwargs):
        shown.append(alt)
        return original(fig, alt, **kwargs)

    monkeypatch.setattr(widgets, "figure_image", spy)
    scalar_mode_explorer(s=2.0)
    lambda_explorer(SIGMA_YX, t=T)
    assert len(shown) == 2
    assert "a₀ = 0.01" in shown[0] and "s = 2" in shown[0]
    assert "3, 2, 1" in shown[1]


def test_animation_loads_nothing_from_the_network_and_has_alt_text():
    html = lambda_sweep_animation(SIGMA_YX, [-2, 0, 2], t=T)
    assert "http://" not in html and "https://" not in html
    alt = re.search(r'<img alt="([^"]*)" id="_anim_img', html).group(1)
    assert "λ = -2, 0, 2" in alt and "3, 2, 1" in alt
    custom = lambda_sweep_animation(SIGMA_YX, [0, 1], t=T, alt="Two <frames>.")
    assert '<img alt="Two &lt;frames&gt;." id="_anim_img' in custom


@pytest.mark.parametrize("alt", ["", " ", 5])
def test_animation_rejects_empty_alt_text(alt):
    with pytest.raises(ValueError, match="alt must be a non-empty description"):
        lambda_sweep_animation(SIGMA_YX, [0, 1], t=T, alt=alt)


def test_animation_stands_in_for_itself_where_html_cannot_run():
    html = lambda_sweep_animation(SIGMA_YX, [0, 1], t=T)
    assert html._repr_markdown_() == (
        "*The online version of the book shows an animation of 2 frames here.*"
    )
    assert html._repr_html_() == str(html)

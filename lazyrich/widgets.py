"""Interactive explorers of the dynamics, each with a static counterpart.

The explorers are ipywidgets sliders over the figures of
:mod:`lazyrich.plots`; they need a running kernel. The built book has none,
so every explorer has a counterpart that tells the same story without one:

==============================  =====================================
Explorer (needs a kernel)       Counterpart (static HTML)
==============================  =====================================
:func:`scalar_mode_explorer`    :func:`scalar_mode_static`, a Figure
:func:`lambda_explorer`         :func:`lambda_sweep_animation`, HTML
                                with its own JavaScript slider
==============================  =====================================

ipywidgets is imported only inside the explorers, so ``import lazyrich``
works without it.

Checking outputs with nbval
---------------------------
- A widget's output in a notebook is its model id (random, and skipped by
  nbval) plus a plain-text repr; the figures it draws are captured by the
  front end when the notebook is saved but arrive as ordinary outputs when
  nbval re-runs the cell. Tag cells that display an explorer
  ``nbval-ignore-output``.
- Matplotlib's ``to_jshtml`` names the elements of its animation with a
  random ``uuid4``. :func:`lambda_sweep_animation` replaces it by an id
  derived from the frames, so the same animation gives the same HTML on
  every run of one machine; the frames are PNGs, which another Matplotlib
  or FreeType version draws differently, so a notebook shared with other
  machines tags the cell ``nbval-ignore-output`` too.
"""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import io
import re

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation

from ._validation import (
    as_finite_scalar,
    as_matrix,
    as_positive,
    as_rng,
    as_times,
    as_width,
)
from .balancing import check_feasible, lambda_balanced
from .exact import ExactDynamics
from .plots import _NEUTRAL, _as_vector, plot_trajectories, small_multiples, style
from .scalar import scalar_mode

__all__ = [
    "AnimationHTML",
    "FigureImage",
    "figure_image",
    "lambda_explorer",
    "lambda_sweep_animation",
    "scalar_mode_explorer",
    "scalar_mode_static",
    "show_in",
]

# The animation embeds one PNG per frame; this many keeps it near 0.5 MB.
MAX_FRAMES = 12

# Time axis of the scalar-mode figures, in units of tau = 1.
_SCALAR_T_END = 8.0


def _require_ipywidgets(caller):
    """Import ipywidgets, or raise ``ImportError`` with an install hint."""
    try:
        import ipywidgets
    except ImportError:
        raise ImportError(
            f"{caller} needs ipywidgets; install it with "
            "`pip install ipywidgets` (or `pip install lazyrich[widgets]`). "
            "Without a kernel, use its static counterpart instead"
        ) from None
    return ipywidgets


class FigureImage:
    """A rendered figure that displays as a PNG with alternative text.

    Its ``text/html`` form is an ``<img>`` carrying ``alt``, which front ends
    (JupyterLab, the widget manager of the built book) prefer to the bare
    ``image/png``, so that a screen reader can describe a figure drawn
    inside a widget.

    Parameters
    ----------
    png : bytes
        The PNG image.
    alt : str
        What the figure shows, in one or two sentences.
    """

    def __init__(self, png, alt):
        self.png, self.alt = png, alt

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = base64.b64encode(self.png).decode("ascii")
        img = (
            f'<img alt="{html_lib.escape(self.alt, quote=True)}" '
            f'src="data:image/png;base64,{data}">'
        )
        return {"text/html": img, "image/png": data, "text/plain": self.alt}


def figure_image(fig, alt, *, dpi=100):
    """Render ``fig`` as a :class:`FigureImage` with alt text, and close it.

    Use it to display a figure in an interactive callback, where the
    figure changes with the sliders and so does its description.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; it is closed after rendering.
    alt : str
        Alternative text: what the figure shows.
    dpi : float, optional
        Resolution of the PNG, in dots per inch.

    Returns
    -------
    FigureImage

    Raises
    ------
    ValueError
        If ``alt`` is not a non-empty string.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 1])
    >>> image = figure_image(fig, "A straight line from (0, 0) to (1, 1).")
    >>> image.alt
    'A straight line from (0, 0) to (1, 1).'
    """
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(
            f"alt must be a non-empty description of the figure, got {alt!r}"
        )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return FigureImage(buffer.getvalue(), alt.strip())


def show_in(out, fig, alt):
    """Replace the content of an Output widget by a figure with alt text.

    This is the redraw step of an explorer: the callback of its sliders
    draws a fresh figure and hands it here, with a description that
    follows the sliders. Outside a running IPython (a script, a test) there
    is nothing to show the widget in, and the figure is only closed.

    Parameters
    ----------
    out : ipywidgets.Output
        The widget whose content is replaced.
    fig : matplotlib.figure.Figure
        The figure; it is closed after rendering.
    alt : str
        What the figure shows (see :func:`figure_image`).

    Raises
    ------
    ValueError
        If ``alt`` is not a non-empty string.
    """
    from IPython import get_ipython
    from IPython.display import display

    image = figure_image(fig, alt)
    if get_ipython() is not None:
        with out:
            out.clear_output(wait=True)
            display(image)


# ----------------------------------------------------------------------
# One mode
# ----------------------------------------------------------------------


def _draw_scalar(ax, t, s, lam, a0s, *, tau=1.0, xlabel="t / τ", legend=True):
    """Draw ``a(t)`` for each initial product in ``a0s``, and the target."""
    curves = np.column_stack([scalar_mode(t, s, a0, lam, tau=tau) for a0 in a0s])
    labels = [f"a₀ = {a0:.3g}" for a0 in a0s]
    ax.axhline(s, color=_NEUTRAL, linestyle=":", linewidth=1)
    ax.axhline(0.0, color=_NEUTRAL, linewidth=0.6)
    plot_trajectories(
        t, curves, ax=ax, labels=labels, xlabel=xlabel, ylabel="a(t)", legend=legend
    )
    # Room for the full swing from a negative a0 to the target.
    low = min(0.0, float(np.min(a0s)))
    ax.set_ylim(low - 0.08 * (s - low + 1e-12), 1.15 * max(s, float(np.max(a0s))))
    ax.set_xlim(t[0], t[-1])


def scalar_mode_explorer(s=1.0):
    """Sliders for the single-mode network ``a(t)``: λ, ``a0`` and τ.

    The plot shows ``a(t)`` from :func:`lazyrich.scalar_mode` on a
    fixed time axis ``0 <= t <= 8``, with the target ``s`` dotted, and
    redraws when a slider is released. Near λ = 0 a small ``|a0|`` gives a
    long plateau and a sigmoidal rise; large ``|λ|`` gives a fast
    exponential approach; a negative ``a0`` at λ = 0 stays on the saddle.

    Parameters
    ----------
    s : float, optional
        Target singular value, ``s > 0``.

    Returns
    -------
    ipywidgets.VBox
        The controls (λ, ``|a0|`` on a log scale, the sign of ``a0`` and τ)
        above an Output holding the plot. Its static counterpart is
        :func:`scalar_mode_static`.

    Raises
    ------
    ImportError
        If ipywidgets is not installed.

    Notes
    -----
    The plot is drawn into the Output when the explorer is built, so a
    saved notebook shows it. A front end stores that figure in the widget's
    state, but nbval receives it as an ordinary output of the cell: tag the
    cell ``nbval-ignore-output``.

    Examples
    --------
    In a notebook, make it the last expression of a cell:

    >>> scalar_mode_explorer(s=2.0)  # doctest: +SKIP
    """
    widgets = _require_ipywidgets("scalar_mode_explorer")
    s = as_positive("s", s)
    t = np.linspace(0.0, _SCALAR_T_END, 400)

    # Controls: λ, |a0| on a log scale with its sign, and τ.
    lam = widgets.FloatSlider(value=0.0, min=-10.0, max=10.0, step=0.1, description="λ")
    size = widgets.FloatLogSlider(
        value=1e-2, base=10, min=-4, max=0, step=0.1, description="|a₀|"
    )
    sign = widgets.ToggleButtons(
        options=[("a₀ > 0", 1.0), ("a₀ < 0", -1.0)], value=1.0, description="sign"
    )
    tau = widgets.FloatSlider(value=1.0, min=0.25, max=4.0, step=0.25, description="τ")
    controls = (lam, size, sign, tau)
    for control in controls:
        control.continuous_update = False
    sign.style.button_width = "5em"
    out = widgets.Output()

    # Redraw on release: a fresh figure, shown in the Output, then closed.
    def update(change=None):
        with style():
            fig, ax = plt.subplots(figsize=(5.6, 3.2))
        a0 = sign.value * size.value
        _draw_scalar(ax, t, s, lam.value, [a0], tau=tau.value, xlabel="t", legend=False)
        ax.set_title(f"λ = {lam.value:g}, a₀ = {a0:.3g}, τ = {tau.value:g}")
        alt = (
            f"The product a(t) of the one-mode network from a₀ = {a0:.3g} "
            f"towards the target s = {s:g}, for λ = {lam.value:g} and "
            f"τ = {tau.value:g}, over 0 ≤ t ≤ {t[-1]:g}."
        )
        show_in(out, fig, alt)

    for control in controls:
        control.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox([lam, size]), widgets.HBox([sign, tau]), out])


def scalar_mode_static(s=1.0, lams=(-10, -1, 0, 1, 10), a0s=(1e-3, 1e-1, -1e-1)):
    """Small multiples of ``a(t)``: one panel per λ, one curve per ``a0``.

    The static counterpart of :func:`scalar_mode_explorer` (τ = 1).

    Parameters
    ----------
    s : float, optional
        Target singular value, ``s > 0``.
    lams : sequence of float, optional
        Balance coefficients, one panel each.
    a0s : sequence of float, optional
        Initial products, one curve each (of either sign).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = scalar_mode_static(s=1.0, lams=(0, 10))
    >>> [ax.get_title() for ax in fig.axes]
    ['λ = 0', 'λ = 10']
    >>> plt.close(fig)
    """
    s = as_positive("s", s)
    lams = _as_vector("lams", lams)
    a0s = _as_vector("a0s", a0s)
    t = np.linspace(0.0, _SCALAR_T_END, 400)

    # One panel per λ, on a shared time axis.
    fig, axes = small_multiples(
        lams, lambda ax, lam: _draw_scalar(ax, t, s, lam, a0s), sharex=True
    )

    # One legend is enough: the curves are the same in every panel.
    for ax in axes[1:]:
        ax.get_legend().remove()
    return fig


# ----------------------------------------------------------------------
# The λ sweep of a whole network
# ----------------------------------------------------------------------


def _check_sweep(sigma_yx, t, n_hidden, scale, rng):
    """Validate the shared arguments of the λ sweep.

    Returns the clean arguments, with ``rng`` turned into one integer seed
    so that every λ gets the same initial directions.
    """
    sigma_yx = as_matrix("sigma_yx", sigma_yx)
    t = as_times(t, sorted_required=True)
    n_out, n_in = sigma_yx.shape
    n_hidden = min(n_in, n_out) if n_hidden is None else as_width("n_hidden", n_hidden)
    scale = as_positive("scale", scale)
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)):
        rng = int(as_rng(rng).integers(2**32))
    return sigma_yx, t, n_hidden, scale, int(rng)


def _singular_values(sigma_yx, lam, t, n_hidden, scale, rng, aligned):
    """Exact singular values of ``W2 W1`` over time, shape (n_times, r)."""
    n_out, n_in = sigma_yx.shape
    # A seed gives the same directions for every λ: only λ changes.
    task = sigma_yx if aligned else None
    W1, W2 = lambda_balanced(
        n_in, n_hidden, n_out, lam, scale=scale, rng=rng, sigma_yx=task
    )
    W = ExactDynamics(W1, W2, sigma_yx).network_function(t)
    return np.linalg.svd(W, compute_uv=False)


def _draw_sweep(ax, t, sv, targets, lam, top):
    """Draw one frame: singular values of ``W2 W1`` and their targets."""
    labels = [f"mode {alpha + 1}" for alpha in range(sv.shape[1])]
    for target in targets:
        ax.axhline(target, color=_NEUTRAL, linestyle=":", linewidth=1)
    plot_trajectories(
        t, sv, ax=ax, labels=labels, ylabel="singular values of W₂W₁", legend="outside"
    )
    ax.set_xlim(t[0], t[-1])
    ax.set_ylim(0.0, top)
    ax.set_title(f"λ = {lam:g}")


class AnimationHTML(str):
    """HTML of a JavaScript animation; it displays as the animation.

    A ``str`` holding the markup, whose plain-text repr is a short summary
    so that a notebook stores (and nbval compares) the HTML only once.
    Its Markdown repr is one sentence for a page that cannot run the
    animation, such as the PDF of the book: Jupyter and the HTML book show
    the HTML instead, while the PDF build ranks Markdown above plain text
    and cannot render HTML.

    Attributes
    ----------
    n_frames : int
        Number of frames.
    """

    def __new__(cls, html, n_frames):
        obj = super().__new__(cls, html)
        obj.n_frames = n_frames
        return obj

    def _repr_html_(self):
        return str(self)

    def _repr_markdown_(self):
        return (
            "*The online version of the book shows an animation of "
            f"{self.n_frames} frames here.*"
        )

    def __repr__(self):
        return f"<lazyrich animation: {self.n_frames} frames>"


def lambda_sweep_animation(
    sigma_yx,
    lams,
    *,
    t,
    n_hidden=None,
    scale=1e-3,
    rng=0,
    aligned=False,
    div_id=None,
    alt=None,
):
    """Animate the exact singular values of ``W2 W1`` across λ, as HTML.

    Each frame is one value of λ: the singular values of the network
    function of the exact solution from λ-balanced weights of initial
    scale ``scale``, against time, with the task's singular values dotted.
    Near λ = 0 the modes rise one by one, sigmoidally; at large ``|λ|`` all
    of them rise together, fast. The HTML carries its own JavaScript slider
    and play buttons, so it stays interactive in the static book; it is the
    static counterpart of :func:`lambda_explorer`.

    Parameters
    ----------
    sigma_yx : array_like, shape (n_out, n_in)
        Input–output covariance of the whitened task.
    lams : array_like, shape (n_frames,)
        Balance coefficients, one frame each, at most 12 (each frame is an
        embedded PNG of about 40 kB).
    t : array_like, shape (n_times,)
        Non-decreasing times, in units of τ.
    n_hidden : int, optional
        Hidden width; defaults to ``min(n_in, n_out)``, which every λ allows.
    scale : float, optional
        Singular value of every mode of the initial ``W2 W1``.
    rng : int or numpy.random.Generator, optional
        Seed of the random initial directions, the same for every frame (a
        generator is drawn from once, for a seed).
    aligned : bool, optional
        Start from the task's own singular vectors instead of random ones;
        each mode then follows :func:`lazyrich.scalar_mode`. With
        random directions and λ = 0 exactly, square networks start on a
        saddle for about half of the seeds (the initial overlap with the
        growing directions is singular) and one mode is never learned.
    div_id : str, optional
        Identifier of the HTML elements and JavaScript object (letters,
        digits and underscores). By default it is derived from the frames,
        so the output is the same on every run (see Notes).
    alt : str, optional
        Alternative text of the frame image, for screen readers. By default
        it names the λ values and the task's singular values.

    Returns
    -------
    AnimationHTML
        A ``str`` of HTML that displays as the animation in Jupyter.

    Notes
    -----
    Matplotlib's ``FuncAnimation.to_jshtml`` names the animation's elements
    with ``uuid.uuid4().hex``, different on every call, which would make a
    notebook's stored output differ from a fresh run under nbval. Here it is
    replaced by ``div_id``, or by a hash of the frames, so identical frames
    give identical HTML. Two identical animations on one page would share
    the id; give them distinct ``div_id``. The frames are PNGs, which change
    with the Matplotlib and FreeType versions, so tag the cell
    ``nbval-ignore-output`` in a notebook meant for other machines.

    Matplotlib's template links a Font Awesome stylesheet from a CDN for the
    icons of its play buttons; that link is removed, so the HTML loads
    nothing from the network. The icons come from whatever Font Awesome the
    page has: JupyterLab and the book's theme both provide one.

    Examples
    --------
    >>> import numpy as np
    >>> sigma_yx = np.diag([3.0, 2.0, 1.0])
    >>> html = lambda_sweep_animation(
    ...     sigma_yx, [-5, 0, 5], t=np.linspace(0, 6, 100))
    >>> html
    <lazyrich animation: 3 frames>
    >>> "_anim_slider" in html, "https://" in html
    (True, False)
    """
    # Validate: the task, a few finite λ, the times and an id usable in JS.
    sigma_yx, t, n_hidden, scale, rng = _check_sweep(sigma_yx, t, n_hidden, scale, rng)
    lams = _as_vector("lams", lams)
    if lams.size > MAX_FRAMES:
        raise ValueError(
            f"lams has {lams.size} values but the animation takes at most "
            f"{MAX_FRAMES} frames (each is an embedded image); pick fewer λ, "
            "or use lambda_explorer for a continuous slider"
        )
    if div_id is not None and not re.fullmatch(r"[A-Za-z0-9_]+", str(div_id)):
        raise ValueError(
            f"div_id must contain only letters, digits and underscores, got {div_id!r}"
        )
    if alt is not None and (not isinstance(alt, str) or not alt.strip()):
        raise ValueError(
            f"alt must be a non-empty description of the animation, got {alt!r}"
        )

    # Every frame's trajectories, computed before drawing; one y-range.
    frames = [
        _singular_values(sigma_yx, lam, t, n_hidden, scale, rng, aligned)
        for lam in lams
    ]
    targets = np.linalg.svd(sigma_yx, compute_uv=False)
    top = 1.12 * max(float(targets.max()), max(float(sv.max()) for sv in frames))

    # Draw the first frame; later frames only move the lines.
    with style():
        fig, ax = plt.subplots(figsize=(5.6, 3.0))
        try:
            _draw_sweep(ax, t, frames[0], targets, lams[0], top)
            lines = [line for line in ax.lines if line.get_gid() == "exact"]

            def show(index):
                for line, values in zip(lines, frames[index].T, strict=True):
                    line.set_ydata(values)
                ax.set_title(f"λ = {lams[index]:g}")
                return lines

            animation = FuncAnimation(
                fig, show, frames=len(lams), interval=700, repeat=False
            )
            html = animation.to_jshtml(default_mode="once")
        finally:
            # No stray static copy of the figure below the animation.
            plt.close(fig)

    # Replace Matplotlib's random element id by a reproducible one.
    match = re.search(r'id="_anim_img([0-9a-f]{32})"', html)
    if match is not None:
        random_id = match.group(1)
        if div_id is None:
            digest = hashlib.sha256(html.replace(random_id, "").encode()).hexdigest()
            div_id = "lazyrich" + digest[:16]
        html = html.replace(random_id, str(div_id))

    # Nothing from the network: drop the template's CDN stylesheet link.
    html = re.sub(r'<link rel="stylesheet"\s+href="https?://[^"]*">\s*', "", html)
    # Describe the frame image for screen readers.
    if alt is None:
        alt = (
            "Singular values of the network function W2W1 over time, one frame "
            "per balance coefficient λ = "
            + ", ".join(f"{lam:g}" for lam in lams)
            + ", rising towards the task's singular values "
            + ", ".join(f"{x:.3g}" for x in targets)
            + "."
        )
    html = html.replace(
        "<img id=", f'<img alt="{html_lib.escape(alt.strip(), quote=True)}" id=', 1
    )
    return AnimationHTML(html, len(lams))


def lambda_explorer(
    sigma_yx,
    *,
    t,
    n_hidden=None,
    scale=1e-3,
    rng=0,
    aligned=False,
    lam_range=(-10.0, 10.0),
):
    """A slider over λ showing the exact singular values of ``W2 W1``.

    The live version of one frame of :func:`lambda_sweep_animation` (its
    static counterpart): the exact solution is recomputed when the slider
    is released.

    Parameters
    ----------
    sigma_yx : array_like, shape (n_out, n_in)
        Input–output covariance of the whitened task.
    t : array_like, shape (n_times,)
        Non-decreasing times, in units of τ.
    n_hidden : int, optional
        Hidden width; defaults to ``min(n_in, n_out)``, which every λ allows.
    scale : float, optional
        Singular value of every mode of the initial ``W2 W1``.
    rng : int or numpy.random.Generator, optional
        Seed of the random initial directions, the same for every λ (a
        generator is drawn from once, for a seed).
    aligned : bool, optional
        Start from the task's own singular vectors instead of random ones;
        each mode then follows :func:`lazyrich.scalar_mode`. With
        random directions and λ = 0 exactly, square networks start on a
        saddle for about half of the seeds (the initial overlap with the
        growing directions is singular) and one mode is never learned.
    lam_range : (float, float), optional
        Range of the λ slider.

    Returns
    -------
    ipywidgets.VBox
        The λ slider above an Output holding the plot.

    Raises
    ------
    ImportError
        If ipywidgets is not installed.

    Notes
    -----
    The plot is drawn into the Output when the explorer is built, so a
    saved notebook shows it. A front end stores that figure in the widget's
    state, but nbval receives it as an ordinary output of the cell: tag the
    cell ``nbval-ignore-output``.

    Examples
    --------
    >>> import numpy as np
    >>> sigma_yx = np.diag([3.0, 2.0, 1.0])
    >>> lambda_explorer(sigma_yx, t=np.linspace(0, 6, 200))  # doctest: +SKIP
    """
    widgets = _require_ipywidgets("lambda_explorer")
    sigma_yx, t, n_hidden, scale, rng = _check_sweep(sigma_yx, t, n_hidden, scale, rng)
    try:
        low, high = (as_finite_scalar("lam_range entry", x) for x in lam_range)
    except (TypeError, ValueError):
        raise ValueError(
            f"lam_range must be two finite numbers (low, high), got {lam_range!r}"
        ) from None
    if not low < high:
        raise ValueError(f"lam_range must have low < high, got {lam_range!r}")
    n_out, n_in = sigma_yx.shape
    check_feasible(low, n_in, n_hidden, n_out)
    check_feasible(high, n_in, n_hidden, n_out)
    targets = np.linalg.svd(sigma_yx, compute_uv=False)

    # The slider starts at the value nearest λ = 0 in its range.
    lam = widgets.FloatSlider(
        value=min(max(0.0, low), high),
        min=low,
        max=high,
        step=(high - low) / 80,
        description="λ",
        continuous_update=False,
    )
    out = widgets.Output()

    # Redraw on release: solve at the new λ, draw, show in the Output.
    def update(change=None):
        sv = _singular_values(sigma_yx, lam.value, t, n_hidden, scale, rng, aligned)
        top = 1.12 * max(float(targets.max()), float(sv.max()))
        with style():
            fig, ax = plt.subplots(figsize=(5.6, 3.0))
        _draw_sweep(ax, t, sv, targets, lam.value, top)
        alt = (
            f"Singular values of the network function over time for "
            f"λ = {lam.value:.3g}, rising towards the task's singular values "
            + ", ".join(f"{x:.3g}" for x in targets)
            + "."
        )
        show_in(out, fig, alt)

    lam.observe(update, names="value")
    update()
    return widgets.VBox([lam, out])

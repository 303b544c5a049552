"""Figures of the learning dynamics, drawn the same way in every chapter.

Every public function draws one kind of figure, validates its input, and
returns the Axes (or Figure) it drew on; none of them calls ``plt.show()``,
which the chapters do at the end of each plotting cell.

Look
----
All figures use :func:`style`: an opaque white background (so that the PNGs
stay readable when the book is read in its dark theme), no top or right
spines on line plots, and the Okabe–Ito palette :data:`PALETTE`, which stays
distinguishable under the common forms of colour blindness. Heatmaps use
:data:`DIVERGING` (``"RdBu_r"``), centred at zero so that white always
means zero, and :data:`SEQUENTIAL` (``"cividis"``) for data known to be
non-negative; both stay readable to colour-blind readers. A function
given an existing ``ax`` draws with the same colours and spines, but fonts
and sizes are set when the Axes is created: make it inside
``with style():`` (or with :func:`small_multiples`) for the full look.

References
----------
M. Okabe and K. Ito, *Color Universal Design (CUD): how to make figures and
presentations that are friendly to colorblind people*, 2008.
"""

from __future__ import annotations

import contextlib
import functools
import math
import numbers

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullFormatter

from ._validation import as_matrix, as_width

__all__ = [
    "DIVERGING",
    "PALETTE",
    "SEQUENTIAL",
    "plot_blocks",
    "plot_kernel_distance",
    "plot_lazy_rich_curve",
    "plot_similarity",
    "plot_trajectories",
    "rc_params",
    "small_multiples",
    "style",
]

# Okabe–Ito colours, ordered so that the first few contrast most on white:
# blue, orange, bluish green, vermillion, reddish purple, sky blue, black,
# and yellow last (it is faint on a white background).
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#000000",
    "#F0E442",
)

# Colour-blind-safe, perceptually uniform maps for heatmaps.
SEQUENTIAL = "cividis"
DIVERGING = "RdBu_r"

# Colour of reference marks (targets, λ = 0) and of the exact/simulated key.
_NEUTRAL = "#555555"

# At most this many simulation markers per curve; denser ones are thinned.
_MAX_MARKERS = 25


# ----------------------------------------------------------------------
# Style
# ----------------------------------------------------------------------


def rc_params():
    """Return the Matplotlib settings of the book's figures.

    Returns
    -------
    dict
        A fresh dictionary of rcParams, for ``matplotlib.rc_context``.
    """
    return {
        # Opaque white canvas: readable on the light and the dark theme.
        "figure.facecolor": "white",
        "figure.edgecolor": "white",
        "axes.facecolor": "white",
        "savefig.facecolor": "white",
        "savefig.edgecolor": "white",
        "savefig.transparent": False,
        "figure.dpi": 110,
        "savefig.dpi": "figure",
        "figure.figsize": (6.0, 3.6),
        "figure.constrained_layout.use": True,
        # Type sizes.
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.fontsize": 9,
        "legend.frameon": False,
        # Quiet axes.
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": "#333333",
        "axes.linewidth": 0.8,
        "xtick.color": "#333333",
        "ytick.color": "#333333",
        "axes.prop_cycle": cycler(color=list(PALETTE)),
        "lines.linewidth": 1.8,
        "lines.markersize": 5,
        "image.cmap": SEQUENTIAL,
        "image.interpolation": "nearest",
        "animation.frame_format": "png",
    }


@contextlib.contextmanager
def style():
    """Context manager that draws figures in the book's style.

    Figures and Axes created inside the ``with`` block keep the look after
    it ends (see :func:`rc_params`).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> with style():
    ...     fig, ax = plt.subplots()
    >>> ax.spines["top"].get_visible()
    False
    >>> plt.close(fig)
    """
    with mpl.rc_context(rc_params()):
        yield


def _styled(func):
    """Run ``func`` inside :func:`style`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with style():
            return func(*args, **kwargs)

    return wrapper


# ----------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------


def _as_vector(name, value):
    """Return ``value`` as a non-empty, finite 1-D float array."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a 1-D array of real numbers; could not convert "
            f"{type(value).__name__} ({exc})"
        ) from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite numbers; found NaN or inf")
    return array


def _as_curves(name, value, n_times, times_name):
    """Return curves as an ``(n_times, n_curves)`` array, or raise."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be an array of shape (n_times,) or (n_times, "
            f"n_curves); could not convert {type(value).__name__} ({exc})"
        ) from None
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n_times,) or (n_times, n_curves), got "
            f"shape {array.shape}; reshape a stack of matrices to "
            f"(n_times, -1) first"
        )
    if array.shape[0] != n_times:
        hint = ""
        if array.shape[1] == n_times:
            hint = "; its transpose has the right shape (times go down rows)"
        raise ValueError(
            f"{name} must have one row per time, {n_times} rows to match "
            f"{times_name} of length {n_times}; got shape {array.shape}{hint}"
        )
    if array.size == 0:
        raise ValueError(f"{name} must hold at least one curve")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite numbers; found NaN or inf")
    return array


def _as_labels(name, labels, n, what):
    """Return ``labels`` as a list of ``n`` strings (or ``None``)."""
    if labels is None:
        return None
    if isinstance(labels, str):
        labels = [labels]
    labels = [str(label) for label in labels]
    if len(labels) != n:
        raise ValueError(
            f"{name} must give one label per {what}: expected {n}, got {len(labels)}"
        )
    return labels


def _as_square(name, value, what):
    """Return one square matrix, or raise with a hint for a stack."""
    if np.ndim(value) == 3:
        raise ValueError(
            f"{name} must be one {what} matrix, got a stack of shape "
            f"{np.shape(value)}; pick one time, for example {name}[-1]"
        )
    matrix = as_matrix(name, value)
    if matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {matrix.shape}")
    return matrix


def _as_vmax(vmax, data):
    """Return a positive colour limit: ``vmax``, or the data's largest size."""
    if vmax is None:
        vmax = float(np.max(np.abs(data)))
        return vmax if vmax > 0 else 1.0
    if isinstance(vmax, bool) or not isinstance(vmax, numbers.Real):
        raise ValueError(f"vmax must be a positive number, got {vmax!r}")
    if not (np.isfinite(vmax) and vmax > 0):
        raise ValueError(f"vmax must be a positive, finite number, got {vmax}")
    return float(vmax)


def _get_axes(ax, *, heatmap=False):
    """Return ``ax``, or new Axes; give either the book's look."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4.4, 3.6) if heatmap else None)
    elif not isinstance(ax, Axes):
        raise ValueError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")

    # An existing figure may be transparent (Jupyter's inline default),
    # which makes black text vanish on the dark theme.
    figure = _root_figure(ax)
    if mpl.colors.to_rgba(figure.get_facecolor())[3] < 1:
        figure.set_facecolor("white")

    # Line plots drop the top and right spines; heatmaps keep a frame.
    for side in ("top", "right"):
        ax.spines[side].set_visible(heatmap)
    return ax


def _root_figure(ax):
    """Return the top-level Figure that holds ``ax`` (through subfigures)."""
    figure = ax.figure
    return getattr(figure, "figure", None) or figure


def _plain_number(x, _position=None):
    """Format a tick as a plain number with a typographic minus."""
    return f"{x:g}".replace("-", "\N{MINUS SIGN}")


def _colours(n):
    """Return ``n`` colours from the palette, cycling if needed."""
    return [PALETTE[i % len(PALETTE)] for i in range(n)]


def _colourbar(ax, image):
    """Attach a slim colourbar to ``ax``."""
    colourbar = ax.figure.colorbar(image, ax=ax, fraction=0.05, pad=0.03)
    colourbar.outline.set_linewidth(0.6)
    return colourbar


# ----------------------------------------------------------------------
# Line plots
# ----------------------------------------------------------------------


@_styled
def plot_trajectories(
    t,
    exact,
    simulated=None,
    *,
    ax=None,
    labels=None,
    t_sim=None,
    xlabel="t / τ",
    ylabel=None,
    title=None,
    legend=True,
    exact_label="exact",
    sim_label="simulated",
):
    """Plot exact trajectories as lines and a simulation as open markers.

    Each component (a singular value, a weight entry, ...) gets one colour,
    shared by its exact line and its simulated markers, so agreement shows
    as markers sitting on their line. A single legend names the components
    and says once which style is exact and which is simulated.

    Parameters
    ----------
    t : array_like, shape (n_times,)
        Times of the exact solution.
    exact : array_like, shape (n_times,) or (n_times, n_curves)
        Exact values, one column per component.
    simulated : array_like, shape (n_sim,) or (n_sim, n_curves), optional
        Simulated values of the same components, at ``t_sim``. Dense
        simulations are thinned to at most 25 markers per curve.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; new Axes are made if omitted.
    labels : sequence of str, length n_curves, optional
        Names of the components, shown in the legend.
    t_sim : array_like, shape (n_sim,), optional
        Times of the simulation; defaults to ``t``.
    xlabel, ylabel, title : str, optional
        Axis labels and title.
    legend : bool or "outside", optional
        Draw the legend (when there is anything to name), inside the Axes
        or, with ``"outside"``, to their right.
    exact_label, sim_label : str, optional
        Legend names of the two styles, for example ``"closed form"`` when
        the markers are a prediction rather than a simulation.

    Returns
    -------
    matplotlib.axes.Axes
        Exact lines carry the gid ``"exact"`` and simulated ones
        ``"simulated"``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from lazyrich.scalar import scalar_mode
    >>> t = np.linspace(0, 8, 200)
    >>> a = np.column_stack([scalar_mode(t, 1.0, 1e-3, lam) for lam in (0, 2)])
    >>> ax = plot_trajectories(t, a, a[::10], t_sim=t[::10],
    ...                        labels=["λ = 0", "λ = 2"], ylabel="a(t)")
    >>> len(ax.lines)
    4
    >>> plt.close(ax.figure)
    """
    # Validate: times, then curves with one row per time.
    t = _as_vector("t", t)
    exact = _as_curves("exact", exact, len(t), "t")
    n_curves = exact.shape[1]
    if simulated is not None:
        times_name = "t" if t_sim is None else "t_sim"
        t_sim = t if t_sim is None else _as_vector("t_sim", t_sim)
        simulated = _as_curves("simulated", simulated, len(t_sim), times_name)
        if simulated.shape[1] != n_curves:
            raise ValueError(
                f"simulated must have as many curves as exact ({n_curves}), "
                f"got {simulated.shape[1]}"
            )
    elif t_sim is not None:
        raise ValueError("t_sim was given without simulated values to plot")
    labels = _as_labels("labels", labels, n_curves, "curve")
    if legend not in (True, False, "outside"):
        raise ValueError(f"legend must be True, False or 'outside', got {legend!r}")
    ax = _get_axes(ax)
    colours = _colours(n_curves)

    # Exact solution: one line per component.
    for i in range(n_curves):
        ax.plot(t, exact[:, i], color=colours[i], gid="exact", zorder=2)

    # Simulation on top: open markers in the matching colour.
    if simulated is not None:
        every = max(1, math.ceil(len(t_sim) / _MAX_MARKERS))
        for i in range(n_curves):
            ax.plot(
                t_sim,
                simulated[:, i],
                linestyle="none",
                marker="o",
                markerfacecolor="none",
                markeredgecolor=colours[i],
                markeredgewidth=1.2,
                markevery=every,
                gid="simulated",
                zorder=3,
            )

    # One legend: the components, then the key to exact vs simulated.
    handles = []
    if labels is not None:
        handles += [
            Line2D([], [], color=c, label=label)
            for c, label in zip(colours, labels, strict=True)
        ]
    if simulated is not None:
        handles += [
            Line2D([], [], color=_NEUTRAL, label=exact_label),
            Line2D(
                [],
                [],
                color=_NEUTRAL,
                linestyle="none",
                marker="o",
                markerfacecolor="none",
                label=sim_label,
            ),
        ]
    if legend == "outside" and handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    elif legend and handles:
        ax.legend(handles=handles)

    ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    return ax


def _as_distance_curves(distances, n_times):
    """Return kernel-distance curves as an ``(n_curves, n_times)`` array."""
    if isinstance(distances, (list, tuple)):
        lengths = {np.ndim(d) for d in distances}
        if lengths != {1}:
            raise ValueError(
                "distances must be one curve of shape (n_times,) or a sequence "
                "of such curves; some entries are not 1-D"
            )
        if len({len(d) for d in distances}) > 1:
            raise ValueError(
                "every curve in distances must have the same length as t "
                f"({n_times}); got lengths {[len(d) for d in distances]}"
            )
    try:
        array = np.asarray(distances, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"distances must be numbers of shape (n_times,) or (n_curves, "
            f"n_times); could not convert ({exc})"
        ) from None
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.size == 0:
        raise ValueError(
            f"distances must have shape (n_times,) or (n_curves, n_times), "
            f"got shape {array.shape}"
        )
    if array.shape[1] != n_times:
        hint = ""
        if array.shape[0] == n_times:
            hint = "; its transpose has the right shape (one curve per row)"
        raise ValueError(
            f"each curve in distances must have {n_times} values to match t; "
            f"got shape {array.shape}{hint}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError("distances must contain only finite numbers")
    return array


def _distance_axis(ax, data):
    """Put the kernel distance on the y-axis, from 0 to at least 1."""
    top = max(1.0, float(np.max(data)))
    ax.set_ylim(-0.03, top + 0.03)
    ax.set_yticks(np.linspace(0, 1, 5))


@_styled
def plot_kernel_distance(
    t, distances, *, labels=None, ax=None, xlabel="t / τ", title=None
):
    """Plot how far the tangent kernel has moved, ``S(0, t)``, over time.

    ``S = 0`` means the kernel has kept its initial shape (lazy); values
    near 1 mean it has been rebuilt (rich). The y-axis spans [0, 1] in every
    figure so that panels compare at a glance.

    Parameters
    ----------
    t : array_like, shape (n_times,)
        Times.
    distances : array_like, shape (n_times,) or (n_curves, n_times)
        One curve, or a sequence of curves, of the kernel distance
        ``S(0, t)`` (for example one per λ).
    labels : sequence of str, length n_curves, optional
        Names of the curves, shown in a legend.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; new Axes are made if omitted.
    xlabel, title : str, optional
        Axis label and title.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> t = np.linspace(0, 10, 100)
    >>> lazy, rich = 0.02 * (1 - np.exp(-t)), 0.6 * (1 - np.exp(-t / 3))
    >>> ax = plot_kernel_distance(t, [lazy, rich], labels=["λ = 10", "λ = 0"])
    >>> len(ax.lines)
    2
    >>> plt.close(ax.figure)
    """
    t = _as_vector("t", t)
    curves = _as_distance_curves(distances, len(t))
    labels = _as_labels("labels", labels, len(curves), "curve")
    ax = _get_axes(ax)

    # One line per curve, in palette order.
    for i, (colour, curve) in enumerate(
        zip(_colours(len(curves)), curves, strict=True)
    ):
        label = None if labels is None else labels[i]
        ax.plot(t, curve, color=colour, label=label)

    _distance_axis(ax, curves)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("kernel distance S(0, t)")
    if labels is not None:
        ax.legend()
    if title is not None:
        ax.set_title(title)
    return ax


@_styled
def plot_lazy_rich_curve(lams, distance, *, ax=None, xscale="symlog", title=None):
    """Plot the kernel distance at convergence against λ: the lazy–rich curve.

    Large ``|λ|`` leaves the kernel where it started (lazy); λ near zero
    lets it move (rich). A dashed line marks λ = 0.

    Parameters
    ----------
    lams : array_like, shape (n_lams,)
        Balance coefficients; sorted before plotting.
    distance : array_like, shape (n_lams,)
        Kernel distance ``S(0, t_end)`` reached at each λ.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; new Axes are made if omitted.
    xscale : {"symlog", "linear"}, optional
        Scale of the λ axis. ``"symlog"`` is logarithmic in ``|λ|`` away
        from zero and linear below the power of ten at or under the
        smallest non-zero ``|λ|`` (at most 1).
    title : str, optional
        Title.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> lams = np.array([-10, -3, -1, 0, 1, 3, 10.0])
    >>> ax = plot_lazy_rich_curve(lams, 0.6 / (1 + lams**2))
    >>> ax.get_xscale()
    'symlog'
    >>> plt.close(ax.figure)
    """
    # Validate: matching 1-D arrays and a scale that allows negative λ.
    lams = _as_vector("lams", lams)
    distance = _as_vector("distance", distance)
    if distance.shape != lams.shape:
        raise ValueError(
            f"distance must have one value per λ: lams has shape "
            f"{lams.shape}, distance has shape {distance.shape}"
        )
    if xscale not in ("symlog", "linear"):
        raise ValueError(
            f"xscale must be 'symlog' or 'linear' (λ takes both signs), got {xscale!r}"
        )
    ax = _get_axes(ax)

    # The curve, in increasing λ.
    order = np.argsort(lams, kind="stable")
    ax.plot(lams[order], distance[order], color=PALETTE[0], marker="o", markersize=4)

    # λ = 0, the richest point, marked by a dashed line.
    ax.axvline(0.0, color=_NEUTRAL, linestyle="--", linewidth=1, gid="lambda-zero")
    ax.annotate(
        "λ = 0",
        xy=(0.0, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(4, -2),
        textcoords="offset points",
        ha="left",
        va="top",
        color=_NEUTRAL,
        fontsize=9,
    )

    # Symmetric log scale, linear below the decade of the smallest non-zero
    # |λ| (at most 1), with ticks written as plain numbers.
    if xscale == "symlog":
        nonzero = np.abs(lams[lams != 0])
        smallest = float(nonzero.min()) if nonzero.size else 1.0
        linthresh = min(1.0, 10.0 ** np.floor(np.log10(smallest)))
        ax.set_xscale("symlog", linthresh=linthresh)
        ax.xaxis.set_major_formatter(FuncFormatter(_plain_number))
        ax.xaxis.set_minor_formatter(NullFormatter())

    _distance_axis(ax, distance)
    ax.set_xlabel("λ")
    ax.set_ylabel("kernel distance at convergence")
    if title is not None:
        ax.set_title(title)
    return ax


# ----------------------------------------------------------------------
# Heatmaps
# ----------------------------------------------------------------------


@_styled
def plot_blocks(qqt, n_in, *, ax=None, title=None, vmax=None):
    """Show one ``QQ^T`` matrix with its four blocks outlined and named.

    ``QQ^T = [[W1^T W1, W1^T W2^T], [W2 W1, W2 W2^T]]`` holds the input
    representation (top left), the network function (bottom left and its
    transpose top right) and the output representation (bottom right).
    The colour map is diverging and symmetric about zero.

    Parameters
    ----------
    qqt : array_like, shape (n_in + n_out, n_in + n_out)
        One matrix ``QQ^T``, for example ``ExactDynamics.qqt(t)[-1]``.
    n_in : int
        Input width: the size of the top-left block, ``1 <= n_in < N``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; new Axes are made if omitted.
    title : str, optional
        Title.
    vmax : float, optional
        Colour limit (the map spans ``[-vmax, vmax]``); defaults to the
        largest ``|entry|``. Pass a common value to compare several panels.

    Returns
    -------
    matplotlib.axes.Axes
        Its image carries a colourbar (``ax.images[0].colorbar``).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from lazyrich.balancing import lambda_balanced
    >>> from lazyrich.exact import ExactDynamics
    >>> sigma_yx = np.diag([3.0, 2.0, 1.0])
    >>> W1, W2 = lambda_balanced(3, 3, 3, lam=0.0, scale=1e-3, rng=0)
    >>> qqt = ExactDynamics(W1, W2, sigma_yx).qqt([20.0])[0]
    >>> ax = plot_blocks(qqt, n_in=3, title="t = 20τ")
    >>> ax.images[0].colorbar is not None
    True
    >>> plt.close(ax.figure)
    """
    # Validate: one square matrix split at a valid n_in.
    qqt = _as_square("qqt", qqt, "(n_in + n_out, n_in + n_out)")
    size = qqt.shape[0]
    n_in = as_width("n_in", n_in)
    if n_in >= size:
        raise ValueError(
            f"n_in must be smaller than the size of qqt ({size}) so that "
            f"n_out = size - n_in >= 1; got n_in = {n_in}"
        )
    n_out = size - n_in
    vmax = _as_vmax(vmax, qqt)
    ax = _get_axes(ax, heatmap=True)

    # Heatmap, white at zero.
    image = ax.imshow(qqt, cmap=DIVERGING, vmin=-vmax, vmax=vmax)
    _colourbar(ax, image)

    # Block boundaries.
    edge = n_in - 0.5
    ax.axhline(edge, color="#222222", linewidth=1.2)
    ax.axvline(edge, color="#222222", linewidth=1.2)

    # Block names, in the top-left corner of each block.
    blocks = (
        (0, 0, r"$W_1^\top W_1$"),
        (0, n_in, r"$W_1^\top W_2^\top$"),
        (n_in, 0, r"$W_2 W_1$"),
        (n_in, n_in, r"$W_2 W_2^\top$"),
    )
    for row, col, name in blocks:
        ax.annotate(
            name,
            xy=(col - 0.5, row - 0.5),
            xytext=(3, -3),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=9,
            bbox={
                "boxstyle": "round,pad=0.2",
                "fc": "white",
                "ec": "none",
                "alpha": 0.8,
            },
        )

    # Ticks name the halves: inputs, then outputs.
    centres = [(n_in - 1) / 2, n_in + (n_out - 1) / 2]
    ax.set_xticks(centres, ["input", "output"])
    ax.set_yticks(centres, ["input", "output"], rotation=90, va="center")
    ax.tick_params(length=0)
    if title is not None:
        ax.set_title(title)
    return ax


@_styled
def plot_similarity(K, items=None, *, ax=None, title=None, vmax=None, signed=True):
    """Show an item-by-item similarity or kernel matrix.

    Parameters
    ----------
    K : array_like, shape (n_items, n_items)
        Similarities, for example the hidden-layer kernel
        ``X.T @ W1.T @ W1 @ X``.
    items : sequence of str, length n_items, optional
        Item names, used as tick labels on both axes.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; new Axes are made if omitted.
    title : str, optional
        Title.
    vmax : float, optional
        Colour limit; defaults to the largest ``|entry|``. Pass a common
        value to compare several panels.
    signed : bool, optional
        With ``True`` (the default) the diverging map, centred at zero, as
        in :func:`plot_blocks`; it suits any data and keeps panels that are
        compared alike. With ``False`` the sequential map from zero, for
        data known to be non-negative (an entry below zero is an error).

    Returns
    -------
    matplotlib.axes.Axes
        Its image carries a colourbar (``ax.images[0].colorbar``).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> K = np.array([[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 1.0]])
    >>> ax = plot_similarity(K, ["canary", "robin", "oak"])
    >>> [label.get_text() for label in ax.get_xticklabels()]
    ['canary', 'robin', 'oak']
    >>> plt.close(ax.figure)
    """
    K = _as_square("K", K, "(n_items, n_items)")
    n_items = K.shape[0]
    items = _as_labels("items", items, n_items, "row of K")
    vmax = _as_vmax(vmax, K)
    if not signed and np.min(K) < -1e-12 * vmax:
        raise ValueError(
            f"K has negative entries (down to {np.min(K):.3g}), which the "
            "sequential map of signed=False cannot show; use signed=True"
        )
    ax = _get_axes(ax, heatmap=True)

    # Diverging about zero, or sequential from zero for non-negative data.
    if signed:
        image = ax.imshow(K, cmap=DIVERGING, vmin=-vmax, vmax=vmax)
    else:
        image = ax.imshow(K, cmap=SEQUENTIAL, vmin=0.0, vmax=vmax)
    _colourbar(ax, image)

    # Item names on both axes (indices if there are none).
    ticks = np.arange(n_items)
    names = [str(i) for i in ticks] if items is None else items
    ax.set_xticks(ticks, names, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(ticks, names)
    ax.tick_params(length=0)
    if title is not None:
        ax.set_title(title)
    return ax


# ----------------------------------------------------------------------
# Grids
# ----------------------------------------------------------------------


@_styled
def small_multiples(
    values,
    draw,
    *,
    ncols=3,
    sharey=True,
    sharex=False,
    panel_title="λ = {:g}",
    figsize=None,
):
    """Make a grid of panels, one per value, each drawn by ``draw(ax, value)``.

    Parameters
    ----------
    values : sequence
        One entry per panel, passed to ``draw`` and to ``panel_title``.
    draw : callable
        ``draw(ax, value)`` draws one panel; it runs inside :func:`style`,
        and may call the other functions of this module with ``ax=ax``.
    ncols : int, optional
        Panels per row (fewer if there are fewer values).
    sharey, sharex : bool, optional
        Share the y (x) axis; inner tick labels and axis labels are hidden.
    panel_title : str or None, optional
        Format string for each panel's title, filled with its value; use
        ``"{}"`` for non-numeric values and ``None`` for no titles.
    figsize : (float, float), optional
        Figure size in inches; by default 2.6 x 2.3 per panel.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : ndarray of Axes, shape (len(values),)
        The panels in the order of ``values`` (unused grid cells are removed).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from lazyrich.scalar import scalar_mode
    >>> t = np.linspace(0, 8, 200)
    >>> def draw(ax, lam):
    ...     plot_trajectories(t, scalar_mode(t, 1.0, 1e-3, lam), ax=ax)
    >>> fig, axes = small_multiples([0, 1, 10], draw)
    >>> [ax.get_title() for ax in axes]
    ['λ = 0', 'λ = 1', 'λ = 10']
    >>> plt.close(fig)
    """
    # Validate: at least one value, a callable, a positive column count.
    values = list(values)
    if not values:
        raise ValueError("values must hold at least one entry (one per panel)")
    if not callable(draw):
        raise ValueError(f"draw must be a callable draw(ax, value), got {draw!r}")
    ncols = min(as_width("ncols", ncols), len(values))
    nrows = math.ceil(len(values) / ncols)
    if figsize is None:
        figsize = (2.6 * ncols, 2.3 * nrows)

    # The grid; cells beyond the last value are removed.
    fig, grid = plt.subplots(
        nrows, ncols, figsize=figsize, sharex=sharex, sharey=sharey, squeeze=False
    )
    cells = grid.ravel()
    axes = cells[: len(values)]
    for cell in cells[len(values) :]:
        cell.remove()

    # One panel per value.
    for ax, value in zip(axes, values, strict=True):
        draw(ax, value)
        if panel_title is not None:
            try:
                ax.set_title(panel_title.format(value))
            except (ValueError, TypeError, IndexError, KeyError) as exc:
                raise ValueError(
                    f"panel_title {panel_title!r} cannot format the value "
                    f"{value!r} ({exc}); use '{{}}' for non-numeric values"
                ) from None

    # Shared axes: labels only on the outer panels. A panel whose lower
    # neighbour was removed keeps its x tick labels.
    for index, ax in enumerate(axes):
        row, col = divmod(index, ncols)
        if sharey and col > 0:
            ax.set_ylabel("")
        if sharex:
            bottom = index + ncols >= len(values)
            if bottom:
                ax.xaxis.set_tick_params(labelbottom=True)
            else:
                ax.set_xlabel("")
    return fig, axes

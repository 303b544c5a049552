"""Reading a student's answer, for the check functions of the exercises.

Every chapter's exercises come with small ``check_…`` functions that compare
a student's answer with an independent computation. Before comparing, they
need the answer as numbers, and a wrong answer of the wrong kind (an
exception, ``None``, a string, a NaN, the wrong shape) should get a verdict,
not a traceback. These two helpers turn an answer into an array or into a
sentence saying what is wrong with it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["as_numbers", "run_answer"]


def as_numbers(value, shape=None, allow_inf=False):
    """An answer as floats, or what is wrong with it.

    Parameters
    ----------
    value : object
        The student's answer: a number, a sequence or an array.
    shape : tuple of int, optional
        The shape the answer must have; ``()`` accepts a scalar or a
        one-element array.
    allow_inf : bool, optional
        Accept infinite entries (for instance an unbounded interval).

    Returns
    -------
    array : numpy.ndarray or None
        The answer as floats, or ``None`` if it is not usable.
    problem : str or None
        ``None`` if the answer is usable, else a short description such as
        ``"expected numbers, got None"`` or ``"got NaN"``.

    Examples
    --------
    >>> as_numbers([1, 2])
    (array([1., 2.]), None)
    >>> as_numbers(None)
    (None, 'expected numbers, got None')
    >>> as_numbers([1.0, float("nan")])[1]
    'got NaN'
    >>> as_numbers([1, 2, 3], shape=(2,))[1]
    'expected shape (2,), got shape (3,)'
    """
    raw = np.asarray(value, dtype=object)
    if any(v is None or isinstance(v, str) for v in raw.ravel()):
        return None, f"expected numbers, got {value!r:.60}"
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None, f"expected numbers, got {type(value).__name__}"
    if shape == () and array.size == 1:
        array = array.reshape(())
    if shape is not None and array.shape != tuple(shape):
        return None, f"expected shape {tuple(shape)}, got shape {array.shape}"
    if np.isnan(array).any():
        return None, "got NaN"
    if not allow_inf and np.isinf(array).any():
        return None, "got inf"
    return array, None


def run_answer(func, *args, shape=None, allow_inf=False):
    """Call a student's function and read what it returns.

    Parameters
    ----------
    func : callable
        The student's function.
    *args
        Its arguments.
    shape, allow_inf
        As for :func:`as_numbers`.

    Returns
    -------
    array : numpy.ndarray or None
        What ``func`` returned, as floats, or ``None``.
    problem : str or None
        ``None``, or what went wrong: the exception ``func`` raised, or what
        is wrong with its return value.

    Examples
    --------
    >>> run_answer(lambda x: 1 / x, 0.0)
    (None, 'your function raised ZeroDivisionError: float division by zero')
    >>> run_answer(lambda x: 2 * x, 1.5, shape=())
    (array(3.), None)
    """
    try:
        value = func(*args)
    except Exception as exc:  # any failure of the student's code is a verdict
        return None, f"your function raised {type(exc).__name__}: {exc}"
    return as_numbers(value, shape, allow_inf)

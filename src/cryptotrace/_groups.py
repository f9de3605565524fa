"""Reductions over CSR groups: the one home of the numeric kernels chain, heuristics and tracing share.

A chain's index lays each transaction's inputs and outputs out as contiguous runs (CSR offsets:
group ``i`` is ``values[start[i]:start[i + 1]]``); these reduce every group at once with numpy.
"""

from __future__ import annotations

import numpy as np

__all__ = ["group_reduce", "group_sum"]


def group_sum(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over the CSR groups ``start[i]:start[i+1]`` (exact int64).

    Examples
    --------
    >>> group_sum(np.array([1, 2, 3, 4]), np.array([0, 1, 1, 4])).tolist()
    [1, 0, 9]
    """
    csum = np.concatenate([[0], np.cumsum(values, dtype=np.int64)])
    return csum[start[1:]] - csum[start[:-1]]


def group_reduce(values: np.ndarray, start: np.ndarray, ufunc, empty) -> np.ndarray:
    """``ufunc.reduce`` of ``values`` over the CSR groups ``start[i]:start[i+1]``; ``empty`` for empty groups.

    Examples
    --------
    >>> group_reduce(np.array([5, 2, 7]), np.array([0, 2, 2, 3]), np.maximum, -1).tolist()
    [5, -1, 7]
    """
    n = len(start) - 1
    sizes = np.diff(start)
    out = np.full(n, empty, dtype=np.result_type(values.dtype, np.asarray(empty).dtype))
    ne = sizes > 0
    if ne.any():
        out[ne] = ufunc.reduceat(values, start[:-1][ne])
    return out

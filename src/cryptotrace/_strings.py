"""Text columns from integer codes without a Python object per row (the chain and the economy share it)."""

from __future__ import annotations

import numpy as np

__all__ = ["take_strings"]


def take_strings(strings, codes: np.ndarray):
    """Strings for integer codes (-1 gives a missing value) as a pandas Arrow string array, without Python objects.

    ``strings`` is a pandas string Index or array, or an Arrow string array.
    """
    import pandas as pd
    import pyarrow as pa

    if len(strings) == 0:
        return pd.array([pd.NA] * len(codes), dtype="string")
    base = strings if isinstance(strings, (pa.Array, pa.ChunkedArray)) else pa.array(strings.array)
    if isinstance(base, pa.ChunkedArray):
        base = base.combine_chunks()
    return pd.arrays.ArrowStringArray(base.take(pa.array(np.maximum(codes, 0), mask=codes < 0)))

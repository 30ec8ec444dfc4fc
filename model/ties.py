"""Friendship ties for the array engine: an undirected simple graph stored as CSR arrays.

:class:`TieTable` is the straightforward reference structure: the sorted list of tie keys is
the source of truth and the CSR adjacency is rebuilt after every batch of changes. It is
exact and simple; faster structures must reproduce its answers (same neighbours in the same
order, same sums), which the tests check.

Example:
    >>> import numpy as np
    >>> t = TieTable(4, np.array([0, 0, 1]), np.array([1, 2, 2]))
    >>> t.neighbours(0).tolist(), t.degree.tolist()
    ([1, 2], [2, 2, 2, 0])
    >>> t.apply(remove=(np.array([0]), np.array([1])), add=(np.array([3]), np.array([0])))
    (1, 1)
    >>> t.neighbours(0).tolist()
    [2, 3]
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

_EMPTY = np.zeros(0, dtype=np.int64)


def concat_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for each (s, l), vectorised."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return _EMPTY
    ends = np.cumsum(lengths)
    offsets = np.repeat(np.asarray(starts, dtype=np.int64) - (ends - lengths), lengths)
    return np.arange(total, dtype=np.int64) + offsets


class TieTable:
    """Undirected ties among ``n`` citizens with CSR adjacency (neighbours sorted by id).

    Args:
        n: Number of citizens.
        u: First endpoints of the initial ties.
        v: Second endpoints (self-loops and duplicates are dropped).
    """

    def __init__(self, n: int, u, v) -> None:
        self.n = int(n)
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        keep = lo != hi
        self._keys = np.unique(lo[keep] * self.n + hi[keep])
        self._rebuild()

    # --- structure ---------------------------------------------------------------------
    def _rebuild(self) -> None:
        n = self.n
        lo, hi = self._keys // n, self._keys % n
        src = np.concatenate([lo, hi])
        dst = np.concatenate([hi, lo])
        order = np.lexsort((dst, src))
        self.indices = dst[order]
        self.degree = np.bincount(src, minlength=n).astype(np.int64)
        self.indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(self.degree, out=self.indptr[1:])
        self._csr = None

    @property
    def n_ties(self) -> int:
        """Number of undirected ties."""
        return int(self._keys.size)

    @property
    def csr(self) -> sp.csr_array:
        """Adjacency matrix (0/1 entries, symmetric), built lazily."""
        if self._csr is None:
            data = np.ones(self.indices.size, dtype=np.float64)
            self._csr = sp.csr_array((data, self.indices, self.indptr), shape=(self.n, self.n))
        return self._csr

    # --- queries -----------------------------------------------------------------------
    def neighbours(self, i: int) -> np.ndarray:
        """Friends of citizen ``i``, sorted by id."""
        return self.indices[self.indptr[i]:self.indptr[i + 1]]

    def incident(self, nodes) -> tuple[np.ndarray, np.ndarray]:
        """Directed pairs (node, friend) for each node in ``nodes`` (in the order given)."""
        nodes = np.asarray(nodes, dtype=np.int64)
        starts = self.indptr[nodes]
        lengths = self.indptr[nodes + 1] - starts
        return np.repeat(nodes, lengths), self.indices[concat_ranges(starts, lengths)]

    def directed(self) -> tuple[np.ndarray, np.ndarray]:
        """All directed pairs (citizen, friend), sorted by citizen then friend."""
        return np.repeat(np.arange(self.n, dtype=np.int64), self.degree), self.indices

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """All ties as (u, v) with u < v, sorted."""
        return self._keys // self.n, self._keys % self.n

    def has_tie(self, a, b) -> np.ndarray:
        """Whether each pair (a[k], b[k]) are friends."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        keys = np.minimum(a, b) * self.n + np.maximum(a, b)
        pos = np.searchsorted(self._keys, keys)
        found = np.zeros(keys.shape, dtype=bool)
        inside = pos < self._keys.size
        found[inside] = self._keys[pos[inside]] == keys[inside]
        return found & (a != b)

    def neighbour_sum(self, values: np.ndarray) -> np.ndarray:
        """For each citizen, the sum of ``values`` over its friends."""
        return self.csr @ np.asarray(values, dtype=np.float64)

    # --- changes -----------------------------------------------------------------------
    def apply(self, *, remove=(_EMPTY, _EMPTY), add=(_EMPTY, _EMPTY)) -> tuple[int, int]:
        """Remove ties, then add ties, in one batch; returns (removed, added) counts.

        Removing a missing tie or adding an existing one (or a self-loop) does nothing.
        """
        n = self.n
        ru, rv = (np.asarray(x, dtype=np.int64) for x in remove)
        au, av = (np.asarray(x, dtype=np.int64) for x in add)
        before = self._keys.size
        if ru.size:
            rkeys = np.minimum(ru, rv) * n + np.maximum(ru, rv)
            self._keys = self._keys[~np.isin(self._keys, rkeys)]
        removed = before - self._keys.size
        added = 0
        if au.size:
            ok = au != av
            akeys = np.minimum(au, av)[ok] * n + np.maximum(au, av)[ok]
            mid = self._keys.size
            self._keys = np.union1d(self._keys, akeys)
            added = self._keys.size - mid
        if removed or added:
            self._rebuild()
        return removed, added

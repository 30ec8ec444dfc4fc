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


def unique_sorted(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (``np.unique`` by sorting: numpy 2's hash-based unique is
    several times slower on millions of integers).
    """
    values = np.sort(np.asarray(values).ravel())
    if values.size < 2:
        return values
    keep = np.empty(values.size, dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def canonical_keys(n: int, u, v) -> np.ndarray:
    """Sorted unique undirected keys ``min * n + max`` of the pairs, without self-loops."""
    u = np.asarray(u, dtype=np.int64).ravel()
    v = np.asarray(v, dtype=np.int64).ravel()
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    keep = lo != hi
    keys = lo[keep] * n + hi[keep]
    if keys.size < 2 or bool((keys[1:] > keys[:-1]).all()):  # already sorted and distinct
        return keys
    return unique_sorted(keys)


class TieMethods:
    """Queries any tie structure offers once it has ``n``, ``degree`` and ``incident``."""

    def nth_neighbour(self, rows, k) -> np.ndarray:
        """The ``k[i]``-th friend (0-based, by id) of citizen ``rows[i]``.

        Rows without friends, or ``k`` out of range, give the row itself (callers mask them).
        """
        rows = np.asarray(rows, dtype=np.int64)
        k = np.asarray(k, dtype=np.int64)
        shape = np.broadcast_shapes(rows.shape, k.shape)
        rows = np.broadcast_to(rows, shape).ravel()
        k = np.broadcast_to(k, shape).ravel()
        unique_rows, where = np.unique(rows, return_inverse=True)
        _, friends = self.incident(unique_rows)
        starts = np.zeros(unique_rows.size + 1, dtype=np.int64)
        np.cumsum(self.degree[unique_rows], out=starts[1:])
        ok = (k >= 0) & (k < self.degree[rows])
        if friends.size == 0:
            return rows.reshape(shape)
        pos = np.where(ok, starts[where] + k, 0)
        return np.where(ok, friends[pos], rows).reshape(shape)

    def spread(self, citizens, values: np.ndarray, into: np.ndarray) -> None:
        """Add ``values[c]`` to ``into[f]`` for every friend ``f`` of each of ``citizens``."""
        owners, friends = self.incident(citizens)
        np.add.at(into, friends, values[owners])

    def rank_in_row(self, rows, cols) -> np.ndarray:
        """How many friends of ``rows[i]`` have an id below ``cols[i]``."""
        rows = np.asarray(rows, dtype=np.int64).ravel()
        cols = np.asarray(cols, dtype=np.int64).ravel()
        unique_rows, where = np.unique(rows, return_inverse=True)
        _, friends = self.incident(unique_rows)
        ordinal = np.repeat(np.arange(unique_rows.size, dtype=np.int64),
                            self.degree[unique_rows])
        keys = ordinal * self.n + friends
        starts = np.zeros(unique_rows.size + 1, dtype=np.int64)
        np.cumsum(self.degree[unique_rows], out=starts[1:])
        return np.searchsorted(keys, where * self.n + cols) - starts[where]


class TieTable(TieMethods):
    """Undirected ties among ``n`` citizens with CSR adjacency (neighbours sorted by id).

    Args:
        n: Number of citizens.
        u: First endpoints of the initial ties.
        v: Second endpoints (self-loops and duplicates are dropped).
    """

    def __init__(self, n: int, u, v) -> None:
        self.n = int(n)
        self._keys = canonical_keys(self.n, u, v)
        self.version = 0
        self.last_removed = (_EMPTY, _EMPTY)
        self.last_added = (_EMPTY, _EMPTY)
        self._rebuild()

    # --- structure ---------------------------------------------------------------------
    def _rebuild(self) -> None:
        n = self.n
        lo, hi = self._keys // n, self._keys % n
        directed = np.sort(np.concatenate([lo * n + hi, hi * n + lo]))
        src = directed // n
        self.indices = directed - src * n
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

    def component_stats(self) -> tuple[int, int]:
        """Number of connected components and size of the largest (isolates count)."""
        if self.n == 0:
            return 0, 0
        from scipy.sparse.csgraph import connected_components

        count, labels = connected_components(self.csr, directed=False)
        return int(count), int(np.bincount(labels).max())

    # --- changes -----------------------------------------------------------------------
    def apply(self, *, remove=(_EMPTY, _EMPTY), add=(_EMPTY, _EMPTY)) -> tuple[int, int]:
        """Remove ties, then add ties, in one batch; returns (removed, added) counts.

        Removing a missing tie or adding an existing one (or a self-loop) does nothing. The
        ties actually removed and added are kept in ``last_removed`` and ``last_added``.
        """
        n = self.n
        ru, rv = (np.asarray(x, dtype=np.int64) for x in remove)
        au, av = (np.asarray(x, dtype=np.int64) for x in add)
        removed = added = _EMPTY
        if ru.size:
            gone = np.isin(self._keys, canonical_keys(n, ru, rv))
            removed = self._keys[gone]
            self._keys = self._keys[~gone]
        if au.size:
            akeys = canonical_keys(n, au, av)
            added = akeys[~np.isin(akeys, self._keys)]
            self._keys = unique_sorted(np.concatenate([self._keys, added]))
        self.last_removed = (removed // n, removed % n)
        self.last_added = (added // n, added % n)
        if removed.size or added.size:
            self.version += 1
            self._rebuild()
        return int(removed.size), int(added.size)

"""Friendship ties for large populations: a masked CSR with tombstones and an overflow list.

:class:`FastTieTable` answers exactly like the reference :class:`~spiral.model.ties.TieTable`
(same neighbours in the same order, same sums) without rebuilding the adjacency after every
batch of changes:

* the *base* is a CSR built once (neighbours sorted by id); its ``data`` array holds 1.0 for a
  live tie and 0.0 for a cut one (a tombstone), so ``base @ x`` already skips cut ties;
* ties added later (rewiring) go to a sorted *overflow* list of directed keys
  ``citizen * n + friend``; reviving a tombstone reuses its slot instead;
* when tombstones and overflow together exceed a share of the base, the structure is
  compacted (rebuilt from its live ties), so memory and time stay linear in the ties.

A batch of changes costs O(changes * log(degree)); a neighbour sum costs one sparse
matrix-vector product plus O(overflow). Connectivity (components, largest component) is kept
up to date incrementally by :class:`~spiral.model.connectivity.Connectivity` while they are
asked for every month; when nobody asks for a few batches (runs without per-month measures)
the repair stops and the next question is answered by a fresh count.

Example:
    >>> import numpy as np
    >>> t = FastTieTable(4, np.array([0, 0, 1]), np.array([1, 2, 2]))
    >>> t.apply(remove=(np.array([0]), np.array([1])), add=(np.array([3]), np.array([0])))
    (1, 1)
    >>> t.neighbours(0).tolist(), t.degree.tolist()
    ([2, 3], [2, 1, 2, 1])
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from spiral.model.connectivity import Connectivity
from spiral.model.ties import TieMethods, canonical_keys, concat_ranges

_EMPTY = np.zeros(0, dtype=np.int64)
KEEP_COMPONENTS_FOR = 8  # batches of changes without a components question before dropping
# (a month applies up to three batches: rewiring, reconnection, turnover; the components are
# asked for once a month when per-month measures are collected)


class FastTieTable(TieMethods):
    """Undirected ties among ``n`` citizens, changed in place (same interface as TieTable).

    Args:
        n: Number of citizens.
        u: First endpoints of the initial ties.
        v: Second endpoints (self-loops and duplicates are dropped).
        compact_share: Compact when tombstones plus overflow entries exceed this share of
            the base entries.
    """

    def __init__(self, n: int, u, v, *, compact_share: float = 0.25) -> None:
        self.n = int(n)
        self.compact_share = float(compact_share)
        self.version = 0
        self.last_removed = (_EMPTY, _EMPTY)
        self.last_added = (_EMPTY, _EMPTY)
        self._build(canonical_keys(self.n, u, v))
        self._connectivity: Connectivity | None = None
        self._unasked = 0  # batches of changes since components were last asked for

    # --- structure ---------------------------------------------------------------------
    def _build(self, keys: np.ndarray) -> None:
        """(Re)build the base CSR from sorted undirected keys ``lo * n + hi``."""
        n = self.n
        lo, hi = keys // n, keys % n
        directed = np.concatenate([keys, hi * n + lo])
        del lo, hi
        directed.sort()
        rows = directed // n
        # 32-bit column indices halve the memory and bandwidth of the sparse products
        small = directed.size < 2**31 - 1 and n < 2**31 - 1
        index_type = np.int32 if small else np.int64
        self._indices = (directed - rows * n).astype(index_type)
        del directed
        self.degree = np.bincount(rows, minlength=n).astype(np.int64)
        del rows
        self._indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(self.degree, out=self._indptr[1:])
        self._alive = np.ones(self._indices.size, dtype=np.float64)
        self._dead = 0
        self._extra = _EMPTY  # sorted directed keys of ties outside the base
        self._base = sp.csr_array((self._alive, self._indices, self._indptr.astype(index_type)),
                                  shape=(n, n), copy=False)

    def _compact(self) -> None:
        """Rebuild the base from the live ties (drops tombstones, absorbs the overflow)."""
        u, v = self.pairs()
        self._build(u * self.n + v)

    def _changed(self) -> None:
        self.version += 1
        if self._dead + self._extra.size > self.compact_share * max(self._indices.size, 1):
            self._compact()

    @property
    def n_ties(self) -> int:
        """Number of undirected ties."""
        return int(self.degree.sum() // 2)

    def compact_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(indptr, indices) of the live ties as a compact CSR, built now: O(ties)."""
        _, cols = self.directed()
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(self.degree, out=indptr[1:])
        return indptr, cols

    @property
    def indptr(self) -> np.ndarray:
        """Row pointers of the compact adjacency (built on each access: O(ties))."""
        return self.compact_arrays()[0]

    @property
    def indices(self) -> np.ndarray:
        """Column indices of the compact adjacency, sorted within rows (built on each access)."""
        return self.compact_arrays()[1]

    @property
    def csr(self) -> sp.csr_array:
        """Adjacency matrix of the live ties (0/1 entries, symmetric, built on demand)."""
        indptr, indices = self.compact_arrays()
        data = np.ones(indices.size, dtype=np.float64)
        return sp.csr_array((data, indices, indptr), shape=(self.n, self.n))

    # --- locating entries ------------------------------------------------------------------
    def _locate(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Base position of each (row, col), or -1 where the base has no such entry.

        A lower-bound binary search in every queried row at once, with as many rounds as the
        longest row needs (no shrinking subsets: fewer, larger numpy calls).
        """
        lo = self._indptr[rows]
        end = self._indptr[rows + 1]
        hi = end.copy()
        size = self._indices.size
        if size == 0:
            return np.full(lo.shape, -1, dtype=np.int64)
        span = int((end - lo).max(initial=0))
        for _ in range(span.bit_length()):
            mid = (lo + hi) >> 1
            right = (lo < hi) & (self._indices[np.minimum(mid, size - 1)] < cols)
            lo = np.where(right, mid + 1, lo)
            hi = np.where(right, hi, mid)
        found = (lo < end) & (self._indices[np.minimum(lo, size - 1)] == cols)
        return np.where(found, lo, -1)

    def _in_extra(self, keys: np.ndarray) -> np.ndarray:
        if self._extra.size == 0:
            return np.zeros(keys.shape, dtype=bool)
        pos = np.minimum(np.searchsorted(self._extra, keys), self._extra.size - 1)
        return self._extra[pos] == keys

    # --- queries -----------------------------------------------------------------------
    def neighbours(self, i: int) -> np.ndarray:
        """Friends of citizen ``i``, sorted by id."""
        return self.incident(np.array([i], dtype=np.int64))[1]

    def incident(self, nodes) -> tuple[np.ndarray, np.ndarray]:
        """Directed pairs (node, friend) for each node in ``nodes`` (in the order given)."""
        nodes = np.asarray(nodes, dtype=np.int64).ravel()
        starts = self._indptr[nodes]
        lengths = self._indptr[nodes + 1] - starts
        pos = concat_ranges(starts, lengths)
        live = self._alive[pos] != 0
        ordinal = np.repeat(np.arange(nodes.size, dtype=np.int64), lengths)[live]
        friends = self._indices[pos[live]].astype(np.int64)
        if self._extra.size:
            n = self.n
            first = np.searchsorted(self._extra, nodes * n)
            last = np.searchsorted(self._extra, (nodes + 1) * n)
            if (last > first).any():
                extra_pos = concat_ranges(first, last - first)
                extra_ord = np.repeat(np.arange(nodes.size, dtype=np.int64), last - first)
                merged = np.concatenate([ordinal * n + friends,
                                         extra_ord * n + self._extra[extra_pos] % n])
                merged.sort()
                ordinal, friends = merged // n, merged % n
        return nodes[ordinal], friends

    def directed(self) -> tuple[np.ndarray, np.ndarray]:
        """All directed pairs (citizen, friend), sorted by citizen then friend."""
        n = self.n
        live = self._alive != 0
        base_degree = np.diff(self._indptr)
        rows = np.repeat(np.arange(n, dtype=np.int64), base_degree)[live]
        cols = self._indices[live].astype(np.int64)
        if self._extra.size:
            keys = rows * n + cols
            keys = np.insert(keys, np.searchsorted(keys, self._extra), self._extra)
            rows, cols = keys // n, keys % n
        return rows, cols

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """All ties as (u, v) with u < v, sorted."""
        rows, cols = self.directed()
        keep = rows < cols
        return rows[keep], cols[keep]

    def has_tie(self, a, b) -> np.ndarray:
        """Whether each pair (a[k], b[k]) are friends."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        shape = np.broadcast_shapes(a.shape, b.shape)
        a = np.broadcast_to(a, shape).ravel()
        b = np.broadcast_to(b, shape).ravel()
        pos = self._locate(a, b)
        found = np.zeros(a.size, dtype=bool)
        hit = pos >= 0
        found[hit] = self._alive[pos[hit]] != 0
        found |= self._in_extra(a * self.n + b)
        return (found & (a != b)).reshape(shape)

    def neighbour_sum(self, values: np.ndarray) -> np.ndarray:
        """For each citizen, the sum of ``values`` over its friends."""
        values = np.asarray(values, dtype=np.float64)
        out = self._base @ values
        if self._extra.size:
            n = self.n
            out += np.bincount(self._extra // n, weights=values[self._extra % n], minlength=n)
        return out

    def component_stats(self) -> tuple[int, int]:
        """Number of connected components and size of the largest (isolates count)."""
        return self.connectivity.stats()

    def search_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The live structure for compiled graph searches: base (indptr, indices, alive) and
        the sorted overflow keys (read only).
        """
        return self._indptr, self._indices, self._alive, self._extra

    @property
    def connectivity(self) -> Connectivity:
        """The component bookkeeping (built from the current ties when first needed)."""
        self._unasked = 0
        if self._connectivity is None:
            indptr, indices = self.compact_arrays()
            self._connectivity = Connectivity(self.n, indptr, indices)
        return self._connectivity

    # --- changes -----------------------------------------------------------------------
    def apply(self, *, remove=(_EMPTY, _EMPTY), add=(_EMPTY, _EMPTY)) -> tuple[int, int]:
        """Remove ties, then add ties, in one batch; returns (removed, added) counts.

        Removing a missing tie or adding an existing one (or a self-loop) does nothing. The
        ties actually removed and added are kept in ``last_removed`` and ``last_added``.
        """
        n = self.n
        ru, rv = (np.asarray(x, dtype=np.int64) for x in remove)
        au, av = (np.asarray(x, dtype=np.int64) for x in add)
        removed_keys = self._remove(canonical_keys(n, ru, rv)) if ru.size else _EMPTY
        added_keys = self._add(canonical_keys(n, au, av)) if au.size else _EMPTY
        self.last_removed = (removed_keys // n, removed_keys % n)
        self.last_added = (added_keys // n, added_keys % n)
        if removed_keys.size or added_keys.size:
            self._unasked += 1
            if self._unasked > KEEP_COMPONENTS_FOR:
                self._connectivity = None
            elif self._connectivity is not None:
                self._connectivity.update(self, self.last_removed, self.last_added)
            self._changed()
        return int(removed_keys.size), int(added_keys.size)

    def _remove(self, keys: np.ndarray) -> np.ndarray:
        """Remove the existing ties among ``keys`` (sorted, unique); return those removed."""
        n = self.n
        lo, hi = keys // n, keys % n
        pos_lo = self._locate(lo, hi)
        in_base = pos_lo >= 0
        in_base[in_base] = self._alive[pos_lo[in_base]] != 0
        pos_hi = self._locate(hi[in_base], lo[in_base])
        self._alive[pos_lo[in_base]] = 0.0
        self._alive[pos_hi] = 0.0
        self._dead += 2 * int(in_base.sum())
        in_extra = ~in_base & self._in_extra(keys)
        if in_extra.any():  # both directions of each tie leave the sorted overflow
            gone = np.concatenate([keys[in_extra], hi[in_extra] * n + lo[in_extra]])
            self._extra = np.delete(self._extra, np.searchsorted(self._extra, gone))
        removed = keys[in_base | in_extra]
        np.subtract.at(self.degree, removed // n, 1)
        np.subtract.at(self.degree, removed % n, 1)
        return removed

    def _add(self, keys: np.ndarray) -> np.ndarray:
        """Add the ties among ``keys`` (sorted, unique) that do not exist; return those added."""
        n = self.n
        lo, hi = keys // n, keys % n
        keys = keys[~self.has_tie(lo, hi)]
        lo, hi = keys // n, keys % n
        pos_lo = self._locate(lo, hi)
        revive = pos_lo >= 0
        if revive.any():
            self._alive[pos_lo[revive]] = 1.0
            self._alive[self._locate(hi[revive], lo[revive])] = 1.0
            self._dead -= 2 * int(revive.sum())
        new = ~revive
        if new.any():  # new ties (not in the overflow yet): merged into it, kept sorted
            fresh = np.concatenate([keys[new], hi[new] * n + lo[new]])
            fresh.sort()
            self._extra = np.insert(self._extra, np.searchsorted(self._extra, fresh), fresh)
        np.add.at(self.degree, lo, 1)
        np.add.at(self.degree, hi, 1)
        return keys

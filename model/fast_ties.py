"""Friendship ties for large populations: a masked CSR with tombstones and an overflow list.

:class:`FastTieTable` answers exactly like the reference :class:`~spiral.model.ties.TieTable`
(same neighbours in the same order, same sums) without rebuilding the adjacency after every
batch of changes:

* the *base* is a CSR built once (neighbours sorted by id) with a mask: True for a live tie,
  False for a cut one (a tombstone);
* ties added later (rewiring) go to a sorted *overflow* list of directed keys
  ``citizen * n + friend``; reviving a tombstone reuses its slot instead;
* when tombstones and overflow together exceed a share of the base, the structure is
  compacted (rebuilt from its live ties), so memory and time stay linear in the ties.

Queries walk one citizen's row at a time in compiled (numba) kernels, the base row merged
with the citizen's overflow keys. A batch of changes costs O(changes * log(degree)); a
neighbour sum costs one pass over the base (a sparse matrix-vector product, on both cores
for large networks: :mod:`spiral.model.threads`) plus O(overflow).

Connectivity (components, largest component) is kept up to date incrementally by
:class:`~spiral.model.connectivity.Connectivity` while it is asked for every month; when
nobody asks for a few batches (runs without per-month measures) the repair stops and the
next question is answered by a fresh count.

Example:
    >>> import numpy as np
    >>> t = FastTieTable(4, np.array([0, 0, 1]), np.array([1, 2, 2]))
    >>> t.apply(remove=(np.array([0]), np.array([1])), add=(np.array([3]), np.array([0])))
    (1, 1)
    >>> t.neighbours(0).tolist(), t.degree.tolist()
    ([2, 3], [2, 1, 2, 1])
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp
from spiral.model.connectivity import Connectivity, component_labels
from spiral.model.threads import parallel
from spiral.model.ties import TieMethods, canonical_keys

_EMPTY = np.zeros(0, dtype=np.int64)
KEEP_COMPONENTS_FOR = 8  # batches of changes without a components question before dropping
# (a month applies up to three batches: rewiring, reconnection, turnover; the components are
# asked for once a month when per-month measures are collected)


# --- compiled kernels: one citizen's row at a time (base row merged with its overflow) ------
@numba.njit(cache=True, nogil=True, inline="always")
def _extra_range(extra_start, x):
    """Positions of ``x``'s overflow ties in the sorted overflow keys (``extra_start``: where
    each citizen's keys start, so no row needs a search).
    """
    return extra_start[x], extra_start[x + 1]


# Each query kernel is one function for one item (inlined) and two loops over the items: one
# thread, or all of them (:mod:`spiral.model.threads`); every item is computed alone, so both
# give the same answer. The walk merging a base row with its overflow is written out in
# each item function: a shared walking helper measured 1.5 to 2 times slower.
@numba.njit(cache=True, nogil=True, inline="always")
def _incident_one(x, at, src, dst, indptr, indices, alive, extra, extra_start, n):
    """Write (x, friend) for the live ties of ``x`` from position ``at`` on, friends by id."""
    pos, end = indptr[x], indptr[x + 1]
    e, e_end = _extra_range(extra_start, x)
    while pos < end or e < e_end:
        if pos < end and not alive[pos]:
            pos += 1
            continue
        if e < e_end and (pos >= end or extra[e] - x * n < indices[pos]):
            y = extra[e] - x * n
            e += 1
        else:
            y = indices[pos]
            pos += 1
        src[at] = x
        dst[at] = y
        at += 1


@numba.njit(cache=True, nogil=True)
def _incident_serial(nodes, starts, src, dst, indptr, indices, alive, extra, extra_start, n):
    for q in range(nodes.size):
        _incident_one(nodes[q], starts[q], src, dst, indptr, indices, alive, extra, extra_start,
                      n)


@numba.njit(cache=True, nogil=True, parallel=True)
def _incident_parallel(nodes, starts, src, dst, indptr, indices, alive, extra, extra_start, n):
    for q in numba.prange(nodes.size):
        _incident_one(nodes[q], starts[q], src, dst, indptr, indices, alive, extra, extra_start,
                      n)


@numba.njit(cache=True, nogil=True, inline="always")
def _nth_one(x, want, indptr, indices, alive, extra, extra_start, n):
    """The ``want``-th friend (by id) of ``x``; ``x`` itself if out of range."""
    if want < 0:
        return x
    pos, end = indptr[x], indptr[x + 1]
    e, e_end = _extra_range(extra_start, x)
    seen = 0
    while pos < end or e < e_end:
        if pos < end and not alive[pos]:
            pos += 1
            continue
        if e < e_end and (pos >= end or extra[e] - x * n < indices[pos]):
            y = extra[e] - x * n
            e += 1
        else:
            y = numba.int64(indices[pos])
            pos += 1
        if seen == want:
            return y
        seen += 1
    return x


@numba.njit(cache=True, nogil=True)
def _nth_serial(rows, k, out, indptr, indices, alive, extra, extra_start, n):
    for q in range(rows.size):
        out[q] = _nth_one(rows[q], k[q], indptr, indices, alive, extra, extra_start, n)


@numba.njit(cache=True, nogil=True, parallel=True)
def _nth_parallel(rows, k, out, indptr, indices, alive, extra, extra_start, n):
    for q in numba.prange(rows.size):
        out[q] = _nth_one(rows[q], k[q], indptr, indices, alive, extra, extra_start, n)


@numba.njit(cache=True, nogil=True)
def _rank(rows, cols, indptr, indices, alive, extra, extra_start, n):
    """How many friends of each row have an id below the matching ``cols``."""
    out = np.empty(rows.size, dtype=np.int64)
    for q in range(rows.size):
        x, c = rows[q], cols[q]
        count = 0
        for pos in range(indptr[x], indptr[x + 1]):
            if indices[pos] >= c:
                break
            if alive[pos]:
                count += 1
        e, e_end = _extra_range(extra_start, x)
        if e_end > e:
            count += np.searchsorted(extra[e:e_end], x * n + c)
        out[q] = count
    return out


@numba.njit(cache=True, nogil=True, inline="always")
def _locate_one(row, col, indptr, indices):
    """Base position of (row, col), or -1 where the base has no such entry."""
    lo, hi = indptr[row], indptr[row + 1]
    while lo < hi:  # lower bound
        mid = (lo + hi) >> 1
        if indices[mid] < col:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < indptr[row + 1] and indices[lo] == col else -1


@numba.njit(cache=True, nogil=True)
def _locate(rows, cols, indptr, indices):
    """Base position of each (row, col), or -1 where the base has no such entry."""
    out = np.empty(rows.size, dtype=np.int64)
    for q in range(rows.size):
        out[q] = _locate_one(rows[q], cols[q], indptr, indices)
    return out


@numba.njit(cache=True, nogil=True, inline="always")
def _has_one(a, b, indptr, indices, alive, extra, extra_start, n):
    """Whether ``a`` and ``b`` are friends (a live base entry or an overflow key)."""
    if a == b:
        return False
    pos = _locate_one(a, b, indptr, indices)
    if pos >= 0:
        return alive[pos]
    key = a * n + b
    for e in range(extra_start[a], extra_start[a + 1]):  # a citizen's few overflow keys
        if extra[e] >= key:
            return extra[e] == key
    return False


@numba.njit(cache=True, nogil=True)
def _has_tie_serial(a, b, out, indptr, indices, alive, extra, extra_start, n):
    for q in range(a.size):
        out[q] = _has_one(a[q], b[q], indptr, indices, alive, extra, extra_start, n)


@numba.njit(cache=True, nogil=True, parallel=True)
def _has_tie_parallel(a, b, out, indptr, indices, alive, extra, extra_start, n):
    for q in numba.prange(a.size):
        out[q] = _has_one(a[q], b[q], indptr, indices, alive, extra, extra_start, n)


@numba.njit(cache=True, nogil=True)
def _spread(citizens, values, into, indptr, indices, alive, extra, extra_start, n):
    """``into[f] += values[c]`` for every live tie (c, f) of each of ``citizens``."""
    for q in range(citizens.size):
        c = citizens[q]
        amount = values[c]
        for pos in range(indptr[c], indptr[c + 1]):
            if alive[pos]:
                into[indices[pos]] += amount
        e, e_end = _extra_range(extra_start, c)
        for pos in range(e, e_end):
            into[extra[pos] - c * n] += amount


def _ids(values) -> np.ndarray:
    """Citizen ids (or counts) as a flat contiguous int64 array for the kernels."""
    return np.ascontiguousarray(values, dtype=np.int64).reshape(-1)


@numba.njit(cache=True, nogil=True, inline="always")
def _row_sum(x, indptr, indices, alive, values):
    """The sum of ``values`` over the base row of ``x``, in row order (a tombstone adds
    ``value * 0``: no branch in the loop).
    """
    total = 0.0
    for pos in range(indptr[x], indptr[x + 1]):
        total += values[indices[pos]] * alive[pos]
    return total


@numba.njit(cache=True, nogil=True)
def _row_sums_serial(indptr, indices, alive, values, out):
    for x in range(out.size):
        out[x] = _row_sum(x, indptr, indices, alive, values)


@numba.njit(cache=True, nogil=True, parallel=True)
def _row_sums_parallel(indptr, indices, alive, values, out):
    for x in numba.prange(out.size):
        out[x] = _row_sum(numba.int64(x), indptr, indices, alive, values)


@numba.njit(cache=True, nogil=True)
def _add_overflow_sums(extra, extra_start, n, values, out):
    """``out[x] +=`` the sum of ``values`` over ``x``'s overflow ties (summed first, in key
    order, then added), for the citizens that have any.
    """
    for x in range(out.size):
        e, e_end = _extra_range(extra_start, x)
        if e < e_end:
            total = 0.0
            for pos in range(e, e_end):
                total += values[extra[pos] - x * n]
            out[x] += total


@numba.njit(cache=True, nogil=True)
def _csr_of_keys(keys, n, degree, indptr, indices):
    """The CSR of the ties with sorted undirected keys ``lo * n + hi`` (lo < hi), by
    counting: no sort. A row's friends below it come from the keys where it is ``hi``, met in
    increasing ``lo``; those above it from the keys where it is ``lo``, met in increasing
    ``hi``; so placing the first before the second leaves every row sorted.
    """
    below = np.zeros(n, dtype=np.int64)
    for k in range(keys.size):
        lo, hi = keys[k] // n, keys[k] % n
        degree[lo] += 1
        degree[hi] += 1
        below[hi] += 1
    for x in range(n):
        indptr[x + 1] = indptr[x] + degree[x]
    at_below = indptr[:-1].copy()
    at_above = indptr[:-1] + below
    for k in range(keys.size):
        lo, hi = keys[k] // n, keys[k] % n
        indices[at_above[lo]] = hi
        at_above[lo] += 1
        indices[at_below[hi]] = lo
        at_below[hi] += 1


@numba.njit(cache=True, nogil=True)
def _starts(counts, start):
    """``start[x + 1] = counts[0] + ... + counts[x]`` (``start[0]`` stays 0)."""
    total = 0
    for x in range(counts.size):
        total += counts[x]
        start[x + 1] = total


@numba.njit(cache=True, nogil=True)
def _live_rows(indptr, indices, alive, extra, extra_start, out_indptr, out):
    """Every citizen's live friends in ascending order (its live base entries merged with its
    overflow entries, which are never in the base) into ``out`` at ``out_indptr``: O(entries).
    False if a row's live friends do not fill its place exactly (the degrees are wrong).
    """
    n = out_indptr.size - 1
    for x in range(n):
        at, last = out_indptr[x], out_indptr[x + 1]
        pos, end = indptr[x], indptr[x + 1]
        e, stop = extra_start[x], extra_start[x + 1]
        while pos < end or e < stop:
            if pos < end and not alive[pos]:
                pos += 1
                continue
            if at >= last:
                return False
            if e < stop and (pos >= end or extra[e] - x * n < indices[pos]):
                out[at] = extra[e] - x * n
                e += 1
            else:
                out[at] = indices[pos]
                pos += 1
            at += 1
        if at != last:
            return False
    return True


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
        # 32-bit column indices halve the memory and bandwidth of the neighbour sums
        small = 2 * keys.size < 2**31 - 1 and n < 2**31 - 1
        self.degree = np.zeros(n, dtype=np.int64)
        self._indptr = np.zeros(n + 1, dtype=np.int64)
        self._indices = np.empty(2 * keys.size, dtype=np.int32 if small else np.int64)
        _csr_of_keys(np.ascontiguousarray(keys, dtype=np.int64), n, self.degree, self._indptr,
                     self._indices)
        self._alive = np.ones(self._indices.size, dtype=bool)  # False: a tombstone
        self._dead = 0
        self._extra = _EMPTY  # sorted directed keys of ties outside the base
        self._extra_rows = np.zeros(n, dtype=np.int32)  # overflow keys of each citizen
        self._extra_start = np.zeros(n + 1, dtype=np.int64)  # where they start in _extra

    def _compact(self) -> None:
        """Rebuild the base from the live ties (drops tombstones, absorbs the overflow)."""
        total = int(self.degree.sum())
        indptr, indices = self._live_arrays(self._indices.dtype if total < 2**31 - 1
                                            else np.int64)
        self._indptr, self._indices = indptr, indices
        self._alive = np.ones(indices.size, dtype=bool)
        self._dead = 0
        self._extra = _EMPTY
        self._extra_rows = np.zeros(self.n, dtype=np.int32)
        self._extra_start = np.zeros(self.n + 1, dtype=np.int64)

    def _live_arrays(self, dtype) -> tuple[np.ndarray, np.ndarray]:
        """(indptr, indices) of the live ties as a compact CSR (``indices`` in ``dtype``)."""
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(self.degree, out=indptr[1:])
        indices = np.empty(int(indptr[-1]), dtype=dtype)
        if not _live_rows(self._indptr, self._indices, self._alive, self._extra,
                          self._extra_start, indptr, indices):
            raise RuntimeError("tie table: the degrees do not match the live ties")
        return indptr, indices

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
        return self._live_arrays(np.int64)

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
        """Base position of each (row, col), or -1 where the base has no such entry."""
        return _locate(_ids(rows), _ids(cols), self._indptr, self._indices)

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
        nodes = _ids(nodes)
        ends = np.cumsum(self.degree[nodes])
        total = int(ends[-1]) if ends.size else 0
        src = np.empty(total, dtype=np.int64)
        dst = np.empty(total, dtype=np.int64)
        kernel = _incident_parallel if parallel(nodes.size) else _incident_serial
        kernel(nodes, ends - self.degree[nodes], src, dst, *self._kernel_arrays())
        return src, dst

    def nth_neighbour(self, rows, k) -> np.ndarray:
        """The ``k[i]``-th friend (0-based, by id) of citizen ``rows[i]``.

        Rows without friends, or ``k`` out of range, give the row itself (callers mask them).
        """
        rows, k = np.broadcast_arrays(np.asarray(rows, dtype=np.int64),
                                      np.asarray(k, dtype=np.int64))
        out = np.empty(rows.shape, dtype=np.int64)
        kernel = _nth_parallel if parallel(out.size) else _nth_serial
        kernel(_ids(rows), _ids(k), out.reshape(-1), *self._kernel_arrays())
        return out

    def rank_in_row(self, rows, cols) -> np.ndarray:
        """How many friends of ``rows[i]`` have an id below ``cols[i]``."""
        return _rank(_ids(rows), _ids(cols), *self._kernel_arrays())

    def directed(self) -> tuple[np.ndarray, np.ndarray]:
        """All directed pairs (citizen, friend), sorted by citizen then friend."""
        indptr, cols = self.compact_arrays()
        return np.repeat(np.arange(self.n, dtype=np.int64), np.diff(indptr)), cols

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """All ties as (u, v) with u < v, sorted."""
        rows, cols = self.directed()
        keep = rows < cols
        return rows[keep], cols[keep]

    def has_tie(self, a, b) -> np.ndarray:
        """Whether each pair (a[k], b[k]) are friends."""
        a, b = np.broadcast_arrays(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64))
        out = np.empty(a.shape, dtype=bool)
        kernel = _has_tie_parallel if parallel(out.size) else _has_tie_serial
        kernel(_ids(a), _ids(b), out.reshape(-1), *self._kernel_arrays())
        return out

    def _kernel_arrays(self) -> tuple:
        """The arrays every row kernel reads: base CSR with its mask, overflow, ``n``."""
        return (self._indptr, self._indices, self._alive, self._extra, self._extra_start,
                self.n)

    def spread(self, citizens, values: np.ndarray, into: np.ndarray) -> None:
        """Add ``values[c]`` to ``into[f]`` for every friend ``f`` of each of ``citizens``."""
        _spread(_ids(citizens), np.ascontiguousarray(values, dtype=np.float64), into,
                *self._kernel_arrays())

    def neighbour_sum(self, values: np.ndarray) -> np.ndarray:
        """For each citizen, the sum of ``values`` (finite numbers: scores) over its friends."""
        values = np.ascontiguousarray(values, dtype=np.float64)
        out = np.empty(self.n, dtype=np.float64)
        sums = _row_sums_parallel if parallel(self._indices.size) else _row_sums_serial
        sums(self._indptr, self._indices, self._alive, values, out)
        _add_overflow_sums(self._extra, self._extra_start, self.n, values, out)
        return out

    def component_stats(self) -> tuple[int, int]:
        """Number of connected components and size of the largest (isolates count)."""
        return self.connectivity.stats()

    def component_labels(self) -> np.ndarray:
        """A label per citizen, shared by the citizens of its component only: the kept
        forest's, or (when none is kept) from one search of the current ties, keeping none.
        """
        if self._connectivity is not None:
            return self.connectivity.labels()
        return component_labels(*self.compact_arrays())

    def search_arrays(self) -> tuple[np.ndarray, ...]:
        """The live structure for compiled graph searches (read only): base (indptr,
        indices, alive), the sorted overflow keys ``x * n + y`` and where each citizen's
        keys start in them (citizen ``x``'s are ``extra[start[x]:start[x + 1]]``).
        """
        return self._indptr, self._indices, self._alive, self._extra, self._extra_start

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
        in_base[in_base] = self._alive[pos_lo[in_base]]
        pos_hi = self._locate(hi[in_base], lo[in_base])
        self._alive[pos_lo[in_base]] = False
        self._alive[pos_hi] = False
        self._dead += 2 * int(in_base.sum())
        in_extra = ~in_base & self._in_extra(keys)
        if in_extra.any():  # both directions of each tie leave the sorted overflow
            gone = np.concatenate([keys[in_extra], hi[in_extra] * n + lo[in_extra]])
            self._extra = np.delete(self._extra, np.searchsorted(self._extra, gone))
            np.subtract.at(self._extra_rows, gone // n, 1)
            _starts(self._extra_rows, self._extra_start)
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
            self._alive[pos_lo[revive]] = True
            self._alive[self._locate(hi[revive], lo[revive])] = True
            self._dead -= 2 * int(revive.sum())
        new = ~revive
        if new.any():  # new ties (not in the overflow yet): merged into it, kept sorted
            fresh = np.concatenate([keys[new], hi[new] * n + lo[new]])
            fresh.sort()
            self._extra = np.insert(self._extra, np.searchsorted(self._extra, fresh), fresh)
            np.add.at(self._extra_rows, fresh // n, 1)
            _starts(self._extra_rows, self._extra_start)
        np.add.at(self.degree, lo, 1)
        np.add.at(self.degree, hi, 1)
        return keys

"""Connected components kept up to date as ties are cut and made, without a full recount.

Counting components from scratch costs several sparse products per month at 1.1 million
citizens. :class:`Connectivity` instead keeps a spanning forest of the friendship network
(parent pointers, each node's depth, children lists, the size of every tree, and a component
label for every citizen) and repairs it after each batch of changes, compiled with numba (the
repair is a sequence of small walks along the trees, which numpy cannot vectorise):

* a new tie inside one component changes nothing (two label reads); a new tie between two
  trees joins them: the smaller tree is re-rooted at its end of the tie, hung below the
  other end and given the other tree's label;
* cutting a tie outside the forest changes nothing; cutting a forest tie detaches the
  subtree below it. Its top is hung again below its shallowest friend outside the subtree
  (a friend is outside if walking up from it does not lead to the top: a few steps in a
  shallow tree). Only if the top has no such friend is the subtree searched for a member
  that has one (the subtree is then re-rooted there); if none has, the subtree is a
  component of its own, with a new label;
* depths are kept exact, so that every walk is short; when repairs have made a tree much
  deeper than the forest grown at the start, the forest is grown afresh (O(ties)).

A cut tie thus costs a few dozen steps in the usual case (most cuts are not forest ties at
all) and never more than the size of the detached subtree. The answers are exact (the tests
compare them with a full recount after thousands of random cuts and additions, on trees,
paths, sparse and dense graphs).
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp

_EMPTY = np.zeros(0, dtype=np.int64)
NONE = -1
DEEPER_THAN_GROWN = 4  # regrow the forest when a depth exceeds this times the grown depth
MIN_DEPTH_LIMIT = 64  # ... but never below this depth


# --- the forest: parent pointers with doubly linked children lists ------------------------
@numba.njit(cache=True, nogil=True)
def _detach(x, parent, first, nxt, prv):
    """Cut ``x`` from its parent (``x`` becomes a root)."""
    p = parent[x]
    if p == x:
        return
    if prv[x] != NONE:
        nxt[prv[x]] = nxt[x]
    else:
        first[p] = nxt[x]
    if nxt[x] != NONE:
        prv[nxt[x]] = prv[x]
    nxt[x] = NONE
    prv[x] = NONE
    parent[x] = x


@numba.njit(cache=True, nogil=True)
def _attach(x, p, parent, first, nxt, prv):
    """Hang the root ``x`` below ``p``."""
    parent[x] = p
    head = first[p]
    nxt[x] = head
    prv[x] = NONE
    if head != NONE:
        prv[head] = x
    first[p] = x


@numba.njit(cache=True, nogil=True)
def _root(x, parent):
    while parent[x] != x:
        x = parent[x]
    return x


@numba.njit(cache=True, nogil=True)
def _reroot(x, parent, first, nxt, prv):
    """Make ``x`` the root of its tree (the path from ``x`` up to the root is reversed)."""
    below = NONE
    current = x
    while True:
        up = parent[current]
        at_root = up == current
        _detach(current, parent, first, nxt, prv)
        if below != NONE:
            _attach(current, below, parent, first, nxt, prv)
        if at_root:
            return
        below, current = current, up


@numba.njit(cache=True, nogil=True)
def _subtree(top, first, nxt, queue):
    """The nodes of the subtree below ``top`` (``top`` first, then breadth first)."""
    queue[0] = top
    head, tail = 0, 1
    while head < tail:
        child = first[queue[head]]
        head += 1
        while child != NONE:
            queue[tail] = child
            tail += 1
            child = nxt[child]
    return tail


@numba.njit(cache=True, nogil=True)
def _set_depths(top, depth_of_top, parent, first, nxt, queue, depth, comp, label):
    """Depths of the subtree below ``top`` (its nodes end up in ``queue``), and its
    component label if ``label`` >= 0; returns the deepest depth.
    """
    count = _subtree(top, first, nxt, queue)
    depth[top] = depth_of_top
    deepest = depth_of_top
    for k in range(1, count):  # breadth first: a parent's depth is set before its children's
        x = queue[k]
        d = depth[parent[x]] + 1
        depth[x] = d
        deepest = max(deepest, d)
    if label >= 0:
        for k in range(count):
            comp[queue[k]] = label
    return deepest


# --- repairs -------------------------------------------------------------------------------
@numba.njit(cache=True, nogil=True)
def _outside(y, top, parent, depth):
    """Whether ``y`` is outside the subtree just detached at ``top`` (its depths not yet
    changed): walk up from ``y`` to the depth of ``top``.
    """
    while depth[y] > depth[top] and parent[y] != y:
        y = parent[y]
    return y != top


@numba.njit(cache=True, nogil=True)
def _best_outside(x, top, parent, depth, net):
    """The shallowest friend of ``x`` outside the subtree just detached at ``top``, or NONE.

    ``net``: the live ties, as ``search_arrays()`` of the tie structure plus ``n``.
    """
    indptr, indices, alive, extra, extra_start, n = net
    best, best_depth = NONE, np.iinfo(np.int64).max
    for pos in range(indptr[x], indptr[x + 1]):
        if alive[pos]:
            y = indices[pos]
            if depth[y] < best_depth and _outside(y, top, parent, depth):
                best, best_depth = y, depth[y]
    for pos in range(extra_start[x], extra_start[x + 1]):
        y = extra[pos] - x * n
        if depth[y] < best_depth and _outside(y, top, parent, depth):
            best, best_depth = y, depth[y]
    return best


@numba.njit(cache=True, nogil=True)
def _cut(c, net, parent, depth, first, nxt, prv, size, comp, queue, counters):
    """The forest tie above ``c`` is gone: hang ``c``'s subtree elsewhere, or split it off."""
    above = parent[c]
    _detach(c, parent, first, nxt, prv)
    y = _best_outside(c, c, parent, depth, net)
    if y != NONE:  # the usual case: the top has another friend in the rest of the tree
        _attach(c, y, parent, first, nxt, prv)
        if depth[y] + 1 != depth[c]:
            counters[1] = max(counters[1], _set_depths(c, depth[y] + 1, parent, first, nxt,
                                                       queue, depth, comp, NONE))
        return
    count = _subtree(c, first, nxt, queue)
    for k in range(1, count):  # breadth first: the shallowest member with a friend outside
        x = queue[k]
        y = _best_outside(x, c, parent, depth, net)
        if y != NONE:
            _reroot(x, parent, first, nxt, prv)
            _attach(x, y, parent, first, nxt, prv)
            counters[1] = max(counters[1], _set_depths(x, depth[y] + 1, parent, first, nxt,
                                                       queue, depth, comp, NONE))
            return
    size[_root(above, parent)] -= count  # a component of its own, with a new label
    size[c] = count
    counters[0] += 1
    _set_depths(c, 0, parent, first, nxt, queue, depth, comp, counters[2])
    counters[2] += 1


@numba.njit(cache=True, nogil=True)
def _link(a, b, parent, depth, first, nxt, prv, size, comp, queue, counters):
    """A new tie (a, b): if it joins two trees, hang the smaller one below the other."""
    if comp[a] == comp[b]:
        return
    ra, rb = _root(a, parent), _root(b, parent)
    if size[ra] > size[rb]:
        a, b, ra, rb = b, a, rb, ra
    _reroot(a, parent, first, nxt, prv)
    _attach(a, b, parent, first, nxt, prv)
    size[rb] += size[ra]
    size[ra] = 0
    counters[0] -= 1
    counters[1] = max(counters[1], _set_depths(a, depth[b] + 1, parent, first, nxt, queue,
                                               depth, comp, comp[b]))


@numba.njit(cache=True, nogil=True)
def _repair(net, parent, depth, first, nxt, prv, size, comp, queue, counters, ru, rv, au,
            av):
    """Repair the forest after the batch (ties ``ru-rv`` cut, ``au-av`` made).

    The tie arrays already show the batch. ``counters`` = [components, deepest depth seen,
    next new component label], updated in place. New ties are linked first, then the cuts are repaired one
    by one: until a cut is repaired its tie may still hold the forest together, which keeps
    every friend of a detached subtree in the same tree as the rest of its component.
    """
    for k in range(au.size):
        _link(au[k], av[k], parent, depth, first, nxt, prv, size, comp, queue, counters)
    for k in range(ru.size):
        u, v = ru[k], rv[k]
        if parent[v] == u and v != u:
            _cut(v, net, parent, depth, first, nxt, prv, size, comp, queue, counters)
        elif parent[u] == v and u != v:
            _cut(u, net, parent, depth, first, nxt, prv, size, comp, queue, counters)


@numba.njit(cache=True, nogil=True)
def _index_forest(parent, first, nxt, prv, depth, order):
    """Children lists and depths of the forest ``parent`` (``order``: parents first)."""
    for k in range(order.size):
        x = order[k]
        p = parent[x]
        if p == x:
            depth[x] = 0
        else:
            depth[x] = depth[p] + 1
            _attach(x, p, parent, first, nxt, prv)
    return depth.max() if depth.size else 0


@numba.njit(cache=True, nogil=True)
def _largest(parent, size):
    best = 0
    for x in range(parent.size):
        if parent[x] == x and size[x] > best:
            best = size[x]
    return best


@numba.njit(cache=True, nogil=True)
def _all_roots(parent):
    out = np.empty(parent.size, dtype=np.int64)
    for x in range(parent.size):
        out[x] = _root(x, parent)
    return out


@numba.njit(cache=True, nogil=True)
def component_labels(indptr, indices):
    """The component of every citizen of a CSR graph, numbered 0, 1, ... in the order of
    their lowest citizen (one breadth-first pass: O(citizens + ties)).
    """
    n = indptr.size - 1
    labels = np.full(n, -1, dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    count = 0
    for start in range(n):
        if labels[start] >= 0:
            continue
        labels[start] = count
        queue[0] = start
        head, tail = 0, 1
        while head < tail:
            x = queue[head]
            head += 1
            for pos in range(indptr[x], indptr[x + 1]):
                y = indices[pos]
                if labels[y] < 0:
                    labels[y] = count
                    queue[tail] = y
                    tail += 1
        count += 1
    return labels


# --- growing the forest --------------------------------------------------------------------
def _bfs_forest(n: int, indptr: np.ndarray, indices: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Parent pointers of a breadth-first forest, and its nodes in breadth-first order.

    The first search starts at the best-connected citizen (its component is the giant one in
    the networks of interest), the others at the lowest id of each remaining component; a
    virtual node ``n`` joined to every start makes one search cover all components.
    """
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    graph = sp.csr_array((np.ones(len(indices)), indices, indptr), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    hub = int(np.argmax(np.diff(indptr)))
    starts = np.flatnonzero(np.r_[True, np.diff(np.sort(labels)) != 0])
    starts = np.argsort(labels, kind="stable")[starts]
    starts[labels[starts] == labels[hub]] = hub
    starts.sort()
    rows = np.concatenate([indptr, [indptr[-1] + starts.size]])
    cols = np.concatenate([indices, starts])
    whole = sp.csr_array((np.ones(cols.size), cols, rows), shape=(n + 1, n + 1))
    order, pred = breadth_first_order(whole, n, directed=True, return_predecessors=True)
    parent = pred[:n].astype(np.int64)
    roots = parent == n
    parent[roots] = np.flatnonzero(roots)
    return parent, order[1:].astype(np.int64)


class Connectivity:
    """Components of a changing undirected graph, repaired incrementally.

    Args:
        n: Number of citizens.
        indptr: CSR row pointers of the starting network.
        indices: CSR column indices of the starting network.

    Call :meth:`update` after each batch of changes, once the tie structure shows the new
    ties (it is passed in, not kept, so the two never form a reference cycle).
    """

    def __init__(self, n: int, indptr: np.ndarray, indices: np.ndarray) -> None:
        self.n = n
        self.regrown = 0  # times the forest was grown afresh because it had become deep
        self._grow(np.asarray(indptr, dtype=np.int64), np.asarray(indices))

    def _grow(self, indptr: np.ndarray, indices: np.ndarray) -> None:
        n = self.n
        parent, order = _bfs_forest(n, indptr, indices) if n else (_EMPTY, _EMPTY)
        self._parent = parent
        self._first = np.full(n, NONE, dtype=np.int64)
        self._next = np.full(n, NONE, dtype=np.int64)
        self._prev = np.full(n, NONE, dtype=np.int64)
        self._depth = np.zeros(n, dtype=np.int64)
        deepest = int(_index_forest(parent, self._first, self._next, self._prev, self._depth,
                                    order)) if n else 0
        self._comp = _all_roots(parent) if n else _EMPTY  # component labels: root ids, then
        self._size = np.bincount(self._comp, minlength=n).astype(np.int64)  # n, n + 1, ...
        self._queue = np.empty(n, dtype=np.int64)
        self.depth_limit = max(MIN_DEPTH_LIMIT, DEEPER_THAN_GROWN * deepest)
        # [number of components, deepest depth seen since grown, next new label]
        self._counters = np.array([int((parent == np.arange(n)).sum()), deepest, n],
                                  dtype=np.int64)

    def stats(self) -> tuple[int, int]:
        """(number of components, size of the largest component); isolates count."""
        if self.n == 0:
            return 0, 0
        return int(self._counters[0]), int(_largest(self._parent, self._size))

    def labels(self) -> np.ndarray:
        """Component of every citizen (a label shared by the component's citizens only)."""
        return self._comp.copy()

    def update(self, ties, removed: tuple[np.ndarray, np.ndarray],
               added: tuple[np.ndarray, np.ndarray]) -> None:
        """Repair the forest after ties ``removed`` were cut and ties ``added`` were made.

        Args:
            ties: The tie structure after the changes (a
                :class:`~spiral.model.fast_ties.FastTieTable`: its base CSR and overflow).
            removed: The ties actually cut, as (u, v) arrays.
            added: The ties actually made, as (u, v) arrays.
        """
        ru, rv = (np.ascontiguousarray(x, dtype=np.int64) for x in removed)
        au, av = (np.ascontiguousarray(x, dtype=np.int64) for x in added)
        if ru.size == 0 and au.size == 0:
            return
        _repair((*ties.search_arrays(), self.n), self._parent, self._depth, self._first,
                self._next, self._prev, self._size, self._comp, self._queue, self._counters,
                ru, rv, au, av)
        if self._counters[1] > self.depth_limit:  # repairs made a tree deep: grow afresh
            self.regrown += 1
            self._grow(*ties.compact_arrays())

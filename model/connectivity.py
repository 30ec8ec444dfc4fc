"""Connected components kept up to date as ties are cut and made, without a full recount.

Counting components from scratch costs several sparse products per month at 1.1 million
citizens. :class:`Connectivity` instead keeps a spanning forest (parent pointers) of the
friendship network and repairs it after each batch of changes:

* cutting a tie outside the forest changes nothing; cutting a forest tie detaches the
  subtree below it (a *piece*);
* the pieces, plus the components joined by new ties, are contracted to a small graph
  whose edges are the live ties between pieces; its components (scipy) say which pieces
  still hang together, and a breadth-first tree of it says where each piece is re-hung
  (re-rooting the piece at the end of the tie that reconnects it);
* component sizes follow from the forest roots.

The answers are exact (the tests compare them with a full recount after thousands of
random cuts and additions); a batch costs O(citizens) vectorised plus O(size of the
detached pieces), instead of O(ties) for a recount. When a cut detaches more than an eighth
of the citizens (a tie near the root of a tree that repairs have made deep), the forest is
grown afresh instead, in O(ties).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components
from spiral.model.ties import concat_ranges, unique_sorted

_EMPTY = np.zeros(0, dtype=np.int64)
# detached pieces above n / REBUILD_SHARE nodes: a fresh breadth-first forest (O(ties)) is
# cheaper than repairing them (a cut near a root of a deep tree detached 1.1 M citizens)
REBUILD_SHARE = 8


def _roots(parent: np.ndarray) -> np.ndarray:
    """The root of every node of a forest given by parent pointers (pointer jumping)."""
    anc = parent[parent]
    while True:
        following = anc[anc]
        if np.array_equal(following, anc):
            return anc
        anc = following


def _bfs_forest(n: int, indptr: np.ndarray, indices: np.ndarray, seeds: np.ndarray
                ) -> np.ndarray:
    """Parent pointers of a breadth-first forest grown from one seed per component.

    A virtual node ``n`` joined to every seed makes one search cover all components.
    """
    rows = np.concatenate([indptr, [indptr[-1] + seeds.size]])
    cols = np.concatenate([indices, np.sort(seeds)])
    graph = sp.csr_array((np.ones(cols.size, dtype=np.float64), cols, rows), shape=(n + 1, n + 1))
    _, pred = breadth_first_order(graph, n, directed=True, return_predecessors=True)
    parent = pred[:n].astype(np.int64)
    roots = (parent == n) | (parent < 0)
    parent[roots] = np.flatnonzero(roots)
    return parent


def _spanning_forest(n: int, indptr: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Parent pointers of a spanning forest: one search from the best-connected citizen
    (its component is the giant one in the networks of interest), then the rest.
    """
    if n == 0:
        return _EMPTY
    start = int(np.argmax(np.diff(indptr)))
    parent = _bfs_forest(n, indptr, indices, np.array([start]))
    root = _roots(parent)
    rest = np.flatnonzero(root != root[start])
    if rest.size:
        local = np.full(n, -1, dtype=np.int64)
        local[rest] = np.arange(rest.size)
        starts = indptr[rest]
        lengths = indptr[rest + 1] - starts
        cols = local[indices[concat_ranges(starts, lengths)]]
        sub_indptr = np.zeros(rest.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=sub_indptr[1:])
        adjacency = sp.csr_array((np.ones(cols.size), cols, sub_indptr),
                                 shape=(rest.size, rest.size))
        _, labels = connected_components(adjacency, directed=True, connection="strong")
        order = np.argsort(labels, kind="stable")
        first = np.ones(rest.size, dtype=bool)
        first[1:] = labels[order[1:]] != labels[order[:-1]]
        sub_parent = _bfs_forest(rest.size, sub_indptr, cols, order[first])
        parent[rest] = rest[sub_parent]
    return parent


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
        self.parent = _spanning_forest(n, indptr, indices)
        self.root = _roots(self.parent)
        self.n_roots = int((self.parent == np.arange(n)).sum())
        self._stats: tuple[int, int] | None = None
        self._index_children()

    # --- children lists: the parent pointers inverted, for walking down detached subtrees ---
    def _index_children(self) -> None:
        """Children grouped by parent; later changes go to a sorted list of extra links."""
        order = np.argsort(self.parent, kind="stable")
        self._kids = order
        self._kids_ptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.parent, minlength=self.n), out=self._kids_ptr[1:])
        self._kids_extra = _EMPTY  # sorted keys parent * n + child of links made since

    def _children(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(child, parent) for every current child of ``nodes`` (stale entries skipped)."""
        n = self.n
        starts = self._kids_ptr[nodes]
        lengths = self._kids_ptr[nodes + 1] - starts
        kids = self._kids[concat_ranges(starts, lengths)]
        owners = np.repeat(nodes, lengths)
        if self._kids_extra.size:
            first = np.searchsorted(self._kids_extra, nodes * n)
            last = np.searchsorted(self._kids_extra, (nodes + 1) * n)
            extra = self._kids_extra[concat_ranges(first, last - first)]
            kids = np.concatenate([kids, extra % n])
            owners = np.concatenate([owners, extra // n])
        valid = (self.parent[kids] == owners) & (kids != owners)
        kids, owners = kids[valid], owners[valid]
        kids, at = np.unique(kids, return_index=True)  # a link can be listed twice
        return kids, owners[at]

    def _moved(self, nodes: np.ndarray) -> None:
        """Record that ``nodes`` got new parents."""
        if nodes.size:
            keys = self.parent[nodes] * self.n + nodes
            self._kids_extra = unique_sorted(np.concatenate([self._kids_extra, keys]))
            if self._kids_extra.size > self.n // 8 + 64:
                self._index_children()

    def _subtrees(self, tops: np.ndarray, limit: int | None = None
                  ) -> tuple[np.ndarray, np.ndarray] | None:
        """Every node below each of ``tops`` (roots of detached subtrees), with its top.

        None as soon as more than ``limit`` nodes are found (if a limit is given).
        """
        nodes, labels = [tops], [tops]
        frontier, frontier_top = tops, tops
        found = tops.size
        while frontier.size:
            if limit is not None and found > limit:
                return None
            kids, owners = self._children(frontier)
            order = np.searchsorted(frontier, owners)
            frontier, frontier_top = kids, frontier_top[order]
            nodes.append(frontier)
            labels.append(frontier_top)
            found += frontier.size
            sort = np.argsort(frontier, kind="stable")
            frontier, frontier_top = frontier[sort], frontier_top[sort]
        return np.concatenate(nodes), np.concatenate(labels)

    def stats(self) -> tuple[int, int]:
        """(number of components, size of the largest component); isolates count."""
        if self._stats is None:
            largest = int(np.bincount(self.root, minlength=1).max()) if self.n else 0
            self._stats = (self.n_roots, largest)
        return self._stats

    def labels(self) -> np.ndarray:
        """Component of every citizen, as the id of its forest root."""
        return self.root.copy()

    def update(self, ties, removed: tuple[np.ndarray, np.ndarray],
               added: tuple[np.ndarray, np.ndarray]) -> None:
        """Repair the forest after ties ``removed`` were cut and ties ``added`` were made.

        Args:
            ties: The tie structure after the changes (its ``incident(nodes)`` is used).
            removed: The ties actually cut, as (u, v) arrays.
            added: The ties actually made, as (u, v) arrays.
        """
        ru, rv = removed
        au, av = added
        parent = self.parent
        cut_children = np.concatenate([rv[parent[rv] == ru], ru[parent[ru] == rv]])
        if cut_children.size == 0 and au.size == 0:
            return
        self._stats = None
        inside = top = x = y = _EMPTY
        if cut_children.size:
            parent[cut_children] = cut_children
            self.n_roots += int(cut_children.size)
            pieces = self._subtrees(unique_sorted(cut_children), limit=self.n // REBUILD_SHARE)
            if pieces is None:  # a cut near a root: grow the forest afresh
                self.__init__(self.n, *ties.compact_arrays())
                return
            inside, top = pieces
            order = np.argsort(inside)
            inside, top = inside[order], top[order]
            x, y = ties.incident(inside)
        x = np.concatenate([x, au])
        y = np.concatenate([y, av])
        px, py = self._piece_of(x, inside, top), self._piece_of(y, inside, top)
        across = px != py
        self._join(px[across], py[across], x[across], y[across], cut_children, inside, top)

    def _piece_of(self, nodes: np.ndarray, inside: np.ndarray, top: np.ndarray) -> np.ndarray:
        """The piece of each node: the top of its detached subtree, else its tree's root."""
        out = self.root[nodes]
        if inside.size and nodes.size:
            pos = np.minimum(np.searchsorted(inside, nodes), inside.size - 1)
            hit = inside[pos] == nodes
            out[hit] = top[pos[hit]]
        return out

    def _join(self, px: np.ndarray, py: np.ndarray, x: np.ndarray, y: np.ndarray,
              cut_children: np.ndarray, inside: np.ndarray, top: np.ndarray) -> None:
        """Re-hang pieces joined by ties (x in piece px, y in piece py); update the roots."""
        parent = self.parent
        self.root[inside] = top  # every node's root is now the root of its piece
        if x.size == 0:
            return
        nodes = unique_sorted(np.concatenate([px, py, cut_children]))
        m = nodes.size
        sx, sy = np.searchsorted(nodes, px), np.searchsorted(nodes, py)
        small = sp.csr_array((np.ones(sx.size), (sx, sy)), shape=(m, m))
        _, comp = connected_components(small, directed=False)
        detached = np.isin(nodes, cut_children)
        # one representative per group: a piece still holding an old root if there is one
        order = np.lexsort((detached, comp))
        first = np.ones(m, dtype=bool)
        first[1:] = comp[order[1:]] != comp[order[:-1]]
        reps = order[first]
        tree = sp.csr_array(
            (np.ones(2 * sx.size + reps.size),
             (np.concatenate([sx, sy, np.full(reps.size, m)]),
              np.concatenate([sy, sx, reps]))), shape=(m + 1, m + 1))
        _, pred = breadth_first_order(tree, m, directed=True, return_predecessors=True)
        # a real tie (a in P, b in Q) for each super-edge, both orientations
        keys = np.concatenate([sx * m + sy, sy * m + sx])
        ends_a = np.concatenate([x, y])
        ends_b = np.concatenate([y, x])
        keys, first_tie = np.unique(keys, return_index=True)
        hung = np.flatnonzero(pred[:m] != m)
        want = hung * m + pred[hung]
        tie = first_tie[np.searchsorted(keys, want)]
        moved: list[int] = []
        for p_node, a, b in zip(nodes[hung].tolist(), ends_a[tie].tolist(),
                                ends_b[tie].tolist(), strict=True):
            moved.extend(_reroot(parent, a, p_node))
            parent[a] = b
            moved.append(a)
        self._moved(np.array(moved, dtype=np.int64))
        self.n_roots -= int(hung.size)
        final_root = nodes[reps[np.argsort(comp[reps])][comp]]
        if ((final_root != nodes) & ~detached).any():  # whole trees joined: relabel everyone
            scratch = np.arange(self.n, dtype=np.int64)
            scratch[nodes] = final_root
            self.root = scratch[self.root]
        elif inside.size:
            self.root[inside] = final_root[np.searchsorted(nodes, top)]


def _reroot(parent: np.ndarray, node: int, old_root: int) -> list[int]:
    """Make ``node`` the root of its tree by reversing the path up to ``old_root``.

    Returns the nodes whose parent changed.
    """
    moved = []
    previous = node
    current = int(parent[node])
    while previous != old_root:
        following = int(parent[current])
        parent[current] = previous
        moved.append(current)
        previous, current = current, following
    return moved

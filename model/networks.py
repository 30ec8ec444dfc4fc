"""Friendship networks: seeded generators, real networks from files, and conversion to arrays.

Generators (all seeded from the run's ``network`` stream, never unseeded): Erdos-Renyi,
Watts-Strogatz (small world), Barabasi-Albert (scale free), a stochastic block model
(communities), and networkx's bundled Zachary karate club as a tiny real example. A real
network is read from an edge list (CSV, TSV, semicolon or space separated, optional header,
``#`` comments) or a GraphML file, and relabelled to integers 0..n-1 with the original names
kept (``EdgeArrays.labels``, node attribute ``label`` in networkx graphs).

**One model at every size.** Up to :data:`LARGE` citizens the networkx generators build the
network; above it, vectorised numpy builders that sample *the same distribution of graphs*
(not an approximation of it), linear in citizens + ties in time and memory:

* Erdos-Renyi is G(n, p) with p = mean_degree / (n - 1) on both sides: the array builder draws
  the number of ties ~ Binomial(n(n - 1)/2, p), then that many distinct uniform pairs.
* Watts-Strogatz has networkx's rewiring: the ring lattice's ties are visited in networkx's
  order (by distance, then by citizen); each is rewired with probability ``ws_rewire`` to a new
  end drawn uniformly among the citizens that are neither the citizen itself nor tied to it
  *at that moment* (skipped if it is tied to everyone).
* Barabasi-Albert grows networkx's way from a star of m + 1 citizens: each newcomer ties to m
  *distinct* citizens, each drawn in proportion to its ties so far, a repeat drawn again.
* The block model draws Binomial counts of distinct pairs inside communities and across them,
  exactly as independent ties with probabilities p_in and p_out.

The array builders resolve the order-dependent rules (a tie may not repeat an existing one,
a draw copies an earlier draw) as a fixed point over all ties at once: see
:func:`watts_strogatz_edges` and :func:`barabasi_albert_edges`. tests/test_networks.py and
tests/model/test_network_sizes.py compare them with networkx at 5,000-20,000 citizens.

**Honest requests.** :func:`check_request` refuses what a generator cannot build instead of
rounding it: Watts-Strogatz and Barabasi-Albert need an even whole ``mean_degree`` (WS: k
neighbours; BA: about 2m), every generator needs at least one expected tie and
``mean_degree`` below ``n_citizens - 1`` (the complete graph), and :func:`check_memory`
refuses a network that would not fit in the available memory. :meth:`EdgeArrays.describe`
records what was built (citizens, ties, realised mean degree, generator, the requested mean
degree, and for files the file's name and SHA-256).

The engine works on edge arrays ``(u, v)`` with ``u < v``; :func:`build_edges` returns them.
For the karate club and for files, the network fixes the number of citizens.

Example:
    >>> import numpy as np
    >>> from spiral.model.params import Params
    >>> net = build_edges(Params(n_citizens=100, network="erdos_renyi", mean_degree=4),
    ...                   np.random.default_rng(1))
    >>> net.n, bool((net.u < net.v).all()), net.generator
    (100, True, 'networkx.fast_gnp_random_graph')
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
from spiral.model.errors import InputError
from spiral.model.params import ParameterError
from spiral.model.ties import unique_sorted

LARGE = 50_000  # above this many citizens the array builders replace networkx's generators
GENERATORS = ("erdos_renyi", "watts_strogatz", "barabasi_albert", "block")
NETWORKX_NAMES = {"erdos_renyi": "networkx.fast_gnp_random_graph",
                  "watts_strogatz": "networkx.watts_strogatz_graph",
                  "barabasi_albert": "networkx.barabasi_albert_graph",
                  "block": "networkx.stochastic_block_model"}


class NetworkFileError(InputError):
    """An edge-list or GraphML file cannot be read; the message names the file and line."""


@dataclass
class EdgeArrays:
    """An undirected simple graph as arrays.

    Attributes:
        n: Number of nodes (citizens), labelled 0..n-1.
        u: First endpoints (int64), ``u < v``, sorted by (u, v), no duplicates.
        v: Second endpoints (int64).
        labels: Original node names for networks read from files (else None).
        generator: How the network was made, e.g. ``"networkx.watts_strogatz_graph"``,
            ``"watts_strogatz (array builder)"``, ``"edge list"``, ``"GraphML"``; ``"given"``
            for arrays or graphs handed in by the caller.
        source: Where it came from: for files ``{"file": name, "sha256": hex}``.
        requested: What was asked for, e.g. ``{"requested_mean_degree": 10.0}``.
    """

    n: int
    u: np.ndarray
    v: np.ndarray
    labels: list[str] | None = field(default=None)
    generator: str = "given"  # how the network was made (recorded with the run)
    source: dict = field(default_factory=dict)  # e.g. the file's name and SHA-256
    requested: dict = field(default_factory=dict)  # e.g. the requested mean degree

    def describe(self) -> dict:
        """The realised network, as recorded in manifests and summaries.

        Returns:
            ``citizens``, ``ties``, realised ``mean_degree``, ``generator``, then what was
            requested (``requested_mean_degree`` for generators) and the source (``file`` and
            ``sha256`` for files).
        """
        ties = int(self.u.size)
        return {"citizens": int(self.n), "ties": ties,
                "mean_degree": round(2 * ties / self.n, 6) if self.n else 0.0,
                "generator": self.generator, **self.requested, **self.source}


def canonical_edges(n: int, u, v) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique ``u < v`` pairs without self-loops."""
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    keep = lo != hi
    keys = unique_sorted(lo[keep] * n + hi[keep])
    return keys // n, keys % n


def graph_to_edges(graph: nx.Graph) -> EdgeArrays:
    """Convert a networkx graph with nodes 0..n-1 to :class:`EdgeArrays`."""
    n = graph.number_of_nodes()
    if n and sorted(graph.nodes) != list(range(n)):
        graph = relabel_to_integers(graph)
    if graph.number_of_edges():
        e = np.array(list(graph.edges()), dtype=np.int64)
        u, v = canonical_edges(n, e[:, 0], e[:, 1])
    else:
        u = v = np.zeros(0, dtype=np.int64)
    labels = None
    if any("label" in d for _, d in graph.nodes(data=True)):
        labels = [str(graph.nodes[i].get("label", i)) for i in range(n)]
    return EdgeArrays(n, u, v, labels)


def edges_to_graph(edges: EdgeArrays) -> nx.Graph:
    """Convert :class:`EdgeArrays` to a networkx graph (original names in ``label``)."""
    graph = nx.Graph()
    graph.add_nodes_from(range(edges.n))
    graph.add_edges_from(zip(edges.u.tolist(), edges.v.tolist(), strict=True))
    if edges.labels is not None:
        nx.set_node_attributes(graph, dict(enumerate(edges.labels)), "label")
    return graph


def relabel_to_integers(graph: nx.Graph) -> nx.Graph:
    """Relabel nodes to 0..n-1 in their original order, keeping the names as ``label``."""
    mapping = {node: i for i, node in enumerate(graph.nodes)}
    out = nx.relabel_nodes(graph, mapping, copy=True)
    for node, i in mapping.items():
        out.nodes[i].setdefault("label", str(node))
    return out


# --- what may be asked for ---------------------------------------------------------------------
def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:g}"


def _even_choices(d: float) -> str:
    low = max(2, 2 * int(np.floor(d / 2)))
    high = 2 * int(np.ceil(d / 2))
    if high <= low:
        high = low + 2
    return f"{low} or {high}" if d > 2 else "2"


def check_request(params) -> None:
    """Refuse a generator request that cannot be built as asked (nothing is rounded).

    Rules (``n`` = n_citizens, ``d`` = mean_degree), for the four generators:

    * at least one expected tie (``n * d / 2 >= 1``) and ``d < n - 1`` (``n - 1`` is the
      complete graph, not a friendship network);
    * ``watts_strogatz``: ``d`` an even whole number (each citizen knows its d nearest on the
      ring, d/2 on each side);
    * ``barabasi_albert``: ``d`` an even whole number 2m (each newcomer brings m ties; the
      realised mean degree is 2m(n - m)/n, recorded by :meth:`EdgeArrays.describe`);
    * ``block``: ``n_communities`` at most ``n_citizens``. If the requested degree needs more
      ties inside (or across) communities than there are pairs, every pair is tied and the
      shortfall shows in the realised mean degree that ``describe()`` records.

    Raises:
        ParameterError: One line naming the field, the value and what is allowed.
    """
    kind = params.network
    if kind not in GENERATORS:
        return
    n, d = int(params.n_citizens), float(params.mean_degree)
    even = kind in ("watts_strogatz", "barabasi_albert")
    low = 2.0 if even else 2.0 / n  # WS, BA: at least 2; ER, block: one expected tie
    if not low < n - 1:
        raise ParameterError(
            f"n_citizens = {n:,} is too small for network = {kind}: allowed {4 if even else 3} "
            f"or more (mean_degree must be at least {'2' if even else '2/n_citizens'} and "
            "below n_citizens - 1)")
    allowed = (f"allowed {'even whole numbers ' if even else ''}from {_num(low)} to below "
               f"n_citizens - 1 = {n - 1:,} for {kind}")
    if not d >= low:
        raise ParameterError(f"mean_degree = {_num(d)} builds no ties with n_citizens = {n:,}"
                             f": {allowed}")
    if d >= n - 1:
        raise ParameterError(
            f"mean_degree = {_num(d)} is too large for n_citizens = {n:,}: {allowed} (n - 1 "
            "is the complete graph, everyone friends with everyone)")
    if even and (not d.is_integer() or int(d) % 2):
        why = ("each citizen knows its mean_degree nearest on a ring, half on each side"
               if kind == "watts_strogatz" else
               "each newcomer brings m ties, so the mean degree is about 2m")
        raise ParameterError(f"mean_degree = {_num(d)} cannot be built by {kind}: it needs an "
                             f"even whole number ({_even_choices(d)}): {why}")
    if kind == "block" and int(params.n_communities) > n:
        raise ParameterError(f"n_communities = {params.n_communities:,} is more than "
                             f"n_citizens = {n:,}: allowed 1 to {n:,}")


# --- memory ------------------------------------------------------------------------------------
# Peak bytes of building a network and setting up and running the array engine on it, per tie
# and per citizen. Measured with tracemalloc (numpy reports its buffers to it) at 1e5-1e6
# citizens, mean degree 10-100, for every generator: ``python -m spiral.model.networks
# --memory`` repeats the measurement; tests/model/test_network_memory.py checks that the
# estimate covers the measured peak at 2e5 citizens.
BYTES_PER_TIE = 330          # array builders' peak (BA's slot arrays) and the engine's CSR
BYTES_PER_CITIZEN = 900      # engine state, records, the builders' per-citizen arrays
NETWORKX_BYTES_PER_TIE = 1_000  # a networkx Graph: two dict entries per tie, plus the arrays
NETWORKX_BYTES_PER_CITIZEN = 1_500
MEMORY_FLOOR = 64 * 2**20  # never refuse a network that needs less than this


def expected_ties(params) -> float:
    """The expected number of ties of a generator request (0 for files and karate)."""
    if params.network not in GENERATORS:
        return 0.0
    n, d = int(params.n_citizens), float(params.mean_degree)
    if params.network == "barabasi_albert":
        m = max(1, int(round(d / 2)))
        return float(m * (n - m)) if m < n else 0.0
    return n * d / 2


def estimate_memory(params, *, ties: float | None = None, citizens: int | None = None) -> int:
    """Estimated peak bytes to build the network of ``params`` and run the array engine on it.

    Args:
        params: The parameters (``network``, ``n_citizens``, ``mean_degree``).
        ties: The number of ties if known (files); default: expected from ``params``.
        citizens: The number of citizens if known (files); default ``params.n_citizens``.
    """
    n = int(params.n_citizens if citizens is None else citizens)
    m = expected_ties(params) if ties is None else float(ties)
    if params.network in GENERATORS and n <= LARGE:
        return int(m * NETWORKX_BYTES_PER_TIE + n * NETWORKX_BYTES_PER_CITIZEN)
    return int(m * BYTES_PER_TIE + n * BYTES_PER_CITIZEN)


def _gib(x: float) -> str:
    return f"{x / 2**30:,.1f} GiB" if x >= 2**30 else f"{x / 2**20:,.0f} MiB"


def check_memory(params, *, ties: float | None = None, citizens: int | None = None,
                 available: int | None = None) -> int:
    """Refuse a network whose estimated memory exceeds the memory available now.

    Args:
        params: The parameters.
        ties: Known number of ties (files); default: expected from ``params``.
        citizens: Known number of citizens (files).
        available: Bytes available (default ``psutil.virtual_memory().available``).

    Returns:
        The estimate in bytes.

    Raises:
        ParameterError: One line with the estimate and the available memory.
    """
    need = estimate_memory(params, ties=ties, citizens=citizens)
    if need < MEMORY_FLOOR:
        return need
    if available is None:
        import psutil
        available = int(psutil.virtual_memory().available)
    if need > available:
        n = int(params.n_citizens if citizens is None else citizens)
        m = expected_ties(params) if ties is None else float(ties)
        what = (f"n_citizens = {n:,} with mean_degree = {_num(float(params.mean_degree))}"
                if params.network in GENERATORS else f"the network of {n:,} citizens")
        raise ParameterError(
            f"{what} needs about {_gib(need)} to build and run ({m:,.0f} ties), but only "
            f"{_gib(available)} of memory is available: use fewer citizens or a lower "
            "mean_degree")
    return need


# --- building ----------------------------------------------------------------------------------
def _networkx_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def generate_graph(params, rng: np.random.Generator) -> nx.Graph:
    """Build the friendship network named by ``params.network`` with networkx, at any size.

    :func:`build_edges` uses this up to :data:`LARGE` citizens (and for the karate club and
    files). Requests are checked by :func:`check_request` first.
    """
    kind = params.network
    if kind == "karate":
        return nx.karate_club_graph()
    if kind == "file":
        return read_network_file(params.network_file)
    check_request(params)
    n, d = int(params.n_citizens), float(params.mean_degree)
    seed = _networkx_seed(rng)
    if kind == "erdos_renyi":
        return nx.fast_gnp_random_graph(n, d / (n - 1), seed=seed)
    if kind == "watts_strogatz":
        return nx.watts_strogatz_graph(n, int(d), params.ws_rewire, seed=seed)
    if kind == "barabasi_albert":
        return nx.barabasi_albert_graph(n, int(d) // 2, seed=seed)
    if kind == "block":
        sizes, p_in, p_out = block_layout(n, d, int(params.n_communities),
                                          float(params.community_mixing))
        probs = [[p_in if a == b else p_out for b in range(len(sizes))]
                 for a in range(len(sizes))]
        graph = nx.stochastic_block_model(sizes.tolist(), probs, seed=seed, sparse=True)
        return nx.Graph(graph)  # drop block metadata; node attribute "block" is kept
    raise ParameterError(f"network = {kind!r} is not a known generator")  # pragma: no cover


def build_edges(params, rng: np.random.Generator, *, memory_check: bool = True) -> EdgeArrays:
    """Build the network named by ``params.network`` as :class:`EdgeArrays`.

    Up to :data:`LARGE` citizens the networkx generators are used (seeded from ``rng``); above
    it, the array builders of the same models (same distribution of graphs), linear in
    citizens + ties in time and memory. The request is checked first (:func:`check_request`),
    then the memory it needs (:func:`check_memory`); files are checked once read.

    Raises:
        ParameterError: A request that cannot be built as asked, or would not fit in memory.
        NetworkFileError: An unreadable network file.
    """
    kind = params.network
    if kind == "file":
        edges = read_network_edges(params.network_file)
        if memory_check:
            check_memory(params, ties=edges.u.size, citizens=edges.n)
        return edges
    if kind == "karate":
        edges = graph_to_edges(nx.karate_club_graph())
        edges.generator = "networkx.karate_club_graph"
        return edges
    check_request(params)
    if memory_check:
        check_memory(params)
    n, d = int(params.n_citizens), float(params.mean_degree)
    if n <= LARGE:
        edges = graph_to_edges(generate_graph(params, rng))
        edges.generator = NETWORKX_NAMES[kind]
    elif kind == "erdos_renyi":
        edges = erdos_renyi_edges(n, d, rng)
    elif kind == "watts_strogatz":
        edges = watts_strogatz_edges(n, int(d), float(params.ws_rewire), rng)
    elif kind == "barabasi_albert":
        edges = barabasi_albert_edges(n, int(d) // 2, rng)
    else:
        edges = block_edges(n, d, int(params.n_communities), float(params.community_mixing),
                            rng)
    edges.requested = {"requested_mean_degree": d}
    return edges


def block_layout(n: int, mean_degree: float, communities: int, mixing: float
                 ) -> tuple[np.ndarray, float, float]:
    """Community sizes (consecutive citizens, sizes differing by at most 1) and the tie
    probabilities inside (p_in) and across (p_out) communities.

    With one community every tie is inside it (p_in = mean_degree / (n - 1)); otherwise a share
    ``mixing`` of a citizen's expected ties leave its community. A probability above 1 is
    capped (the realised mean degree then falls short; ``describe()`` records it).
    """
    k = max(1, min(int(communities), n))
    sizes = np.array([n // k + (1 if i < n % k else 0) for i in range(k)], dtype=np.int64)
    if k == 1:
        return sizes, min(1.0, mean_degree / max(n - 1, 1)), 0.0
    s = n / k
    p_in = min(1.0, (1.0 - mixing) * mean_degree / max(s - 1, 1))
    p_out = min(1.0, mixing * mean_degree / max(n - s, 1))
    return sizes, p_in, p_out


# --- array builders ----------------------------------------------------------------------------
def _keys_to_edges(n: int, keys: np.ndarray, generator: str) -> EdgeArrays:
    keys = np.sort(keys)
    return EdgeArrays(n, keys // n, keys % n, generator=generator)


def _distinct(count: int, draw, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct keys, a uniformly random subset of the keys ``draw`` samples from.

    ``draw(size)`` returns about ``size`` independent uniform keys (invalid draws removed).
    The union of draws is topped up until it holds ``count`` keys, then a uniform subset of
    that size is kept: every step is symmetric in the keys, so the result is uniform among
    all subsets of ``count`` keys.
    """
    keys = np.zeros(0, dtype=np.int64)
    while keys.size < count:
        need = count - keys.size
        keys = unique_sorted(np.concatenate([keys, draw(int(need * 1.05) + 16)]))
    if keys.size > count:
        keys = keys[np.sort(rng.choice(keys.size, size=count, replace=False))]
    return keys


def _pair_keys(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ok = a != b
    a, b = a[ok], b[ok]
    return np.minimum(a, b) * n + np.maximum(a, b)


def erdos_renyi_edges(n: int, mean_degree: float, rng: np.random.Generator) -> EdgeArrays:
    """G(n, p) with p = mean_degree / (n - 1), the model of networkx's
    ``fast_gnp_random_graph``, drawn directly as arrays.

    The number of ties is drawn ~ Binomial(n(n - 1)/2, p); then that many distinct pairs,
    uniformly among all pairs (given its size, a G(n, p) graph is a uniform set of pairs).
    Memory and time are linear in n + ties.
    """
    p = min(1.0, mean_degree / max(n - 1, 1))
    count = int(rng.binomial(n * (n - 1) // 2, p)) if n > 1 else 0

    def draw(size):
        return _pair_keys(n, rng.integers(0, n, size=size, dtype=np.int64),
                          rng.integers(0, n, size=size, dtype=np.int64))

    return _keys_to_edges(n, _distinct(count, draw, rng), "erdos_renyi (array builder)")


def block_edges(n: int, mean_degree: float, communities: int, mixing: float,
                rng: np.random.Generator) -> EdgeArrays:
    """A stochastic block model with the probabilities of :func:`block_layout`, the model of
    networkx's ``stochastic_block_model``: every pair inside a community is tied with
    probability p_in, every pair across communities with p_out, independently.

    Drawn as Binomial counts of ties inside and across communities, then that many distinct
    uniform pairs of each kind (exact; no loop over pairs of communities).
    """
    sizes, p_in, p_out = block_layout(n, mean_degree, communities, mixing)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    within = sizes * (sizes - 1) // 2
    inside_pairs = int(within.sum())
    across_pairs = n * (n - 1) // 2 - inside_pairs
    parts = []
    count_in = int(rng.binomial(inside_pairs, p_in)) if inside_pairs else 0
    if count_in:
        weights = within / inside_pairs

        def draw_in(size):
            block = rng.choice(sizes.size, size=size, p=weights)
            base, span = starts[block], sizes[block]
            return _pair_keys(n, base + rng.integers(0, span, dtype=np.int64),
                              base + rng.integers(0, span, dtype=np.int64))

        parts.append(_distinct(count_in, draw_in, rng))
    count_out = int(rng.binomial(across_pairs, p_out)) if across_pairs and p_out > 0 else 0
    if count_out:
        def draw_out(size):
            a = rng.integers(0, n, size=size, dtype=np.int64)
            b = rng.integers(0, n, size=size, dtype=np.int64)
            apart = (np.searchsorted(starts, a, side="right")
                     != np.searchsorted(starts, b, side="right"))
            return _pair_keys(n, a[apart], b[apart])

        parts.append(_distinct(count_out, draw_out, rng))
    keys = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return _keys_to_edges(n, keys, "block (array builder)")


def _first_per_group(groups: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows in insertion order: the first valid row of each group (groups, row index)."""
    rows = np.flatnonzero(valid)
    order = np.argsort(groups[rows], kind="stable")
    rows = rows[order]
    g = groups[rows]
    first = np.ones(g.size, dtype=bool)
    first[1:] = g[1:] != g[:-1]
    return g[first], rows[first]


def watts_strogatz_edges(n: int, k: int, rewire: float, rng: np.random.Generator,
                         *, max_rounds: int = 10_000) -> EdgeArrays:
    """A Watts-Strogatz small world with the rewiring of networkx's ``watts_strogatz_graph``.

    A ring where each citizen knows its ``k`` nearest (``k`` even, ``k/2`` on each side);
    then the ring's ties (u, u + j) are visited for j = 1..k/2 and, within j, for u = 0..n-1;
    each is rewired with probability ``rewire``: the end u + j is replaced by w drawn
    uniformly among the citizens that are neither u nor tied to u at that moment (the tie is
    left if u is tied to everyone). The number of ties stays n k / 2.

    Vectorised exactly: each rewired tie has its own stream of uniform candidates, and takes
    the first candidate that is valid given the ties rewired before it. Validity depends only
    on earlier ties, so iterating "every tie takes its first valid candidate given the others'
    current choices" reaches the sequential result (a fixed point, usually within a few
    rounds, since conflicts are rare in sparse networks).
    """
    if k % 2 or k < 0:
        raise ParameterError(f"mean_degree = {k} cannot be built by watts_strogatz: it needs "
                             f"an even whole number ({_even_choices(k)})")
    if k >= n - 1 and k > 0:
        raise ParameterError(f"mean_degree = {k} is too large for watts_strogatz with "
                             f"n_citizens = {n}: it must be below n_citizens - 1 = {n - 1}")
    name = "watts_strogatz (array builder)"
    half = k // 2
    t_all = np.arange(half * n, dtype=np.int64)  # tie t = (j - 1) n + u is visited t-th
    lat_u = t_all % n
    lat_v = (lat_u + t_all // n + 1) % n
    del t_all
    rewired = np.flatnonzero(rng.random(half * n) < rewire)
    if rewired.size == 0:
        return _keys_to_edges(n, np.minimum(lat_u, lat_v) * n + np.maximum(lat_u, lat_v), name)
    eu = lat_u[rewired]  # the end that stays; rewired[e] is the visiting time of tie e
    cand_e = np.arange(rewired.size, dtype=np.int64)  # candidate streams, in drawing order
    cand_w = rng.integers(0, n, size=rewired.size, dtype=np.int64)
    chosen = np.full(rewired.size, -2, dtype=np.int64)  # -1: no valid candidate yet
    for _ in range(max_rounds):
        gone = np.zeros(half * n, dtype=bool)  # ring ties rewired away (at their own time)
        accepted = chosen >= 0
        gone[rewired[accepted]] = True
        a_key = np.minimum(eu[accepted], chosen[accepted]) * n + np.maximum(
            eu[accepted], chosen[accepted])
        a_time = rewired[accepted]
        order = np.lexsort((a_time, a_key))
        a_key, a_time = a_key[order], a_time[order]
        first = np.ones(a_key.size, dtype=bool)
        first[1:] = a_key[1:] != a_key[:-1]
        a_key, a_time = a_key[first], a_time[first]  # earliest time each new tie appears
        cu, ct, w = eu[cand_e], rewired[cand_e], cand_w
        valid = w != cu
        d = (w - cu) % n
        ring = np.full(w.size, -1, dtype=np.int64)  # visiting time of the ring tie {u, w}
        fwd = (d >= 1) & (d <= half)
        ring[fwd] = (d[fwd] - 1) * n + cu[fwd]
        bwd = ~fwd & (n - d >= 1) & (n - d <= half)
        ring[bwd] = (n - d[bwd] - 1) * n + w[bwd]
        on_ring = ring >= 0
        r = ring[on_ring]
        valid[on_ring] &= gone[r] & (r < ct[on_ring])  # the ring tie was rewired away before
        key = np.minimum(cu, w) * n + np.maximum(cu, w)
        pos = np.minimum(np.searchsorted(a_key, key), max(a_key.size - 1, 0))
        if a_key.size:
            valid &= ~((a_key[pos] == key) & (a_time[pos] < ct))  # added before: a repeat
        new = np.full(rewired.size, -1, dtype=np.int64)
        groups, rows = _first_per_group(cand_e, valid)
        new[groups] = cand_w[rows]
        need = new < 0
        if need.any():  # a citizen tied to everyone keeps its tie (networkx skips it)
            tries = np.bincount(cand_e, minlength=rewired.size)
            skipped = np.zeros(rewired.size, dtype=bool)
            for e in np.flatnonzero(need & (tries >= 64)):
                skipped[e] = _ws_degree(n, half, e, eu, rewired, chosen, gone) >= n - 1
            need &= ~skipped
        if np.array_equal(new, chosen) and not need.any():
            break
        chosen = new
        if need.any():
            cand_e = np.concatenate([cand_e, np.flatnonzero(need)])
            cand_w = np.concatenate([cand_w, rng.integers(0, n, size=int(need.sum()),
                                                          dtype=np.int64)])
    else:  # pragma: no cover - would need an adversarial chain of conflicts
        raise RuntimeError("watts_strogatz_edges did not settle")
    keep = np.ones(half * n, dtype=bool)
    accepted = chosen >= 0
    keep[rewired[accepted]] = False
    lu = np.concatenate([lat_u[keep], eu[accepted]])
    lv = np.concatenate([lat_v[keep], chosen[accepted]])
    keys = np.minimum(lu, lv) * n + np.maximum(lu, lv)
    return _keys_to_edges(n, keys, name)


def _ws_degree(n: int, half: int, e: int, eu, rewired, chosen, gone) -> int:
    """Number of citizens tied to ``eu[e]`` when tie ``e`` is visited (rare: dense rings)."""
    u, t = int(eu[e]), int(rewired[e])
    friends = set()
    for j in range(1, half + 1):
        for a, b in ((u, (u + j) % n), ((u - j) % n, u)):
            ring_t = (j - 1) * n + a
            if not (gone[ring_t] and ring_t < t):
                friends.add(b if a == u else a)
    earlier = (rewired < t) & (chosen >= 0)
    for x, y in zip(eu[earlier].tolist(), chosen[earlier].tolist(), strict=True):
        if x == u:
            friends.add(y)
        elif y == u:
            friends.add(x)
    return len(friends)


def barabasi_albert_edges(n: int, m: int, rng: np.random.Generator,
                          *, max_rounds: int = 10_000) -> EdgeArrays:
    """Preferential attachment with the rules of networkx's ``barabasi_albert_graph``.

    Start from a star of ``m + 1`` citizens (citizen 0 in the middle); each later citizen ties
    to ``m`` distinct earlier citizens, drawn one at a time from the list of tie ends so far
    (a citizen appears once per tie, so in proportion to its ties), a repeat drawn again.

    Vectorised: a draw is a uniform position in the list of tie ends written before the
    newcomer (Batagelj-Brandes); the far end of a tie copies the end at the position its
    draw points to, resolved by pointer jumping. A newcomer takes the first m distinct
    citizens of its stream of draws (more draws are added while it has fewer); since that
    depends on the earlier ties' ends, the whole is iterated to its fixed point, which is the
    sequential result.
    """
    if m < 1 or m >= n:
        raise ParameterError(f"mean_degree = {2 * m} is too large for barabasi_albert with "
                             f"n_citizens = {n}: it needs 1 <= m = mean_degree/2 < n_citizens")
    name = "barabasi_albert (array builder)"
    batches = n - m - 1
    total = m + batches * m
    near = np.concatenate([np.zeros(m, dtype=np.int64),
                           np.repeat(np.arange(m + 1, n, dtype=np.int64), m)])
    if batches == 0:
        return _keys_to_edges(n, np.arange(1, m + 1, dtype=np.int64), name)
    limit = 2 * (m + np.arange(batches, dtype=np.int64) * m)  # positions a batch may draw
    first = (rng.random((batches, m)) * limit[:, None]).astype(np.int64)  # first m draws
    extra_b = np.zeros(0, dtype=np.int64)  # further draws: batch, position (drawing order)
    extra_p = np.zeros(0, dtype=np.int64)
    pointer = first.ravel().copy()  # the position each new tie's far end copies
    far = np.zeros(total, dtype=np.int64)
    far[:m] = np.arange(1, m + 1)
    for _ in range(max_rounds):
        _resolve_far(m, near, far, pointer)
        ends = np.empty(2 * total, dtype=np.int64)
        ends[0::2], ends[1::2] = near, far
        values = ends[first]
        rows = np.sort(values, axis=1)
        special = np.zeros(batches, dtype=bool)
        special[(rows[:, 1:] == rows[:, :-1]).any(axis=1)] = True
        special[extra_b] = True
        new = first.copy()
        need_b = np.zeros(0, dtype=np.int64)
        if special.any():
            sb = np.flatnonzero(special)
            rank_of = np.full(batches, -1, dtype=np.int64)
            rank_of[sb] = np.arange(sb.size)
            cb = np.concatenate([np.repeat(sb, m), extra_b[special[extra_b]]])
            cp = np.concatenate([first[sb].ravel(), extra_p[special[extra_b]]])
            seq = np.arange(cb.size)  # drawing order within a batch: first m, then extras
            cv = ends[cp]
            order = np.lexsort((seq, cv, cb))
            keep = np.ones(cb.size, dtype=bool)
            keep[1:] = (cb[order][1:] != cb[order][:-1]) | (cv[order][1:] != cv[order][:-1])
            kept = order[keep]  # first draw of each distinct citizen of a batch
            kept = kept[np.lexsort((kept, cb[kept]))]  # by batch, then drawing order
            kb = cb[kept]
            start = np.searchsorted(kb, kb, side="left")
            slot = np.arange(kb.size) - start  # rank among the batch's distinct draws
            use = slot < m
            new[kb[use], slot[use]] = cp[kept[use]]
            have = np.bincount(rank_of[kb[use]], minlength=sb.size)
            short = have < m
            need_b = np.repeat(sb[short], m - have[short])
        new_pointer = new.ravel()
        if need_b.size == 0 and np.array_equal(new_pointer, pointer):
            break
        pointer = new_pointer
        if need_b.size:
            extra_b = np.concatenate([extra_b, need_b])
            extra_p = np.concatenate([extra_p, (rng.random(need_b.size) * limit[need_b]
                                                ).astype(np.int64)])
            order = np.argsort(extra_b, kind="stable")  # keep drawing order within a batch
            extra_b, extra_p = extra_b[order], extra_p[order]
    else:  # pragma: no cover
        raise RuntimeError("barabasi_albert_edges did not settle")
    keys = np.minimum(near, far) * n + np.maximum(near, far)
    return _keys_to_edges(n, keys, name)


def _resolve_far(m: int, near: np.ndarray, far: np.ndarray, pointer: np.ndarray) -> None:
    """Fill ``far[m:]``: tie m + i copies the tie end at position ``pointer[i]`` (position
    2e is tie e's near end, 2e + 1 its far end), following chains of copies."""
    total = near.size
    target = np.full(total, -1, dtype=np.int64)  # tie whose far end this one copies
    odd = (pointer & 1) == 1
    idx = np.arange(m, total, dtype=np.int64)
    far[idx[~odd]] = near[pointer[~odd] >> 1]
    target[idx[odd]] = pointer[odd] >> 1
    seed_end = target[idx] >= 0
    seed_end[seed_end] = target[idx[seed_end]] < m
    t = idx[seed_end]
    far[t] = far[target[t]]
    target[t] = -1
    open_ = idx[target[idx] >= 0]
    while open_.size:
        nxt = target[open_]
        after = target[nxt]  # read before this round's updates
        done = after < 0  # nxt is resolved: copy its far end
        far[open_[done]] = far[nxt[done]]
        target[open_[done]] = -1
        rest = ~done
        target[open_[rest]] = after[rest]  # jump over nxt
        open_ = open_[rest]

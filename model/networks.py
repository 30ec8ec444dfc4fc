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
:func:`watts_strogatz_edges` and :func:`barabasi_albert_edges`. tests/model/test_network_sizes.py
compares them with networkx: pair by pair on tiny networks (thousands of draws), and by degree
distribution, clustering and hubs at 10,000 citizens.

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
import math
import random
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numba
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
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


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
# and per citizen, measured with tracemalloc (numpy reports its buffers to it) and checked
# against the peak RSS, then given a margin of about 1.5:
# * array builders (1e5-1e6 citizens, mean degree 10-100, every generator): the build peaks
#   at 35-75 bytes per tie (BA's slot arrays, WS's ring); the engine at 130 bytes per tie and
#   165 per citizen, plus about 1 byte per citizen and month of records (1e6 citizens, 120
#   months: 887 MiB traced; 829 MiB peak RSS over the baseline at 24 months);
# * networkx (up to LARGE; 50,000 citizens, mean degree 10-100): a Graph peaks at 270-320
#   bytes per tie and 300 per citizen (block model, 2.5e6 ties: 770 MiB traced, 863 MiB RSS);
#   Erdos-Renyi below LARGE draws networkx's ties without its graph (fast_gnp_edges): the
#   array figures.
# tests/model/test_network_memory.py checks that the estimate covers the measured peak.
BYTES_PER_TIE = 200
BYTES_PER_CITIZEN = 600  # engine state and records of runs up to about 20 years
NETWORKX_BYTES_PER_TIE = 450
NETWORKX_BYTES_PER_CITIZEN = 1_000
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
    if params.network in GENERATORS and n <= LARGE and params.network != "erdos_renyi":
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
        if params.network in GENERATORS:
            what = f"n_citizens = {n:,} with mean_degree = {_num(float(params.mean_degree))}"
            advice = "use fewer citizens or a lower mean_degree"
        else:
            what = f"network_file = {params.network_file} ({n:,} citizens)"
            advice = "use a smaller network"
        raise ParameterError(
            f"{what} needs about {_gib(need)} to build and run ({m:,.0f} ties), but only "
            f"{_gib(available)} of memory is available: {advice}")
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


def fast_gnp_edges(n: int, p: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ties of ``networkx.fast_gnp_random_graph(n, p, seed=seed)`` (0 < p < 1) as sorted
    (u, v) arrays, u < v, without building the networkx graph.

    The same algorithm (Batagelj & Brandes 2005: geometric skips over the pairs, row by row)
    with the same random numbers (``random.Random(seed)``, as networkx seeds it: its Mersenne
    Twister state handed to numpy's, which gives the same doubles), compiled, so the same
    graph; tests compare the two. Many times faster for small towns, where the graph's
    dictionaries cost more than the draws.
    """
    state = random.Random(seed).getstate()[1]
    bits = np.random.MT19937()
    bits.state = {"bit_generator": "MT19937",
                  "state": {"key": np.array(state[:624], dtype=np.uint32), "pos": state[624]}}
    draws = np.random.Generator(bits)
    log_q = math.log(1.0 - p)
    expected = p * n * (n - 1) / 2
    chunk = int(expected + 6 * math.sqrt(expected) + 64)  # one draw per tie and a few more
    v, w, lows, highs = 1, -1, [], []
    while v < n:
        u = draws.random(chunk)
        low, high = np.empty(chunk, dtype=np.int64), np.empty(chunk, dtype=np.int64)
        v, w, count = _gnp_skips(n, log_q, u, v, w, low, high)
        lows.append(low[:count])
        highs.append(high[:count])
        chunk = max(64, chunk // 8)
    return canonical_edges(n, np.concatenate(lows), np.concatenate(highs))


@numba.njit(cache=True, nogil=True)
def _gnp_skips(n, log_q, draws, v, w, lows, highs):
    """Batagelj-Brandes from pair (v, w) on, one skip per draw until the draws or the pairs
    run out: the ties found (``lows``, ``highs``), their count, and where it stopped.
    """
    count = 0
    for k in range(draws.size):
        if v >= n:
            break
        w = w + 1 + int(math.log(1.0 - draws[k]) / log_q)
        while w >= v and v < n:
            w = w - v
            v = v + 1
        if v < n:
            highs[count] = v
            lows[count] = w
            count += 1
    return v, w, count


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
    if n <= LARGE and kind == "erdos_renyi" and 0.0 < d / (n - 1) < 1.0:
        u, v = fast_gnp_edges(n, d / (n - 1), _networkx_seed(rng))
        edges = EdgeArrays(n, u, v, generator=NETWORKX_NAMES[kind])
    elif n <= LARGE:
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
    # a probability so small that 1 - p rounds to 1 is no tie at all (below 1e-16 per pair,
    # and networkx's sparse sampler divides by log(1 - p))
    return sizes, (p_in if 1.0 - p_in < 1.0 else 0.0), (p_out if 1.0 - p_out < 1.0 else 0.0)


# --- array builders ----------------------------------------------------------------------------
def _keys_to_edges(n: int, keys: np.ndarray, generator: str) -> EdgeArrays:
    keys = np.sort(keys)
    return EdgeArrays(n, keys // n, keys % n, generator=generator)


def _distinct(count: int, draw, rng: np.random.Generator, *, total: int | None = None,
              everything=None) -> np.ndarray:
    """``count`` distinct keys, a uniformly random subset of the keys ``draw`` samples from.

    ``draw(size)`` returns about ``size`` independent uniform keys (invalid draws removed).
    The union of draws is topped up until it holds ``count`` keys, then a uniform subset of
    that size is kept: every step is symmetric in the keys, so the result is uniform among
    all subsets of ``count`` keys. When more than half of all ``total`` keys are wanted,
    ``everything()`` lists them and a uniform subset of the rest is left out instead.
    """
    if everything is not None and total is not None and count > total // 2:
        every = everything()
        drop = _distinct(total - count, draw, rng)
        return every[~np.isin(every, drop, assume_unique=True)]
    keys = np.zeros(0, dtype=np.int64)
    while keys.size < count:
        need = count - keys.size
        keys = unique_sorted(np.concatenate([keys, draw(int(need * 1.05) + 16)]))
    if keys.size > count:
        keys = keys[np.sort(rng.choice(keys.size, size=count, replace=False))]
    return keys


def _all_pairs(n: int, start: int = 0, size: int | None = None) -> np.ndarray:
    """Keys of all pairs among citizens start..start+size-1 (default: all n)."""
    size = n if size is None else size
    a, b = np.triu_indices(size, 1)
    return (a.astype(np.int64) + start) * n + (b.astype(np.int64) + start)


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

    keys = _distinct(count, draw, rng, total=n * (n - 1) // 2,
                     everything=lambda: _all_pairs(n))
    return _keys_to_edges(n, keys, "erdos_renyi (array builder)")


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

        def every_in():
            return np.sort(np.concatenate([_all_pairs(n, int(a), int(z))
                                           for a, z in zip(starts, sizes, strict=True)]))

        parts.append(_distinct(count_in, draw_in, rng, total=inside_pairs,
                               everything=every_in))
    count_out = int(rng.binomial(across_pairs, p_out)) if across_pairs and p_out > 0 else 0
    if count_out:
        def draw_out(size):
            a = rng.integers(0, n, size=size, dtype=np.int64)
            b = rng.integers(0, n, size=size, dtype=np.int64)
            apart = (np.searchsorted(starts, a, side="right")
                     != np.searchsorted(starts, b, side="right"))
            return _pair_keys(n, a[apart], b[apart])

        def every_out():
            a, b = _all_pairs(n) // n, _all_pairs(n) % n
            apart = (np.searchsorted(starts, a, side="right")
                     != np.searchsorted(starts, b, side="right"))
            return a[apart] * n + b[apart]

        parts.append(_distinct(count_out, draw_out, rng, total=across_pairs,
                               everything=every_out))
    keys = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return _keys_to_edges(n, keys, "block (array builder)")


def _first_per_group(groups: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows in drawing order: the first valid row of each group (its group, its row)."""
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
    size = rewired.size
    every = np.arange(size, dtype=np.int64)
    w0 = rng.integers(0, n, size=size, dtype=np.int64)  # each stream's first candidate
    more_e = np.zeros(0, dtype=np.int64)  # further candidates, in drawing order
    more_w = np.zeros(0, dtype=np.int64)
    chosen = np.full(size, -2, dtype=np.int64)  # -1: no valid candidate yet
    gone = np.zeros(half * n, dtype=bool)  # ring ties rewired away (at their own time)
    for _ in range(max_rounds):
        accepted = chosen >= 0
        a_time = rewired[accepted]
        a_key = np.minimum(eu[accepted], chosen[accepted]) * n + np.maximum(
            eu[accepted], chosen[accepted])
        order = np.argsort(a_key, kind="stable")  # stable: by time within a key
        a_key, a_time = a_key[order], a_time[order]
        first = np.ones(a_key.size, dtype=bool)
        first[1:] = a_key[1:] != a_key[:-1]
        a_key, a_time = a_key[first], a_time[first]  # earliest time each new tie appears

        state = (n, half, eu, rewired, gone, a_key, a_time)
        new = np.where(_ws_valid(every, w0, *state), w0, -1)
        if more_e.size:
            look = new[more_e] < 0
            groups, rows = _first_per_group(more_e[look],
                                            _ws_valid(more_e[look], more_w[look], *state))
            new[groups] = more_w[look][rows]
        need = new < 0
        if need.any():  # a citizen tied to everyone keeps its tie (networkx skips it)
            tries = 1 + np.bincount(more_e, minlength=size)
            for e in np.flatnonzero(need & (tries >= 64)):
                if _ws_degree(n, half, e, eu, rewired, chosen, gone) >= n - 1:
                    need[e] = False
        if np.array_equal(new, chosen) and not need.any():
            break
        gone[rewired[chosen >= 0]] = False
        chosen = new
        gone[rewired[chosen >= 0]] = True
        if need.any():
            more_e = np.concatenate([more_e, np.flatnonzero(need)])
            more_w = np.concatenate([more_w, rng.integers(0, n, size=int(need.sum()),
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


def _ws_valid(e, w, n, half, eu, rewired, gone, a_key, a_time) -> np.ndarray:
    """Whether candidate new end ``w`` of rewired tie ``e`` is neither its citizen nor tied to
    it when the tie is visited (ring ties not yet rewired away, ties added before).
    """
    cu, ct = eu[e], rewired[e]
    ok = w != cu
    d = (w - cu) % n
    ring = np.full(w.size, -1, dtype=np.int64)  # visiting time of the ring tie {u, w}
    fwd = (d >= 1) & (d <= half)
    ring[fwd] = (d[fwd] - 1) * n + cu[fwd]
    bwd = ~fwd & (n - d >= 1) & (n - d <= half)
    ring[bwd] = (n - d[bwd] - 1) * n + w[bwd]
    on_ring = ring >= 0
    r = ring[on_ring]
    ok[on_ring] &= gone[r] & (r < ct[on_ring])  # that ring tie was rewired away before
    if a_key.size:
        key = np.minimum(cu, w) * n + np.maximum(cu, w)
        pos = np.minimum(np.searchsorted(a_key, key), a_key.size - 1)
        ok &= ~((a_key[pos] == key) & (a_time[pos] < ct))  # added before: a repeat
    return ok


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


def barabasi_albert_edges(n: int, m: int, rng: np.random.Generator) -> EdgeArrays:
    """Preferential attachment with the rules of networkx's ``barabasi_albert_graph``.

    Start from a star of ``m + 1`` citizens (citizen 0 in the middle); each later citizen ties
    to ``m`` distinct earlier citizens, drawn one at a time from the list of tie ends so far
    (a citizen appears once per tie, so in proportion to its ties), a repeat drawn again.

    Vectorised: a draw is a uniform position in the list of tie ends written before the
    newcomer (Batagelj-Brandes); the far end of a tie copies the end at the position its
    draw points to, resolved by pointer jumping. A newcomer takes the first m distinct
    citizens of its stream of draws (more draws are added while it has fewer). Which draws
    those are depends on earlier ties' far ends, so newcomers with a repeat are settled and
    the change is propagated to every newcomer with a draw pointing at a changed tie, until
    nothing changes: that fixed point is the sequential result.
    """
    if m < 1 or m >= n:
        raise ParameterError(f"mean_degree = {2 * m} is too large for barabasi_albert with "
                             f"n_citizens = {n}: it needs 1 <= m = mean_degree/2 < n_citizens")
    name = "barabasi_albert (array builder)"
    batches = n - m - 1
    near = np.concatenate([np.zeros(m, dtype=np.int64),
                           np.repeat(np.arange(m + 1, n, dtype=np.int64), m)])
    far = np.zeros(near.size, dtype=np.int64)
    far[:m] = np.arange(1, m + 1)
    if batches:
        _ba_settle(m, batches, near, far, rng)
    keys = np.minimum(near, far) * n + np.maximum(near, far)
    return _keys_to_edges(n, keys, name)


class _Draws:
    """The newcomers' streams of draws: the first m of each as a matrix, more as extras."""

    def __init__(self, m: int, batches: int, rng: np.random.Generator) -> None:
        self.m, self.rng = m, rng
        self.limit = 2 * (m + np.arange(batches, dtype=np.int64) * m)  # positions allowed
        self.first = (rng.random((batches, m)) * self.limit[:, None]).astype(np.int64)
        self.extra_b = np.zeros(0, dtype=np.int64)  # sorted by batch, drawing order kept
        self.extra_p = np.zeros(0, dtype=np.int64)

    def add(self, batch: np.ndarray) -> None:
        pos = (self.rng.random(batch.size) * self.limit[batch]).astype(np.int64)
        b = np.concatenate([self.extra_b, batch])
        p = np.concatenate([self.extra_p, pos])
        order = np.argsort(b, kind="stable")
        self.extra_b, self.extra_p = b[order], p[order]

    def of(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(batch, position) of every draw of the sorted ``batch``es, in drawing order."""
        lo = np.searchsorted(self.extra_b, batch, side="left")
        hi = np.searchsorted(self.extra_b, batch, side="right")
        more = _ranges(lo, hi)
        return (np.concatenate([np.repeat(batch, self.m), self.extra_b[more]]),
                np.concatenate([self.first[batch].ravel(), self.extra_p[more]]))


def _ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(lo[i], hi[i])``."""
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    return offsets + np.arange(total, dtype=np.int64)


def _ba_settle(m: int, batches: int, near: np.ndarray, far: np.ndarray,
               rng: np.random.Generator, *, growth: float = 0.25) -> None:
    """Fill ``far`` for the newcomers, chunk by chunk of consecutive newcomers.

    Before a chunk, every earlier tie is final. A chunk grows the population by a share
    ``growth``, so only about that share of its draws point inside it: iterating "resolve the
    far ends, then let every newcomer with a repeat take its first m distinct draws" settles
    in a few rounds.
    """
    draws = _Draws(m, batches, rng)
    a = 0
    while a < batches:
        b = min(batches, a + max(1, int(growth * (a + 1))))
        lo, hi = m + a * m, m + b * m  # the chunk's ties
        pointer = draws.first[a:b].ravel().copy()
        while True:
            _resolve_far(lo, near, far[:hi], pointer)

            def value(pos):
                tie = pos >> 1
                return np.where(pos & 1, far[tie], near[tie])

            rows = np.sort(value(draws.first[a:b]), axis=1)
            special = (rows[:, 1:] == rows[:, :-1]).any(axis=1)
            e0, e1 = np.searchsorted(draws.extra_b, [a, b])
            special[draws.extra_b[e0:e1] - a] = True
            chosen = draws.first[a:b].copy()
            todo = np.flatnonzero(special)
            if todo.size:
                chosen[todo] = _ba_first_distinct(m, todo + a, draws, value)
            chosen = chosen.ravel()
            if np.array_equal(chosen, pointer):
                break
            pointer = chosen
        a = b


def _ba_first_distinct(m: int, todo: np.ndarray, draws: _Draws, value) -> np.ndarray:
    """For the sorted batches ``todo``: the positions of the first m distinct citizens among
    each one's draws (drawing more where fewer than m are distinct), one row per batch.
    """
    out = np.zeros((todo.size, m), dtype=np.int64)
    where = np.arange(todo.size)
    batch = todo
    while batch.size:
        cb, cp = draws.of(batch)
        cv = value(cp)
        seq = np.arange(cb.size)
        order = np.lexsort((seq, cv, cb))
        keep = np.ones(cb.size, dtype=bool)
        keep[1:] = (cb[order][1:] != cb[order][:-1]) | (cv[order][1:] != cv[order][:-1])
        kept = order[keep]  # each distinct citizen's first draw
        kept = kept[np.lexsort((kept, cb[kept]))]  # by batch, then drawing order
        kb = cb[kept]
        rank = np.arange(kb.size) - np.searchsorted(kb, kb, side="left")
        use = rank < m
        row = np.searchsorted(batch, kb[use])
        out[where[row], rank[use]] = cp[kept[use]]
        have = np.bincount(row, minlength=batch.size)
        short = have < m
        if short.any():
            draws.add(np.repeat(batch[short], m - have[short]))
        batch, where = batch[short], where[short]
    return out


def _resolve_far(lo: int, near: np.ndarray, far: np.ndarray, pointer: np.ndarray) -> None:
    """Fill ``far[lo:]``: tie ``lo + i`` copies the tie end at position ``pointer[i]``
    (position 2e is tie e's near end, 2e + 1 its far end); ties before ``lo`` are final;
    chains of copies inside ``far[lo:]`` are followed by pointer jumping.
    """
    total = far.size
    tie = pointer >> 1
    odd = (pointer & 1) == 1
    idx = np.arange(lo, total, dtype=np.int64)
    far[idx[~odd]] = near[tie[~odd]]
    outside = odd & (tie < lo)
    far[idx[outside]] = far[tie[outside]]
    target = np.full(total - lo, -1, dtype=np.int64)  # chunk tie whose far end i copies
    inside = odd & ~outside
    target[inside] = tie[inside] - lo
    open_ = np.flatnonzero(inside)
    while open_.size:
        nxt = target[open_]
        after = target[nxt]  # read before this round's updates
        done = after < 0  # nxt is resolved: copy its far end
        far[lo + open_[done]] = far[lo + nxt[done]]
        target[open_[done]] = -1
        rest = ~done
        target[open_[rest]] = after[rest]  # jump over nxt
        open_ = open_[rest]


# --- reading real networks ---------------------------------------------------------------------
SEPARATORS = {"\t": "tabs", ",": "commas", ";": "semicolons", " ": "spaces"}
HEADER_WORDS = {
    "source", "target", "from", "to", "src", "dst", "dest", "destination", "origin", "node",
    "nodes", "vertex", "vertices", "id", "ids", "u", "v", "i", "j", "a", "b", "x", "y",
    "person", "people", "ego", "alter", "user", "friend", "follower", "followee", "name",
    "left", "right", "head", "tail", "start", "end", "in", "out", "sender", "receiver",
    "citizen", "member", "actor", "edge", "tie", "first", "second", "one", "two", "label",
    "key", "n", "m", "s", "t"}
_INT = re.compile(r"[+-]?\d+\Z")
_IDS_RUN_TOGETHER = re.compile(r"[+-]?\d+(?:\s*[\s,;]\s*[+-]?\d+)+\Z")
_GML = re.compile(r"(?:(?:creator|version)\b[^\n]*\n\s*)*graph\s*\[", re.IGNORECASE)


def file_source(path: str | Path, data: bytes | None = None) -> dict:
    """``{"file": name, "sha256": hex}`` of a network file, as recorded by ``describe()``."""
    path = Path(path)
    data = path.read_bytes() if data is None else data
    return {"file": path.name, "sha256": hashlib.sha256(data).hexdigest()}


def read_network_file(path: str | Path, **options) -> nx.Graph:
    """Read an edge list or a GraphML file into a graph with integer nodes and ``label``
    names (see :func:`read_network_edges` for the rules and ``options``).
    """
    return edges_to_graph(read_network_edges(path, **options))


def read_network_edges(path: str | Path, *, separator: str | None = None,
                       header: bool | None = None) -> EdgeArrays:
    """Read an edge list or a GraphML file as :class:`EdgeArrays` (names in ``labels``).

    GraphML (suffix ``.graphml`` or ``.xml``, or text starting with ``<``): an undirected
    graph; repeated ties and self-loops are dropped, isolated nodes kept. A directed GraphML
    is refused: friendship ties are undirected, so the file must say how to symmetrise.

    Edge lists: one tie per line, two names first; further columns (weights) are ignored;
    ``#`` starts a comment; a UTF-8 byte-order mark is ignored. The separator is detected
    once for the whole file from its first six data lines: tab, comma, semicolon or runs of
    spaces, whichever splits most of them into two names (then: into two names holding no
    other separator; then in that order); comma- and semicolon-separated fields may
    be quoted. Every line must then give two names with it: a line with one name, an empty
    name, a tab in a space-separated file, or a name that is several numbers run together
    (``"1 2"``) is an error naming the line. The first line is a header if its two fields are
    not both valid ids where the following lines' are (numeric ids under a non-numeric first
    line), or if both are header words (``source``, ``from_id``, ``Person A``, ...) that occur
    nowhere else in the file. A self-loop line keeps its citizen without a tie; repeated ties
    are dropped. Names are never made up: every citizen is a name written in the file.

    Args:
        path: The file.
        separator: Force the separator (``"\\t"``, ``","``, ``";"`` or ``" "``).
        header: Force whether the first data line is a header.

    Raises:
        NetworkFileError: A missing or unreadable file, a GML file, a directed GraphML, a
            line that does not give two names, no ties at all; one line naming the file (and
            line).
    """
    path = Path(path)
    if not path.is_file():
        raise NetworkFileError(f"{path}: network file not found")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NetworkFileError(f"{path}: cannot read the network file ({exc.strerror})"
                               ) from None
    source = file_source(path, data)
    if path.suffix.lower() == ".gml":
        raise NetworkFileError(f"{path}: GML is not an edge list; convert it or use GraphML")
    if path.suffix.lower() in (".graphml", ".xml") or data.lstrip(
            codecs.BOM_UTF8 + b" \t\r\n").startswith(b"<"):
        edges = _read_graphml(path, data)
        edges.source = source
        return edges
    text = _decode(path, data)
    edges = _read_edge_list(path, text, separator, header)
    edges.source = source
    return edges


def _decode(path: Path, data: bytes) -> str:
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = skip + exc.start
        hint = (" (it looks like UTF-16)" if data[:2] in (codecs.BOM_UTF16_LE,
                                                            codecs.BOM_UTF16_BE) else "")
        raise NetworkFileError(
            f"{path}: not UTF-8 text{hint}: byte 0x{data[offset]:02x} at byte offset "
            f"{offset} cannot be decoded; save the file as UTF-8") from None


def _read_graphml(path: Path, data: bytes) -> EdgeArrays:
    import io

    try:
        graph = nx.read_graphml(io.BytesIO(data))
    except Exception as exc:  # networkx and the XML parser raise several kinds
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise NetworkFileError(f"{path}: not a valid GraphML file ({reason})") from None
    if graph.is_directed():
        raise NetworkFileError(
            f"{path}: a directed GraphML network; friendship ties are undirected: symmetrise "
            "it first (edgedefault=\"undirected\", a tie for each pair linked either way)")
    simple = nx.Graph(graph)  # repeated ties collapse
    simple.remove_edges_from(list(nx.selfloop_edges(simple)))
    if simple.number_of_edges() == 0:
        raise NetworkFileError(f"{path}: no ties found in the GraphML file "
                               f"({simple.number_of_nodes()} nodes, no edges between two)")
    edges = graph_to_edges(relabel_to_integers(simple))
    edges.generator = "GraphML"
    return edges


def _data_lines(text: str) -> list[tuple[int, str]]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = []
    for number, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            out.append((number, line))
    return out


def _split(line: str, sep: str) -> list[str]:
    """Fields of a line (stripped); raises csv.Error on broken quoting."""
    if sep in ",;":
        return [f.strip() for f in next(csv.reader([line], delimiter=sep, strict=True,
                                                   skipinitialspace=True))]
    if sep == "\t":
        return [f.strip() for f in line.split("\t")]
    return [f for f in line.split(" ") if f]


def _choose_separator(head: list[str]) -> str:
    """The separator under which most of the first data lines split into two names (then:
    into two names holding no other separator; then: tab, comma, semicolon, space).
    """
    best, best_score = " ", (0, 0)
    for sep in ("\t", ",", ";", " "):
        others = set("\t,;") - {sep}
        fits = clean = 0
        for line in head:
            try:
                pair = [f for f in _split(line, sep)[:2] if f]
            except csv.Error:
                continue
            if len(pair) == 2:
                fits += 1
                clean += not any(c in f for f in pair for c in others)
        if (fits, clean) > best_score:
            best, best_score = sep, (fits, clean)
    return best


def _name_problem(name: str, sep: str) -> str | None:
    if not name:
        return "an empty name"
    if sep == " " and "\t" in name:
        return f"a tab in {name!r} in a file separated by spaces"
    for c in name:
        if unicodedata.category(c)[0] == "C" and c != "\t":
            return f"an invisible character U+{ord(c):04X} in {name!r}"
    if _IDS_RUN_TOGETHER.match(name):
        return f"{name!r} looks like several ids run together"
    return None


def _header_like(name: str) -> bool:
    words = re.findall(r"[a-z]+", name.lower())
    return bool(words) and all(w in HEADER_WORDS for w in words)


def _read_edge_list(path: Path, text: str, separator: str | None, header: bool | None
                    ) -> EdgeArrays:
    lines = _data_lines(text)
    if not lines:
        raise NetworkFileError(f"{path}: no ties found (expected one 'name1,name2' per line)")
    head = "\n".join(line for _, line in lines[:12])
    if _GML.match(head):
        raise NetworkFileError(f"{path}: GML is not an edge list; convert it or use GraphML")
    if separator is not None and separator not in SEPARATORS:
        raise NetworkFileError(f"{path}: separator {separator!r} is not one of tab, comma, "
                               "semicolon or space")
    sep = separator or _choose_separator([line for _, line in lines[:6]])
    how = SEPARATORS[sep] + ("" if separator else " (detected from the first lines)")

    def pair(number: int, line: str) -> tuple[str, str]:
        try:
            fields = _split(line, sep)
        except csv.Error as exc:
            raise NetworkFileError(f"{path}:{number}: broken quoting ({exc}) in {line!r}"
                                   ) from None
        if len(fields) < 2:
            raise NetworkFileError(f"{path}:{number}: expected two node names separated by "
                                   f"{how}, got {line!r}")
        for name in fields[:2]:
            problem = _name_problem(name, sep)
            if problem:
                raise NetworkFileError(f"{path}:{number}: {problem}; expected two node names "
                                       f"separated by {how}, got {line!r}")
        return fields[0], fields[1]

    first_number, first_line = lines[0]
    try:
        first = pair(first_number, first_line)
        first_error = None
    except NetworkFileError as exc:
        first, first_error = None, exc
    try:
        rest = [pair(number, line) for number, line in lines[1:]]
    except NetworkFileError:
        if first_error is not None and header is not True:
            raise first_error from None  # the earliest bad line
        raise
    if header is None:
        header = False
        if first is not None:
            numeric = rest and all(_INT.match(x) and _INT.match(y) for x, y in rest[:50])
            if numeric and not (_INT.match(first[0]) and _INT.match(first[1])):
                header = True
            elif _header_like(first[0]) and _header_like(first[1]):
                seen = {name for p in rest for name in p}
                header = first[0] not in seen and first[1] not in seen
    if not header:
        if first_error is not None:
            raise first_error
        rest.insert(0, first)
    if not rest:
        raise NetworkFileError(f"{path}: no ties found: the only line, {first_line!r}, reads "
                               "as a header")
    index: dict[str, int] = {}
    for a, b in rest:
        index.setdefault(a, len(index))
        index.setdefault(b, len(index))
    ends = np.array([(index[a], index[b]) for a, b in rest], dtype=np.int64)
    n = len(index)
    u, v = canonical_edges(n, ends[:, 0], ends[:, 1])
    if u.size == 0:
        raise NetworkFileError(f"{path}: no ties found (every line ties a name to itself)")
    return EdgeArrays(n, u, v, list(index), generator="edge list")


# --- statistics across sizes -------------------------------------------------------------------
def network_statistics(edges: EdgeArrays) -> dict:
    """Degree mean, variance and maximum, share of degree >= 2x the mean, and the average
    clustering coefficient (networkx's convention: 0 for citizens with fewer than 2 ties).
    """
    from scipy import sparse

    n = edges.n
    degree = np.bincount(np.concatenate([edges.u, edges.v]), minlength=n).astype(np.float64)
    ones = np.ones(edges.u.size, dtype=np.float64)
    a = sparse.coo_matrix((np.concatenate([ones, ones]),
                           (np.concatenate([edges.u, edges.v]),
                            np.concatenate([edges.v, edges.u]))), shape=(n, n)).tocsr()
    triangles = np.asarray((a @ a).multiply(a).sum(axis=1)).ravel() / 2
    pairs = degree * (degree - 1) / 2
    clustering = np.divide(triangles, pairs, out=np.zeros(n), where=pairs > 0)
    return {"citizens": n, "ties": int(edges.u.size), "mean_degree": float(degree.mean()),
            "degree_variance": float(degree.var()), "max_degree": int(degree.max()),
            "clustering": float(clustering.mean()), "generator": edges.generator}


def statistics_across_sizes(sizes=(20_000, 50_000, 50_001, 100_000), *,
                            network: str = "watts_strogatz", mean_degree: float = 10.0,
                            seeds=(1, 2, 3), **values) -> list[dict]:
    """:func:`network_statistics` of :func:`build_edges` networks at each size (mean over
    ``seeds``): a sweep across :data:`LARGE` shows no break (tests/model/test_network_sizes.py;
    ``python -m spiral.model.networks`` prints the table).
    """
    from spiral.model.params import Params

    rows = []
    for n in sizes:
        params = Params(values, n_citizens=n, network=network, mean_degree=mean_degree)
        stats = [network_statistics(build_edges(params, np.random.default_rng(s)))
                 for s in seeds]
        row = {"n_citizens": n, "generator": stats[0]["generator"], "seeds": len(stats)}
        for key in ("mean_degree", "degree_variance", "clustering", "max_degree"):
            row[key] = float(np.mean([s[key] for s in stats]))
        rows.append(row)
    return rows


def main(argv=None) -> None:  # pragma: no cover - a command-line tool
    """Print :func:`statistics_across_sizes` for each network kind (``python -m``)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m spiral.model.networks",
                                     description="Degree statistics across n_citizens.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 50_000, 50_001,
                                                                   100_000])
    parser.add_argument("--networks", nargs="+", default=list(GENERATORS))
    parser.add_argument("--mean-degree", type=float, default=10.0)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    print("network          n_citizens  generator                          mean_deg  "
          "variance  clustering  max_deg")
    for kind in args.networks:
        for row in statistics_across_sizes(args.sizes, network=kind,
                                           mean_degree=args.mean_degree,
                                           seeds=range(1, args.seeds + 1)):
            print(f"{kind:16s} {row['n_citizens']:>10,}  {row['generator']:33s} "
                  f"{row['mean_degree']:8.3f}  {row['degree_variance']:8.3f}  "
                  f"{row['clustering']:10.4f}  {row['max_degree']:7.0f}")


if __name__ == "__main__":  # pragma: no cover
    main()

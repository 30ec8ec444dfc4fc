"""Friendship networks: seeded generators, real networks from files, and conversion to arrays.

Generators (all seeded from the run's ``network`` stream, never unseeded): Erdos-Renyi,
Watts-Strogatz (small world), Barabasi-Albert (scale free), a stochastic block model
(communities), and networkx's bundled Zachary karate club as a tiny real example. A real
network is read from an edge list (CSV, TSV or whitespace separated, optional header, ``#``
comments) or a GraphML file, and relabelled to integers 0..n-1 with the original names kept
in the node attribute ``label``.

The engine works on edge arrays ``(u, v)`` with ``u < v``; :func:`build_edges` returns them.
For the karate club and for files, the network fixes the number of citizens.

Example:
    >>> import numpy as np
    >>> from spiral.model.params import Params
    >>> net = build_edges(Params(n_citizens=100, network="erdos_renyi", mean_degree=4),
    ...                   np.random.default_rng(1))
    >>> net.n, bool((net.u < net.v).all())
    (100, True)
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
from spiral.model.errors import InputError
from spiral.model.params import ParameterError
from spiral.model.ties import unique_sorted

HEADER_WORDS = {"source", "target", "from", "to", "u", "v", "node1", "node2", "src", "dst",
                "i", "j", "a", "b", "id1", "id2", "person1", "person2", "ego", "alter"}


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
    """

    n: int
    u: np.ndarray
    v: np.ndarray
    labels: list[str] | None = field(default=None)


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


def _networkx_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def generate_graph(params, rng: np.random.Generator) -> nx.Graph:
    """Build the friendship network named by ``params.network`` as a networkx graph."""
    n, d = params.n_citizens, params.mean_degree
    kind = params.network
    if kind == "karate":
        return nx.karate_club_graph()
    if kind == "file":
        return read_network_file(params.network_file)
    seed = _networkx_seed(rng)
    if kind == "erdos_renyi":
        return nx.fast_gnp_random_graph(n, min(1.0, d / max(n - 1, 1)), seed=seed)
    if kind == "watts_strogatz":
        k = int(2 * round(d / 2))
        if k >= n:
            raise ParameterError(f"mean_degree = {d} is too large for watts_strogatz with "
                                 f"n_citizens = {n}: need mean_degree < n_citizens")
        return nx.watts_strogatz_graph(n, k, params.ws_rewire, seed=seed)
    if kind == "barabasi_albert":
        m = max(1, int(round(d / 2)))
        if m >= n:
            raise ParameterError(f"mean_degree = {d} is too large for barabasi_albert with "
                                 f"n_citizens = {n}")
        return nx.barabasi_albert_graph(n, m, seed=seed)
    if kind == "block":
        return _block_model(n, d, params.n_communities, params.community_mixing, seed)
    raise ParameterError(f"network = {kind!r} is not a known generator")  # pragma: no cover


def _block_model(n: int, d: float, k: int, mixing: float, seed: int) -> nx.Graph:
    k = min(k, n)
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    s = n / k
    p_in = min(1.0, (1.0 - mixing) * d / max(s - 1, 1))
    p_out = min(1.0, mixing * d / max(n - s, 1)) if k > 1 else 0.0
    probs = [[p_in if a == b else p_out for b in range(k)] for a in range(k)]
    graph = nx.stochastic_block_model(sizes, probs, seed=seed, sparse=True)
    return nx.Graph(graph)  # drop block metadata; node attribute "block" is kept


LARGE = 50_000  # above this many citizens the generators below build arrays directly


def build_edges(params, rng: np.random.Generator) -> EdgeArrays:
    """Build the network named by ``params.network`` as :class:`EdgeArrays`.

    Up to :data:`LARGE` citizens the networkx generators are used (seeded from ``rng``); above
    it, vectorised numpy builders of the same models, linear in citizens + ties in time and
    memory (networkx needs tens of seconds and gigabytes at a million nodes).
    """
    n, d = params.n_citizens, params.mean_degree
    if n > LARGE:
        if params.network == "erdos_renyi":
            return erdos_renyi_edges(n, d, rng)
        if params.network == "watts_strogatz":
            k = int(2 * round(d / 2))
            return watts_strogatz_edges(n, k, params.ws_rewire, rng)
        if params.network == "barabasi_albert":
            return barabasi_albert_edges(n, max(1, int(round(d / 2))), rng)
        if params.network == "block":
            return block_edges(n, d, params.n_communities, params.community_mixing, rng)
    return graph_to_edges(generate_graph(params, rng))


def erdos_renyi_edges(n: int, mean_degree: float, rng: np.random.Generator) -> EdgeArrays:
    """A G(n, m) random graph with m = n * mean_degree / 2 drawn directly as arrays.

    Draws candidate pairs uniformly, drops self-loops and duplicates, and tops up until m
    distinct edges remain; memory and time are linear in n + m.
    """
    m = int(round(n * mean_degree / 2))
    m = min(m, n * (n - 1) // 2)
    keys = np.zeros(0, dtype=np.int64)
    while keys.size < m:
        need = m - keys.size
        extra = int(need * 1.05) + 16
        a = rng.integers(0, n, size=extra, dtype=np.int64)
        b = rng.integers(0, n, size=extra, dtype=np.int64)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        ok = lo != hi
        keys = unique_sorted(np.concatenate([keys, lo[ok] * n + hi[ok]]))
    if keys.size > m:
        keys = np.sort(rng.choice(keys, size=m, replace=False))
    return EdgeArrays(n, keys // n, keys % n)


def _keys_to_edges(n: int, keys: np.ndarray) -> EdgeArrays:
    return EdgeArrays(n, keys // n, keys % n)


def watts_strogatz_edges(n: int, k: int, rewire: float, rng: np.random.Generator,
                         *, rounds: int = 30) -> EdgeArrays:
    """A Watts-Strogatz small world: a ring where each citizen knows its ``k`` nearest, each
    tie rewired with probability ``rewire`` to a uniformly random citizen.

    A rewired tie that would be a self-loop or duplicate draws again (up to ``rounds`` times,
    then keeps its lattice end), so the number of ties stays ``n * k / 2``.
    """
    if k >= n:
        raise ParameterError(f"mean_degree = {k} is too large for watts_strogatz with "
                             f"n_citizens = {n}: need mean_degree < n_citizens")
    half = k // 2
    u = np.repeat(np.arange(n, dtype=np.int64), half)
    v = (u + np.tile(np.arange(1, half + 1, dtype=np.int64), n)) % n
    pending = np.flatnonzero(rng.random(u.size) < rewire)
    target = v.copy()
    for _ in range(rounds):
        if pending.size == 0:
            break
        target[pending] = rng.integers(0, n, size=pending.size, dtype=np.int64)
        keys = np.minimum(u, target) * n + np.maximum(u, target)
        order = np.argsort(keys, kind="stable")
        dup = np.zeros(u.size, dtype=bool)
        dup[order[1:]] = keys[order[1:]] == keys[order[:-1]]
        bad = (target == u) | dup
        pending = pending[bad[pending]]
    target[pending] = v[pending]
    keys = unique_sorted(np.minimum(u, target) * n + np.maximum(u, target))
    return _keys_to_edges(n, keys)


def barabasi_albert_edges(n: int, m: int, rng: np.random.Generator) -> EdgeArrays:
    """Preferential attachment (Barabasi-Albert): each new citizen ties to ``m`` others
    chosen in proportion to their ties so far, starting from a star of ``m + 1`` citizens.

    Vectorised Batagelj-Brandes: the far end of tie ``e`` copies the end stored in a uniformly
    chosen earlier slot; chains of copies are resolved by pointer jumping. Repeated or
    self-ties are dropped, so a few citizens get fewer than ``m`` new ties.
    """
    if m >= n:
        raise ParameterError(f"mean_degree = {2 * m} is too large for barabasi_albert with "
                             f"n_citizens = {n}")
    seed_u = np.zeros(m, dtype=np.int64)
    seed_v = np.arange(1, m + 1, dtype=np.int64)
    new_u = np.repeat(np.arange(m + 1, n, dtype=np.int64), m)
    total = m + new_u.size
    slots = np.empty(2 * total, dtype=np.int64)  # slot 2e: near end, 2e + 1: far end
    slots[0:2 * m:2], slots[1:2 * m:2] = seed_u, seed_v
    slots[2 * m::2] = new_u
    known = np.ones(2 * total, dtype=bool)
    known[2 * m + 1::2] = False
    first_slot = 2 * (m + (new_u - (m + 1)) * m)  # first slot of the citizen's batch
    pointer = np.arange(2 * total, dtype=np.int64)
    pointer[2 * m + 1::2] = (rng.random(new_u.size) * first_slot).astype(np.int64)
    while True:
        chase = ~known[pointer]
        if not chase.any():
            break
        pointer[chase] = pointer[pointer[chase]]
    far = slots[pointer[1::2]]
    near = slots[0::2]
    keep = near != far
    lo, hi = np.minimum(near, far)[keep], np.maximum(near, far)[keep]
    return _keys_to_edges(n, unique_sorted(lo * n + hi))


def block_edges(n: int, mean_degree: float, communities: int, mixing: float,
                rng: np.random.Generator) -> EdgeArrays:
    """A stochastic block model: ``communities`` equal blocks, a share ``mixing`` of the
    expected ties between blocks; ties drawn as uniform pairs per block pair (self-loops and
    repeats dropped, a negligible shortfall for sparse networks).
    """
    k = min(communities, n)
    sizes = np.array([n // k + (1 if i < n % k else 0) for i in range(k)], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    s = n / k
    p_in = min(1.0, (1.0 - mixing) * mean_degree / max(s - 1, 1))
    p_out = min(1.0, mixing * mean_degree / max(n - s, 1)) if k > 1 else 0.0
    parts = []
    for a in range(k):
        for b in range(a, k):
            pairs = sizes[a] * (sizes[a] - 1) // 2 if a == b else sizes[a] * sizes[b]
            count = rng.binomial(int(pairs), p_in if a == b else p_out) if pairs else 0
            if count == 0:
                continue
            x = starts[a] + rng.integers(0, sizes[a], size=count, dtype=np.int64)
            y = starts[b] + rng.integers(0, sizes[b], size=count, dtype=np.int64)
            parts.append(np.minimum(x, y)[x != y] * n + np.maximum(x, y)[x != y])
    keys = unique_sorted(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
    return _keys_to_edges(n, keys)


# --- reading real networks -------------------------------------------------------------------
def read_network_file(path: str | Path) -> nx.Graph:
    """Read an edge list or a GraphML file into a graph with integer nodes and ``label`` names.

    Edge lists: one tie per line, two node names separated by a comma, a tab or spaces; extra
    columns (weights) are ignored; ``#`` starts a comment; a first line such as
    ``source,target`` is taken as a header. Self-loops and repeated ties are dropped.

    Raises:
        NetworkFileError: Missing file, unreadable GraphML, a line without two names, or no
            ties at all; the message names the file and the line.
    """
    path = Path(path)
    if not path.is_file():
        raise NetworkFileError(f"{path}: network file not found")
    if path.suffix.lower() in (".graphml", ".xml"):
        try:
            graph = nx.read_graphml(path)
        except Exception as exc:  # networkx raises several parser errors
            raise NetworkFileError(f"{path}: not a valid GraphML file ({exc})") from None
        graph = nx.Graph(graph)  # undirected, simple
        graph.remove_edges_from(nx.selfloop_edges(graph))
        if graph.number_of_nodes() < 2:
            raise NetworkFileError(f"{path}: GraphML file has fewer than 2 nodes")
        return relabel_to_integers(graph)
    return _read_edge_list(path)


def _split(line: str) -> list[str]:
    if "," in line:
        return [f.strip() for f in next(csv.reader(io.StringIO(line)))]
    if "\t" in line:
        return [f.strip() for f in line.split("\t")]
    return line.split()


def _read_edge_list(path: Path) -> nx.Graph:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise NetworkFileError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    graph = nx.Graph()
    first = True
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = _split(line)
        if first:
            first = False
            if len(fields) >= 2 and {fields[0].lower(), fields[1].lower()} <= HEADER_WORDS:
                continue
        if len(fields) < 2 or not fields[0] or not fields[1]:
            raise NetworkFileError(
                f"{path}:{lineno}: expected two node names separated by a comma, tab or "
                f"spaces, got {raw.strip()!r}")
        a, b = fields[0], fields[1]
        graph.add_node(a)
        graph.add_node(b)
        if a != b:
            graph.add_edge(a, b)
    if graph.number_of_edges() == 0:
        raise NetworkFileError(f"{path}: no ties found (expected one 'name1,name2' per line)")
    return relabel_to_integers(graph)

"""Several runs of one parameter set as one array engine (a block-diagonal population).

Small towns waste the array engine: at 2,000 citizens a month is a few hundred small numpy
calls, each costing more in overhead than in work. :class:`BatchEngine` runs K runs with the
same parameters but their own seeds (replicates) as one population of K blocks: run k's
citizens are numbered ``offset[k]`` to ``offset[k+1] - 1`` and ties never cross blocks, so
every phase of :class:`~spiral.model.engine.ArrayEngine` applies unchanged to all runs at once.

What keeps each run exactly the run it would be alone:

* random numbers are keyed (:mod:`spiral.model.draws`): a draw uses its own run's key and
  the citizens' numbers *within* their run, so it is the number the lone run draws;
* the network and the citizens' starting values come from each run's own seed streams;
* every rule that looks beyond a citizen's friends (the pool of strangers for random and
  homophily rewiring) looks only inside the citizen's block;
* collisions between replacement proposals (:func:`spiral.model.rules.resolve_new_ties`) can
  only happen inside a block, and the canonical order within a block is the lone run's;
* each run has its own :class:`~spiral.model.records.Recorder`, fed with its block's part of
  every event and state, in its own citizen numbers.

So ``BatchEngine(params, seeds=[a, b, c]).data()`` equals ``[ArrayEngine(params, seed=s).data()
for s in (a, b, c)]`` table for table, whatever the batch size (tests/model/test_batch.py).

Example:
    >>> from spiral.model.params import Params
    >>> batch = BatchEngine(Params(n_citizens=200, ticks=3), seeds=[1, 2, 3])
    >>> batch.run()
    >>> [len(data.timeseries) for data in batch.data()]
    [2, 2, 2]
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from spiral.model import rules
from spiral.model.draws import phase_keys, run_key, uniform_from
from spiral.model.engine import ArrayEngine, _starting_csr, as_edges
from spiral.model.fast_ties import FastTieTable
from spiral.model.initial import InitialState, ScriptedListing, initial_state, listings_by_tick
from spiral.model.networks import EdgeArrays, build_edges
from spiral.model.params import ParameterError, Params
from spiral.model.records import EventLog, Recorder, RunData, event_table
from spiral.model.streams import make_streams, resolve_seed


class BatchEngine(ArrayEngine):
    """K runs of one parameter set, each with its own seed, stepped together.

    Args:
        params: Parameter values shared by every run (a :class:`Params` or a mapping).
        seeds: One seed per run.
        networks: One prebuilt network per run (EdgeArrays or networkx graphs), or None to
            build each from its run's seed as :class:`ArrayEngine` does.
        listings: Scripted listings applied in every run (besides each run's cohort).
        tracks: Per run, the citizens (in that run's numbering) followed month by month.
        collect: Collect the model-level measures every month (False: first and last only).
    """

    def __init__(self, params, *, seeds: Sequence[int], networks=None, listings=(),
                 tracks=None, collect: bool = True, ties_class=FastTieTable) -> None:
        self.params = p = params if isinstance(params, Params) else Params(dict(params or {}))
        self.seeds = [resolve_seed(None, s) for s in seeds]
        if not self.seeds:
            raise ParameterError("a batch needs at least one seed")
        k = len(self.seeds)
        if networks is not None and len(networks) != k:
            raise ParameterError(f"{len(networks)} networks for {k} seeds")
        tracks = [()] * k if tracks is None else list(tracks)
        self.keys = np.array([run_key(s) for s in self.seeds], dtype=np.uint64)
        parts, inits, scripted = [], [], []
        for run, seed in enumerate(self.seeds):
            streams = make_streams(seed)
            edges = (as_edges(networks[run]) if networks is not None and networks[run] is not None
                     else build_edges(p, streams["network"]))
            init = initial_state(p, edges.n, streams["citizens"])
            run_listings = [*init.cohort, *listings]
            listings_by_tick(run_listings, edges.n)  # each run's citizens, before offsets
            parts.append(edges)
            inits.append(init)
            scripted.append(run_listings)
        sizes = np.array([e.n for e in parts], dtype=np.int64)
        self.offsets = offsets = np.concatenate([[0], np.cumsum(sizes)])
        self.networks = [e.describe() for e in parts]
        self.labels = None
        self.block_of = np.repeat(np.arange(k, dtype=np.int64), sizes)
        self.local = np.arange(int(offsets[-1]), dtype=np.int64) - offsets[self.block_of]
        edges = EdgeArrays(int(offsets[-1]),
                           np.concatenate([e.u + o for e, o in zip(parts, offsets, strict=False)]),
                           np.concatenate([e.v + o for e, o in zip(parts, offsets, strict=False)]))
        init = InitialState(*(np.concatenate([getattr(i, f) for i in inits])
                              for f in ("history", "fear", "stigmatised")), cohort=[],
                            stigma=np.concatenate([i.stigma for i in inits]))
        moved = [ScriptedListing(item.citizen + int(offsets[run]), item.tick, item.wrongful)
                 for run, items in enumerate(scripted) for item in items]
        self._keys_cache: dict[tuple[int, int], np.ndarray] = {}
        self._start(edges, init, moved, ties_class)
        self.failures_by_run = np.zeros(k, dtype=np.int64)
        indptr, indices = _starting_csr(self.ties)
        self.recorder = BatchRecorder(offsets, indptr, indices,
                                      [e.labels for e in parts], tracks=tracks, collect=collect,
                                      ties=self.ties)
        self._record()

    @property
    def runs(self) -> int:
        """Number of runs in the batch."""
        return len(self.seeds)

    # --- what differs from one run: keys, local numbers, blocks -------------------------
    def _u(self, phase, *words) -> np.ndarray:
        cache_key = (int(phase), self.tick)
        starts = self._keys_cache.get(cache_key)
        if starts is None:
            self._keys_cache = {cache_key: phase_keys(self.keys, phase, self.tick)} | {
                k: v for k, v in self._keys_cache.items() if k[1] == self.tick}
            starts = self._keys_cache[cache_key]
        if words[0] is self._everyone:  # one draw per citizen: no lookups needed
            return uniform_from(starts[self.block_of], self.local)
        first = np.asarray(words[0])
        start = starts[self.block_of[first]]
        rest = [self.local[np.asarray(words[1])], *words[2:]] if len(words) > 1 else []
        return uniform_from(start, self.local[first], *rest)

    def _pool_candidates(self, pool: np.ndarray, droppers: np.ndarray, u: np.ndarray):
        """Strangers are drawn from the dropper's own run only."""
        first = np.searchsorted(pool, self.offsets)  # pool index where each block starts
        block = self.block_of[droppers][:, None]
        size = (first[1:] - first[:-1])[block]
        exists = np.broadcast_to(size > 0, u.shape)
        index = first[:-1][block] + rules.pick_index(u, np.maximum(size, 1))
        cand = np.where(exists, pool[np.minimum(index, pool.size - 1)], droppers[:, None])
        return cand, exists

    def _failed(self, citizens: np.ndarray) -> None:
        self.failures_by_run += np.bincount(self.block_of[citizens], minlength=self.runs)
        self.rewire_failures = int(self.failures_by_run.sum())

    def list_citizen(self, citizen: int, *, wrongful: bool = False) -> None:
        """Not for a batch (refused): list citizens between months in a single run."""
        raise ParameterError("list_citizen is for a single run: use ArrayEngine or SpiralModel")

    # --- output -----------------------------------------------------------------------
    def data(self) -> list[RunData]:  # type: ignore[override]
        """Each run's tidy tables, in the order of ``seeds``."""
        return self.recorder.data()

    def snapshots(self) -> list[dict[str, np.ndarray]]:
        """Each run's :meth:`ArrayEngine.snapshot`, in its own citizen numbers."""
        whole = self.snapshot()
        out = []
        for run in range(self.runs):
            a, b = int(self.offsets[run]), int(self.offsets[run + 1])
            n = b - a
            snap = {k: whole[k][a:b] for k in ("score", "points", "grade", "listed",
                                               "wrongful", "stigmatised")}
            keep = (whole["ties_u"] >= a) & (whole["ties_u"] < b)
            snap["ties_u"], snap["ties_v"] = whole["ties_u"][keep] - a, whole["ties_v"][keep] - a
            heard = whole["heard"]
            i, j = heard // self.n, heard % self.n
            mine = (i >= a) & (i < b)
            snap["heard"] = (i[mine] - a) * n + (j[mine] - a)
            out.append(snap)
        return out

    def to_networkx(self):
        """Not for a batch (refused): one run's network comes from a single-run engine."""
        raise ParameterError("to_networkx is for a single run: use ArrayEngine")


class _Adjacency:
    """The batch's adjacency at the month last recorded, built once and shared by blocks."""

    def __init__(self, ties) -> None:
        self.ties = ties
        self.month = -1
        self._matrix = None
        self._labels = None

    def matrix(self, month: int):
        """The whole batch's adjacency (CSR) at ``month``."""
        if self._matrix is None or self.month != month:
            self._matrix = sp.csr_array(self.ties.csr)
            self._labels = None
            self.month = month
        return self._matrix

    def block(self, month: int, a: int, b: int):
        """Citizens ``a`` to ``b - 1`` (one run; no tie leaves it) as their own CSR."""
        whole = self.matrix(month)
        start, end = int(whole.indptr[a]), int(whole.indptr[b])
        return sp.csr_array((whole.data[start:end], whole.indices[start:end] - a,
                             whole.indptr[a:b + 1] - start), shape=(b - a, b - a))

    def labels(self, month: int) -> np.ndarray:
        """Component of every citizen of the batch (one search for all runs)."""
        whole = self.matrix(month)
        if self._labels is None:
            self._labels = connected_components(whole, directed=False)[1]
        return self._labels


class _Block:
    """One run's part of the batch's adjacency (what :func:`tick_measures` asks of it)."""

    def __init__(self, shared: _Adjacency, month: int, a: int, b: int) -> None:
        self.shared, self.month, self.a, self.b = shared, month, a, b

    def neighbour_sum(self, values: np.ndarray) -> np.ndarray:
        """For each citizen of the run, the sum of ``values`` over its friends."""
        return self.shared.block(self.month, self.a, self.b) @ np.asarray(values, np.float64)

    def component_stats(self) -> tuple[int, int]:
        """(components, size of the largest) of the run's network; isolates count."""
        if self.b == self.a:
            return 0, 0
        _, sizes = np.unique(self.shared.labels(self.month)[self.a:self.b],
                             return_counts=True)
        return int(sizes.size), int(sizes.max())


class _Discard(EventLog):
    """The event log of a run inside a batch: its events are kept by the batch's log."""

    def add(self, tick, kind, citizens, others, details) -> None:
        return

    def table(self):
        """Nothing here: the batch builds the run's table (an empty one only where needed)."""
        return None


class BatchRecorder:
    """One :class:`Recorder` per run of a batch; every call is split by block.

    Citizens (and the other citizen of a pair) are given to each run's recorder in that
    run's numbering, in the order they came (the canonical order within a block).
    """

    def __init__(self, offsets, indptr, indices, labels, *, tracks, collect, ties) -> None:
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.runs = self.offsets.size - 1
        self._adjacency = _Adjacency(ties)
        self.log = EventLog(np.int64)  # every run's events, in batch numbers
        self.recorders = []
        for run in range(self.runs):
            a, b = int(self.offsets[run]), int(self.offsets[run + 1])
            lo, hi = int(indptr[a]), int(indptr[b])
            self.recorders.append(Recorder(
                b - a, np.asarray(indptr[a:b + 1]) - lo, np.asarray(indices[lo:hi]) - a,
                labels[run], track=tracks[run], collect=collect))
            self.recorders[-1].log = _Discard(self.recorders[-1].log.ids)
        self._collect = collect

    @property
    def collect(self) -> bool:
        """Collect the model-level measures every month (set on every run's recorder)."""
        return self._collect

    @collect.setter
    def collect(self, value: bool) -> None:
        self._collect = value
        for recorder in self.recorders:
            recorder.collect = value

    def _split(self, citizens, *aligned):
        """(run, local citizens, aligned arrays) for each run with citizens in the call."""
        citizens = np.asarray(citizens, dtype=np.int64).ravel()
        if citizens.size == 0:
            return
        block = np.searchsorted(self.offsets, citizens, side="right") - 1
        order = np.argsort(block, kind="stable")
        block, citizens = block[order], citizens[order]
        aligned = [None if x is None or np.ndim(x) == 0 else np.asarray(x).ravel()[order]
                   for x in aligned]
        bounds = np.searchsorted(block, np.arange(self.runs + 1))
        for run in np.unique(block):
            s = slice(bounds[run], bounds[run + 1])
            offset = self.offsets[run]
            yield int(run), citizens[s] - offset, [x if x is None else x[s] for x in aligned]

    # Events go to one log in batch numbers, split by run when the tables are built.
    def cuts(self, tick, droppers, dropped, rule) -> None:  # noqa: D102
        self.log.add(tick, "cut", droppers, np.asarray(dropped, dtype=np.int64).ravel(), rule)

    def rewires(self, tick, citizens, new_friends, how) -> None:  # noqa: D102
        self.log.add(tick, "rewire", citizens, np.asarray(new_friends, dtype=np.int64).ravel(),
                     how)

    def hearings(self, tick, citizens, listed_friends) -> None:  # noqa: D102
        self.log.add(tick, "heard", citizens,
                     np.asarray(listed_friends, dtype=np.int64).ravel(), "")

    def reconnections(self, tick, citizens, friends) -> None:  # noqa: D102
        self.log.add(tick, "reconnect", citizens, np.asarray(friends, dtype=np.int64).ravel(),
                     "restored")

    def turnover(self, tick, citizens, lapsed, new_friends) -> None:  # noqa: D102
        self.log.add(tick, "lapse", citizens, np.asarray(lapsed, dtype=np.int64).ravel(),
                     "turnover")
        self.log.add(tick, "closure", citizens,
                     np.asarray(new_friends, dtype=np.int64).ravel(), "turnover")

    def delisting(self, tick, citizens, wrongful) -> None:  # noqa: D102
        self.log.add(tick, "delisting", citizens, -1,
                     np.where(np.asarray(wrongful, dtype=bool).ravel(), "wrongful",
                              "rightful").astype(object))
        for run, local, (flags,) in self._split(citizens, wrongful):
            self.recorders[run].delisting(tick, local, flags)

    def listing(self, tick, citizens, wrongful, *, score_before, degree_before, friends,
                scripted=False) -> None:
        """New listings: each run's episodes, with the friends who are in that run."""
        citizens = np.asarray(citizens, dtype=np.int64).ravel()
        scripted = np.broadcast_to(np.asarray(scripted, dtype=bool), citizens.shape)
        self.log.add(tick, "listing", citizens, -1,
                     np.where(np.asarray(wrongful, dtype=bool).ravel(), "wrongful",
                              "rightful").astype(object))
        friends = np.asarray(friends, dtype=np.int64).ravel()
        friend_block = np.searchsorted(self.offsets, friends, side="right") - 1
        for run, local, (flags, score, degree, script) in self._split(
                citizens, wrongful, score_before, degree_before, scripted):
            mine = friends[friend_block == run] - self.offsets[run]
            self.recorders[run].listing(tick, local, flags, score_before=score,
                                        degree_before=degree, friends=mine, scripted=script)

    def record(self, tick, *, score, grade, listed, wrongful, stigmatised, degree, csr,
               friend_score_sum=None) -> None:
        """The month's state: each run's slice, its part of the adjacency built on demand."""
        for run, recorder in enumerate(self.recorders):
            a, b = int(self.offsets[run]), int(self.offsets[run + 1])
            recorder.record(tick, score=score[a:b], grade=grade[a:b], listed=listed[a:b],
                            wrongful=wrongful[a:b], stigmatised=stigmatised[a:b],
                            degree=degree[a:b], csr=_Block(self._adjacency, tick, a, b),
                            friend_score_sum=None if friend_score_sum is None
                            else friend_score_sum[a:b])

    def data(self) -> list[RunData]:
        """Each run's tidy tables (each run's events are built when first read)."""
        out = [recorder.data() for recorder in self.recorders]
        events = _BatchEvents(self.log.snapshot(), self.offsets,
                              [recorder.log.ids for recorder in self.recorders])
        for run, data in enumerate(out):
            data.events = functools.partial(events.table, run)
        return out


class _BatchEvents:
    """The events of a batch split into each run's table, in its own citizen numbers.

    The batch's log is sorted once, when the first run's table is asked for.
    """

    def __init__(self, log: EventLog, offsets: np.ndarray, ids: list) -> None:
        self.log, self.offsets, self.ids = log, offsets, ids
        self._sorted = None

    def table(self, run: int) -> pd.DataFrame:
        """Run ``run``'s events table (sorted by tick, event, citizen, other)."""
        if not self.log.chunks:
            return EventLog(self.ids[run]).table()  # empty
        if self._sorted is None:
            events = self.log.arrays()
            block = np.searchsorted(self.offsets, events["citizen"], side="right") - 1
            order = np.argsort(block, kind="stable")  # each run's rows keep the table's order
            bounds = np.searchsorted(block[order], np.arange(self.offsets.size))
            self._sorted = events, order, bounds
        events, order, bounds = self._sorted
        rows = order[bounds[run]:bounds[run + 1]]
        if rows.size == 0:
            return EventLog(self.ids[run]).table()  # empty
        offset, ids = self.offsets[run], self.ids[run]
        theirs = events["other"][rows]
        return event_table(
            tick=events["tick"][rows], event=events["event"][rows],
            citizen=(events["citizen"][rows] - offset).astype(ids),
            other=np.where(theirs >= 0, theirs - offset, -1).astype(ids),
            detail=events["detail"][rows])

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
* one :class:`BatchRecorder` keeps the whole batch's events, episodes and tracked citizens
  in batch numbers (one call per event and month, whatever the number of runs) and cuts them
  into each run's tables at the end, in that run's numbers, order and dtypes; the
  model-level measures are computed run by run on each block.

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
from spiral.model import rules
from spiral.model.draws import phase_keys, run_key, uniform_by_block, uniform_from
from spiral.model.engine import ArrayEngine, _starting_csr, as_edges
from spiral.model.fast_ties import FastTieTable
from spiral.model.initial import InitialState, ScriptedListing, initial_state, listings_by_tick
from spiral.model.networks import EdgeArrays, build_edges
from spiral.model.params import GRADES, ParameterError, Params
from spiral.model.records import (
    TRACKED_DTYPES,
    EventLog,
    Recorder,
    RunData,
    _compact_scores,
    _empty,
    _episode_dtypes,
    _index_dtype,
    event_table,
    hops_from,
    initial_ties_table,
    tick_measures_by_block,
    tracked_ids,
)
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
                                      [e.labels for e in parts], tracks=tracks, collect=collect)
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
            return uniform_by_block(starts, self.offsets)
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


class BatchRecorder(Recorder):
    """The recorder of a whole batch, in batch numbers; its tables are split by run at the end.

    Events, listing episodes, tracked citizens and the end state are kept once for the batch
    (one call per event and month, whatever the number of runs); only the model-level
    measures are computed run by run, each on its block. :meth:`data` cuts every table into
    the runs' tables, in each run's own numbering, order and dtypes: the tables each run
    gets alone.
    """

    def __init__(self, offsets, indptr, indices, labels, *, tracks, collect) -> None:
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.runs = self.offsets.size - 1
        self.sizes = np.diff(self.offsets)
        self.block_of = np.repeat(np.arange(self.runs, dtype=np.int64), self.sizes)
        tracked = [tracked_ids(t, int(n)) + self.offsets[run]
                   for run, (t, n) in enumerate(zip(tracks, self.sizes, strict=True))]
        super().__init__(int(self.offsets[-1]), indptr, indices, track=np.concatenate(
            [np.zeros(0, dtype=np.int64), *tracked]), collect=collect)
        self.run_labels = list(labels)
        self._tracked_bounds = np.cumsum([0, *(t.size for t in tracked)])
        self.run_rows: list[list[dict]] = [[] for _ in range(self.runs)]

    def _measure(self, tick, state: dict, friend_score_sum) -> None:
        """Every run's model-level measures, in one pass over the batch."""
        for run, row in enumerate(self._measures_of_runs(tick, state, friend_score_sum)):
            self.run_rows[run].append(row)
        self.rows.append({"tick": tick})  # measured months (the runs' rows hold the values)

    def _measures_of_runs(self, tick, state: dict, friend_score_sum=None) -> list[dict]:
        """:func:`~spiral.model.records.tick_measures` of each run, on its block."""
        ties = state["csr"]
        if friend_score_sum is None:
            friend_score_sum = ties.neighbour_sum(state["score"])
        return tick_measures_by_block(
            tick=tick, offsets=self.offsets, friend_score_sum=friend_score_sum,
            components=self._components(ties),
            **{k: v for k, v in state.items() if k != "csr"})

    def _components(self, ties) -> list[tuple[int, int]]:
        """(components, size of the largest) of each run's network; isolates count."""
        if hasattr(ties, "component_labels"):
            labels = ties.component_labels()
        else:  # the reference tie table
            from scipy.sparse.csgraph import connected_components

            labels = connected_components(ties.csr, directed=False)[1]
        sizes = np.bincount(labels)
        run_of_label = np.zeros(sizes.size, dtype=np.int64)
        run_of_label[labels] = self.block_of  # a component never leaves its run
        used = sizes > 0
        count = np.bincount(run_of_label[used], minlength=self.runs)
        largest = np.zeros(self.runs, dtype=np.int64)
        np.maximum.at(largest, run_of_label[used], sizes[used])
        return list(zip(count.tolist(), largest.tolist(), strict=True))

    def data(self) -> list[RunData]:  # type: ignore[override]
        """Each run's tidy tables (each run's events are built when first read)."""
        last_tick, state = self._last_state
        episodes = self._episode_columns(self.block_of)
        bounds = (None if episodes is None else  # each run's rows: one slice
                  np.searchsorted(self.block_of[episodes["citizen"]], np.arange(self.runs + 1)))
        hops = hops_from(np.flatnonzero(self.ever_listed), self._indptr0, self._indices0,
                         self.n)
        events = _BatchEvents(self.log.snapshot(), self.offsets,
                              [_index_dtype(int(n)) for n in self.sizes])
        last = (self._measures_of_runs(last_tick, state) if self.rows[-1]["tick"] != last_tick
                else None)  # the last month's measures, if not collected
        months = self._tracked_months()
        out = []
        for run in range(self.runs):
            a, b = int(self.offsets[run]), int(self.offsets[run + 1])
            rows = list(self.run_rows[run])
            if last is not None:
                rows.append(last[run])
            out.append(RunData(
                pd.DataFrame(rows), self._run_episodes(episodes, bounds, run),
                functools.partial(events.table, run),
                self._citizen_table(a, b, hops, self.run_labels[run]),
                functools.partial(_initial_ties_of, self._indptr0, self._indices0, a, b),
                self._run_tracked(months, run)))
        return out

    def _run_episodes(self, columns, bounds, run: int) -> pd.DataFrame:
        """Run ``run``'s slice of the batch's episode columns, as its lone table."""
        a, b = int(self.offsets[run]), int(self.offsets[run + 1])
        n = b - a
        if columns is None or bounds[run] == bounds[run + 1]:
            return _empty(_episode_dtypes(n))
        citizen = columns["citizen"]
        start, end = int(bounds[run]), int(bounds[run + 1])
        ticks = columns["tick"][start:end]
        small = _index_dtype(max(end - start, n, int(ticks.max()) + 2))
        out = {name: values[start:end] for name, values in columns.items()}
        out["citizen"] = out["citizen"] - np.asarray(a, dtype=citizen.dtype)
        for name in ("citizen", "listing_tick", "tick", "months_since_listing",
                     "delisting_tick"):
            out[name] = out[name].astype(small, copy=False)
        score = out["score"]
        if score.dtype != np.float32:  # whole-number scores are held in float32, as alone
            out["score"] = _compact_scores(score)
        return pd.DataFrame(out, copy=False)

    def _tracked_months(self) -> dict[int, np.ndarray] | None:
        """The tracked citizens' monthly arrays stacked once: (months, tracked) each."""
        if not self._tracked:
            return None
        return {k: np.stack([item[k] for item in self._tracked]) for k in range(1, 6)}

    def _run_tracked(self, months, run: int) -> pd.DataFrame:
        """Run ``run``'s rows of the tracked citizens, as its lone table."""
        first, stop = int(self._tracked_bounds[run]), int(self._tracked_bounds[run + 1])
        if first == stop or months is None:
            return _empty(TRACKED_DTYPES)

        def column(k):  # month by month, the run's citizens in order
            return months[k][:, first:stop].ravel()

        return pd.DataFrame({
            "citizen": column(1) - self.offsets[run],
            "tick": np.repeat(np.array([t for t, *_ in self._tracked], dtype=np.int64),
                              stop - first),
            "score": column(2), "contacts": column(3),
            "grade": np.asarray(GRADES)[column(4)], "listed": column(5)}, copy=False)


def _initial_ties_of(indptr, indices, a: int, b: int) -> pd.DataFrame:
    """The ``initial_ties`` table of citizens ``a`` to ``b - 1`` (one run) of a batch's CSR."""
    lo, hi = int(indptr[a]), int(indptr[b])
    return initial_ties_table(indptr[a:b + 1] - lo, indices[lo:hi] - a, _index_dtype(b - a))


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

"""Data collection shared by both drivers: tidy tables of a run.

A :class:`Recorder` is fed the state once per tick (and told of listings, delistings, cuts
and rewires as they happen) and produces a :class:`RunData`:

* ``timeseries``: one row per tick (mean score, grade shares, listed_count, ties, isolates,
  components, largest-component share, score assortativity, ...);
* ``episodes``: one row per listing episode per tick from one month before the listing to the
  end of the run (score, contacts, still listed, wrongful);
* ``events``: listings, delistings, tie cuts (with the rule) and rewires;
* ``citizens``: one row per citizen at the end (start and end score and contacts, ever listed,
  friend of a listed citizen when listed, hops to the nearest listed citizen);
* ``initial_ties``: the starting network, one row per tie (u < v); with ``events`` it gives the
  network at any month;
* ``tracked``: opt-in, one row per tracked citizen per month (score, contacts, grade, listed).

With ``collect=False`` the per-tick model measures are skipped (the ``timeseries`` table then
has only the first and the last tick), for runs that need only the end state.

The big tables are held in the narrowest exact dtypes (32-bit ids, ticks and contacts,
float32 scores when every score is a whole number, int8 hop counts): at 1.1 million citizens
this halves their memory. :func:`widened` gives a table in the canonical dtypes (int64 and
float64), which is what the results files are written in, so the files do not depend on it.
Sum narrow columns in float64 (pandas sums float32 in float32).
"""

from __future__ import annotations

import functools

import numba
import numpy as np
import pandas as pd
from spiral.model.params import GRADES, ParameterError

MAX_HOPS = 6  # hops counted from the listed; farther citizens get MAX_HOPS + 1


class RunData:
    """The tidy tables of one run (pandas DataFrames).

    A table may be given as a function of no arguments that builds it: it is built the first
    time it is read, and kept. The recorders pass ``events`` and ``initial_ties`` this way,
    so a run whose tables are only summarised (a sweep run) never builds them.
    """

    TABLES = ("timeseries", "episodes", "events", "citizens", "initial_ties", "tracked")

    def __init__(self, timeseries, episodes, events, citizens, initial_ties, tracked) -> None:
        self._tables = dict(zip(self.TABLES, (timeseries, episodes, events, citizens,
                                              initial_ties, tracked), strict=True))

    def _table(self, name: str) -> pd.DataFrame:
        table = self._tables[name]
        if callable(table):  # built on first use (a DataFrame is not callable)
            table = self._tables[name] = table()
        return table

    def _set(self, name: str, table) -> None:
        self._tables[name] = table

    def __getstate__(self) -> dict:
        """Pickled with every table built (a builder may hold a whole batch's events)."""
        return {"_tables": {name: self._table(name) for name in self.TABLES}}

    def __repr__(self) -> str:
        shapes = ", ".join(f"{name}={'<not built>' if callable(t) else len(t)}"
                           for name, t in self._tables.items())
        return f"RunData({shapes})"


def _table_property(name: str) -> property:
    return property(lambda self: self._table(name), lambda self, t: self._set(name, t),
                    doc=f"The ``{name}`` table.")


for _name in RunData.TABLES:
    setattr(RunData, _name, _table_property(_name))


def tick_measures(*, tick, score, grade, listed, wrongful, stigmatised, degree, csr,
                  friend_score_sum=None) -> dict:
    """Model-level measures of one tick, O(citizens + ties) at most.

    Args:
        tick: The month (0 is the starting state).
        score: Every citizen's score.
        grade: Every citizen's grade (index into ``GRADES``).
        listed: Who is on the blacklist.
        wrongful: Whose listing is wrongful.
        stigmatised: Who carries the stigma.
        degree: Every citizen's number of friends.
        csr: The adjacency: a scipy sparse matrix, or a tie structure with
            ``neighbour_sum(values)`` and ``component_stats()`` (the array engine's, which
            keeps its components up to date instead of recounting them).
        friend_score_sum: Each citizen's sum of friends' scores, if already known.
    """
    if friend_score_sum is None:
        friend_score_sum = neighbour_sum(csr, score)
    return tick_measures_by_block(
        tick=tick, offsets=np.array([0, np.size(score)]), score=score, grade=grade,
        listed=listed, wrongful=wrongful, stigmatised=stigmatised, degree=degree,
        friend_score_sum=friend_score_sum, components=[component_stats(csr)])[0]


def tick_measures_by_block(*, tick, offsets, score, grade, listed, wrongful, stigmatised,
                           degree, friend_score_sum, components) -> list[dict]:
    """:func:`tick_measures` of each block of citizens ``offsets[k]`` to ``offsets[k+1] - 1``
    (the runs of a batch; no tie leaves a block), in one pass over the citizens.

    ``components`` holds each block's (number of components, size of the largest).
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    sums = _block_sums(offsets, np.asarray(score, dtype=np.float64), np.asarray(grade),
                       np.asarray(listed), np.asarray(wrongful), np.asarray(stigmatised),
                       np.asarray(degree, dtype=np.int64),
                       np.asarray(friend_score_sum, dtype=np.float64))
    counts, listed_n, wrongful_n, stigmatised_n, isolates, ends, score_sum, s1, s2, s12 = sums
    rows = []
    for k, (n_comp, largest) in enumerate(components):
        n = int(offsets[k + 1] - offsets[k])
        row = {"tick": tick, "mean_score": float(score_sum[k] / n) if n else 0.0}
        for j, g in enumerate(GRADES):
            row[f"share_{g}"] = counts[k, j] / n
        row["listed_count"] = int(listed_n[k])
        row["wrongful_count"] = int(wrongful_n[k])
        row["stigmatised_count"] = int(stigmatised_n[k])
        row["ties"] = int(ends[k]) // 2
        row["mean_degree"] = float(np.float64(ends[k]) / n) if n else 0.0
        row["isolates"] = int(isolates[k])
        row["components"] = int(n_comp)
        row["largest_component_share"] = float(largest / n) if n else 0.0
        row["score_assortativity"] = _assortativity(int(ends[k]), float(s1[k]), float(s2[k]),
                                                    float(s12[k]))
        rows.append(row)
    return rows


@numba.njit(cache=True, nogil=True)
def _block_sums(offsets, score, grade, listed, wrongful, stigmatised, degree,
                friend_score_sum):
    """One pass over the citizens of each block: grade counts, listed, wrongfully listed,
    stigmatised and isolated counts, tie ends, and the score sums (of scores; of friends'
    score sums; of squared scores per tie end; of score times friends' score sum), each
    summed in citizen order. Scores are whole numbers: every sum is exact.
    """
    k = offsets.size - 1
    counts = np.zeros((k, 4), dtype=np.int64)
    listed_n, wrongful_n = np.zeros(k, np.int64), np.zeros(k, np.int64)
    stigmatised_n, isolates = np.zeros(k, np.int64), np.zeros(k, np.int64)
    ends = np.zeros(k, np.int64)
    score_sum, s1 = np.zeros(k), np.zeros(k)
    s2, s12 = np.zeros(k), np.zeros(k)
    for b in range(k):
        for x in range(offsets[b], offsets[b + 1]):
            counts[b, grade[x]] += 1
            if listed[x]:
                listed_n[b] += 1
                if wrongful[x]:
                    wrongful_n[b] += 1
            if stigmatised[x]:
                stigmatised_n[b] += 1
            d = degree[x]
            ends[b] += d
            if d == 0:
                isolates[b] += 1
            score_sum[b] += score[x]
            s1[b] += friend_score_sum[x]
            s2[b] += score[x] * score[x] * d
            s12[b] += score[x] * friend_score_sum[x]
    return (counts, listed_n, wrongful_n, stigmatised_n, isolates, ends, score_sum, s1, s2,
            s12)


def neighbour_sum(adjacency, values: np.ndarray) -> np.ndarray:
    """For each citizen, the sum of ``values`` over its friends."""
    if hasattr(adjacency, "neighbour_sum"):
        return adjacency.neighbour_sum(values)
    return adjacency @ np.asarray(values, dtype=np.float64)


def component_stats(adjacency) -> tuple[int, int]:
    """(number of connected components, size of the largest); isolates count."""
    if hasattr(adjacency, "component_stats"):
        return adjacency.component_stats()
    if adjacency.shape[0] == 0:
        return 0, 0
    from scipy.sparse.csgraph import connected_components

    n_comp, labels = connected_components(adjacency, directed=False)
    return int(n_comp), int(np.bincount(labels).max())


def _assortativity(two_m: int, s1: float, s2: float, s12: float) -> float:
    """Pearson correlation of scores across ties (NaN without ties or variance).

    Over the directed pairs (a, b) of every tie both ways, both ends have the same mean and
    variance, so with ``2m = sum(degree)``, ``S1 = sum(degree * score)`` (the total of the
    friends' score sums), ``S2 = sum(degree * score**2)`` and
    ``S12 = sum(score * friend_score_sum)`` the correlation is
    ``(2m * S12 - S1**2) / (2m * S2 - S1**2)``: O(citizens) from the friends' score sums.
    Whole-number scores make the sums exact, so the result does not depend on summation
    order (both drivers get the same bits).
    """
    if two_m == 0:
        return float("nan")
    if all(x.is_integer() and abs(x) < 2.0**53 for x in (s1, s2, s12)):
        s1, s2, s12 = int(s1), int(s2), int(s12)  # exact: whole-number scores
    numerator = two_m * s12 - s1 * s1
    denominator = two_m * s2 - s1 * s1
    if denominator <= 0:
        return float("nan")
    return float(numerator / denominator)


def hops_from(sources: np.ndarray, indptr: np.ndarray, indices: np.ndarray, n: int) -> np.ndarray:
    """Hop distance from the nearest source over a CSR graph (MAX_HOPS + 1 if farther), int8.

    Breadth first with the frontier as a mask: each hop gathers the friends of the frontier
    through a mask over the CSR entries (one byte per entry, no index arrays built).
    """
    dist = np.full(n, MAX_HOPS + 1, dtype=np.int8)
    frontier = np.zeros(n, dtype=bool)
    frontier[np.asarray(sources, dtype=np.int64)] = True
    dist[frontier] = 0
    degree = np.diff(indptr)
    for h in range(1, MAX_HOPS + 1):
        if not frontier.any():
            break
        reached = np.zeros(n, dtype=bool)
        reached[indices[np.repeat(frontier, degree)]] = True
        frontier = reached & (dist > MAX_HOPS)  # not reached before
        dist[frontier] = h
    return dist


_EVENT_KINDS = ("closure", "cut", "delisting", "heard", "lapse", "listing", "reconnect",
                "rewire")  # alphabetical: the table's sort order


def _compact_scores(values) -> np.ndarray:
    """Scores as float32 when that is exact (whole points always are), else float64."""
    values = np.asarray(values, dtype=np.float64).ravel()
    small = values.astype(np.float32)
    return small if np.array_equal(small, values) else values.copy()


def _compact_counts(values) -> np.ndarray:
    """Contact counts as int32 (a citizen has fewer than 2**31 friends)."""
    return np.asarray(values).ravel().astype(np.int32)


def _index_dtype(size: int) -> type:
    """int32 for ids and ticks below 2**31 (ticks are at most 1,000,000), else int64."""
    return np.int32 if size < 2**31 else np.int64


def _empty(dtypes: dict) -> pd.DataFrame:
    """A table without rows whose columns carry the dtypes a table with rows would have."""
    return pd.DataFrame({name: np.empty(0, dtype=dtype) for name, dtype in dtypes.items()})


def widened(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its integer columns as int64 and float columns as float64.

    The canonical dtypes of the tables (and of the results files); the other columns are
    shared with ``frame``, not copied. Values are unchanged: every narrow dtype here is exact.
    """
    wider = {}
    for column, dtype in frame.dtypes.items():
        if dtype.kind in "iu" and dtype != np.int64:
            wider[column] = np.int64
        elif dtype.kind == "f" and dtype != np.float64:
            wider[column] = np.float64
    return frame.astype(wider) if wider else frame


class EventLog:
    """Events of a run, kept as one chunk of arrays per call (tick, kind, citizens, others,
    detail); the table is built once, sorted by (tick, event, citizen, other).
    """

    def __init__(self, ids: type) -> None:
        self.ids = ids  # dtype of citizen ids in the table
        self.chunks: list[tuple] = []

    def add(self, tick, kind, citizens, others, details) -> None:
        """Append the events of one call (``others`` and ``details`` broadcast to citizens)."""
        citizens = np.asarray(citizens).ravel().astype(self.ids)
        if citizens.size:
            others = np.broadcast_to(np.asarray(others), citizens.shape).astype(self.ids)
            self.chunks.append((tick, kind, citizens, others, details))

    @property
    def events(self) -> list[tuple]:
        """Every event so far as (tick, event, citizen, other, detail), in recording order."""
        out = []
        for tick, kind, citizens, others, details in self.chunks:
            texts = np.broadcast_to(np.asarray(details, dtype=object), citizens.shape)
            out.extend(zip([tick] * citizens.size, [kind] * citizens.size, citizens.tolist(),
                           others.tolist(), texts.tolist(), strict=True))
        return out

    def snapshot(self) -> EventLog:
        """The events so far, as a log that later events do not change."""
        copy = EventLog(self.ids)
        copy.chunks = list(self.chunks)  # the chunks' arrays are never changed once added
        return copy

    def arrays(self) -> dict[str, np.ndarray]:
        """The events as arrays sorted by (tick, event, citizen, other); ``event`` as codes."""
        sizes = [c.size for _, _, c, _, _ in self.chunks]
        tick = np.repeat([t for t, _, _, _, _ in self.chunks], sizes).astype(np.int32)
        code = np.repeat([_EVENT_KINDS.index(k) for _, k, _, _, _ in self.chunks], sizes)
        citizen = np.concatenate([c for _, _, c, _, _ in self.chunks])
        other = np.concatenate([o for _, _, _, o, _ in self.chunks])
        detail = np.concatenate([np.broadcast_to(np.asarray(d, dtype=object), c.shape)
                                 for _, _, c, _, d in self.chunks])
        order = np.lexsort((other, citizen, code, tick))  # stable, like the sort it replaces
        return {"tick": tick[order], "event": code[order], "citizen": citizen[order],
                "other": other[order], "detail": detail[order]}

    def table(self) -> pd.DataFrame:
        """The events as a table sorted by (tick, event, citizen, other)."""
        if not self.chunks:
            return _empty({"tick": np.int32, "event": object, "citizen": self.ids,
                           "other": self.ids, "detail": object})
        return event_table(**self.arrays())


def event_table(*, tick, event, citizen, other, detail) -> pd.DataFrame:
    """The events table from sorted arrays (``event`` as codes into the kinds)."""
    kinds = np.asarray(_EVENT_KINDS, dtype=object)
    return pd.DataFrame({"tick": tick, "event": kinds[event], "citizen": citizen,
                         "other": other, "detail": detail}, copy=False)


class Recorder:
    """Collects the tidy tables of a run; both drivers feed it the same way.

    Everything is kept in numpy arrays, appended in batches (one chunk per call), so the
    cost per tick does not grow with the number of listing episodes or events kept so far.

    Args:
        n: Number of citizens.
        initial_indptr: CSR row pointers of the starting network (for hop distances).
        initial_indices: CSR column indices of the starting network.
        labels: Original node names, if the network came from a file.
    """

    def __init__(self, n: int, initial_indptr, initial_indices, labels=None, *, track=(),
                 collect: bool = True) -> None:
        self.n = n
        self._ids = _index_dtype(n)  # dtype of citizen ids in the tables
        self.collect = collect
        self.track_ids = tracked_ids(track, n)
        self._tracked: list[tuple] = []
        self._indptr0 = np.asarray(initial_indptr)
        self._indices0 = np.asarray(initial_indices)
        self.labels = labels
        self.rows: list[dict] = []
        self.log = EventLog(self._ids)
        self.episode_citizen = np.zeros(0, dtype=np.int64)
        self.episode_tick = np.zeros(0, dtype=np.int64)
        self.episode_wrongful = np.zeros(0, dtype=bool)
        self.episode_scripted = np.zeros(0, dtype=bool)
        self.episode_end = np.zeros(0, dtype=np.int64)
        self._open_episode = np.full(n, -1, dtype=np.int64)  # citizen -> open episode
        self._traj: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        self.ever_listed = np.zeros(n, dtype=bool)
        self.exposed = np.zeros(n, dtype=bool)
        self.initial_score: np.ndarray | None = None
        self.initial_degree: np.ndarray | None = None

    # --- events ------------------------------------------------------------------------
    def _event(self, tick, kind, citizens, others, details) -> None:
        self.log.add(tick, kind, citizens, others, details)

    @property
    def events(self) -> list[tuple]:
        """Every event so far as (tick, event, citizen, other, detail), in recording order."""
        return self.log.events

    def listing(self, tick, citizens, wrongful, *, score_before, degree_before, friends,
                scripted=False) -> None:
        """Record new listings (before this tick's cuts): opens one episode per citizen.

        ``scripted`` marks listings the experiment made (cohort, scripted, between months)
        as opposed to the court's background listings.
        """
        citizens = np.asarray(citizens, dtype=np.int64).ravel()
        wrongful = np.asarray(wrongful, dtype=bool).ravel()
        scripted = np.broadcast_to(np.asarray(scripted, dtype=bool), citizens.shape)
        first = self.episode_citizen.size
        ids = np.arange(first, first + citizens.size, dtype=np.int64)
        self._event(tick, "listing", citizens, -1,
                    np.where(wrongful, "wrongful", "rightful").astype(object))
        self.episode_citizen = np.concatenate([self.episode_citizen, citizens])
        self.episode_tick = np.concatenate([self.episode_tick,
                                            np.full(citizens.size, tick, dtype=np.int64)])
        self.episode_wrongful = np.concatenate([self.episode_wrongful, wrongful])
        self.episode_scripted = np.concatenate([self.episode_scripted, scripted])
        self.episode_end = np.concatenate([self.episode_end,
                                           np.full(citizens.size, -1, dtype=np.int64)])
        self._open_episode[citizens] = ids
        self._traj.append((tick - 1, ids, _compact_scores(score_before),
                           _compact_counts(degree_before)))
        self.ever_listed[citizens] = True
        self.exposed[friends] = True

    def delisting(self, tick, citizens, wrongful) -> None:
        """Record delistings and close the citizens' open episodes."""
        citizens = np.asarray(citizens, dtype=np.int64).ravel()
        wrongful = np.asarray(wrongful, dtype=bool).ravel()
        self._event(tick, "delisting", citizens, -1,
                    np.where(wrongful, "wrongful", "rightful").astype(object))
        episodes = self._open_episode[citizens]
        self.episode_end[episodes[episodes >= 0]] = tick
        self._open_episode[citizens] = -1

    def cuts(self, tick, droppers, dropped, rule) -> None:
        """Record tie cuts (one row per decision to drop)."""
        self._event(tick, "cut", droppers, np.asarray(dropped, dtype=np.int64).ravel(), rule)

    def rewires(self, tick, citizens, new_friends, how) -> None:
        """Record new ties made to replace dropped ones."""
        self._event(tick, "rewire", citizens, np.asarray(new_friends, dtype=np.int64).ravel(),
                    how)

    def hearings(self, tick, citizens, listed_friends) -> None:
        """Record that citizens heard of their friends' listings (the start of a friend's risk)."""
        self._event(tick, "heard", citizens, np.asarray(listed_friends, dtype=np.int64).ravel(),
                    "")

    def reconnections(self, tick, citizens, friends) -> None:
        """Record dropped ties restored after the contact left the list."""
        self._event(tick, "reconnect", citizens, np.asarray(friends, dtype=np.int64).ravel(),
                    "restored")

    def turnover(self, tick, citizens, lapsed, new_friends) -> None:
        """Record ordinary turnover: a lapsed tie and the friend-of-friend tie made instead."""
        self._event(tick, "lapse", citizens, np.asarray(lapsed, dtype=np.int64).ravel(),
                    "turnover")
        self._event(tick, "closure", citizens,
                    np.asarray(new_friends, dtype=np.int64).ravel(), "turnover")

    # --- per tick ----------------------------------------------------------------------
    def record(self, tick, *, score, grade, listed, wrongful, stigmatised, degree, csr,
               friend_score_sum=None) -> None:
        """Record the state at the end of a tick (tick 0 is the starting state).

        ``csr`` is the adjacency (scipy sparse) or the engine's tie structure;
        ``friend_score_sum`` (each citizen's friends' score sum) saves a sparse product.
        """
        if self.initial_score is None:
            self.initial_score = score.copy()
            self.initial_degree = degree.copy()
        state = {"score": score, "grade": grade, "listed": listed, "wrongful": wrongful,
                 "stigmatised": stigmatised, "degree": degree, "csr": csr}
        if self.collect or not self.rows:
            self._measure(tick, state, friend_score_sum)
        self._last_state = (tick, state)
        if self.track_ids.size:
            ids = self.track_ids
            self._tracked.append((tick, ids, score[ids].copy(), degree[ids].copy(),
                                  grade[ids].copy(), listed[ids].copy()))
        if self.episode_citizen.size:
            cit = self.episode_citizen
            self._traj.append((tick, None, _compact_scores(score[cit]),
                               _compact_counts(np.asarray(degree)[cit])))
        # the state of the last month: the drivers change it only in their next month, which
        # records again, so references suffice (copied when the tables are built)
        self._final = (score, degree, grade, listed, stigmatised)

    def _measure(self, tick, state: dict, friend_score_sum) -> None:
        """Append the month's model-level measures to ``rows``."""
        self.rows.append(tick_measures(tick=tick, friend_score_sum=friend_score_sum, **state))

    # --- output ------------------------------------------------------------------------
    def data(self) -> RunData:
        """The run's tidy tables."""
        rows = list(self.rows)
        last_tick, state = self._last_state
        if rows[-1]["tick"] != last_tick:
            rows.append(tick_measures(tick=last_tick, **state))
        timeseries = pd.DataFrame(rows)
        episodes = self._episode_columns()
        episodes = (_empty(_episode_dtypes(self.n)) if episodes is None
                    else pd.DataFrame(episodes, copy=False))  # fresh arrays: no copies
        # the events and the starting network are built when first read (of the events so
        # far: the log may grow if the run goes on); the builders hold arrays, never the
        # recorder, which holds the engine's state
        return RunData(timeseries, episodes, self.log.snapshot().table,
                       self._citizen_table(), functools.partial(
                           initial_ties_table, self._indptr0, self._indices0, self._ids),
                       self._tracked_table())

    def _tracked_table(self) -> pd.DataFrame:
        if not self._tracked:
            return _empty(TRACKED_DTYPES)
        sizes = [ids.size for _, ids, _, _, _, _ in self._tracked]
        return pd.DataFrame({  # one table from the monthly arrays (no frame per month)
            "citizen": np.concatenate([ids for _, ids, _, _, _, _ in self._tracked]),
            "tick": np.repeat(np.array([t for t, *_ in self._tracked], dtype=np.int64), sizes),
            "score": np.concatenate([s for _, _, s, _, _, _ in self._tracked]),
            "contacts": np.concatenate([d for _, _, _, d, _, _ in self._tracked]),
            "grade": np.asarray(GRADES)[np.concatenate([g for *_, g, _ in self._tracked])],
            "listed": np.concatenate([li for *_, li in self._tracked])}, copy=False)

    def _episode_columns(self, block_of=None) -> dict[str, np.ndarray] | None:
        """The columns of the ``episodes`` table (None without episodes).

        Rows are in (listing month, citizen, month) order; with ``block_of`` (each citizen's
        run in a batch) in (run, listing month, citizen, month) order, so that each run's
        rows are one slice.
        """
        if not self._traj:
            return None
        # rows of each episode: one per month from the month before its listing to the last
        # month recorded, placed straight into their order
        first = self.episode_tick - 1
        last = max(t for t, _, _, _ in self._traj)
        rows = last - first + 1
        keys = (self.episode_citizen, self.episode_tick)
        if block_of is not None:
            keys = (*keys, block_of[self.episode_citizen])
        episodes = np.lexsort(keys)
        block = np.zeros(rows.size, dtype=np.int64)
        block[episodes] = np.cumsum(rows[episodes]) - rows[episodes]
        total = int(rows.sum())
        whole = all(s.dtype == np.float32 for _, _, s, _ in self._traj)
        score = np.empty(total, dtype=np.float32 if whole else np.float64)
        contacts = np.empty(total, dtype=np.int32)
        filled = np.zeros(total, dtype=bool)
        for t, ids, s, d in self._traj:
            ids = np.arange(s.size, dtype=np.int64) if ids is None else ids
            at = block[ids] + (t - first[ids])
            score[at] = s
            contacts[at] = d
            filled[at] = True
        if not filled.all() or sum(s.size for _, _, s, _ in self._traj) != total:
            raise RuntimeError("listing trajectories are not one row per episode and month; "
                               "record() must be called once per month")  # pragma: no cover
        del filled
        small = _index_dtype(max(total, self.n, last + 2))  # row positions, ids and ticks
        sizes = rows[episodes]

        def per_row(values):
            return np.repeat(values[episodes].astype(small), sizes)

        # the month of each row: its position minus its block's start plus the first month
        ticks = np.arange(total, dtype=small) - per_row(block - first)
        start = per_row(self.episode_tick)
        end = per_row(self.episode_end)
        return {"citizen": per_row(self.episode_citizen), "listing_tick": start,
                "tick": ticks, "months_since_listing": ticks - start, "score": score,
                "contacts": contacts,
                "listed": (ticks >= start) & ((end < 0) | (ticks < end)),
                "wrongful": np.repeat(self.episode_wrongful[episodes], sizes),
                "scripted": np.repeat(self.episode_scripted[episodes], sizes),
                "delisting_tick": end}

    def _citizen_table(self, a: int = 0, b: int | None = None, hops=None,
                       labels=None) -> pd.DataFrame:
        """The ``citizens`` table of citizens ``a`` to ``b - 1`` (all: the whole run)."""
        b = self.n if b is None else b
        score, degree, grade, listed, stigmatised = self._final
        if hops is None:
            hops = hops_from(np.flatnonzero(self.ever_listed), self._indptr0, self._indices0,
                             self.n)
        table = pd.DataFrame({
            "citizen": np.arange(b - a, dtype=_index_dtype(b - a)),
            "initial_score": _compact_scores(self.initial_score[a:b]),
            "final_score": _compact_scores(score[a:b]),
            "initial_contacts": _compact_counts(self.initial_degree[a:b]),
            "final_contacts": _compact_counts(degree[a:b]),
            "final_grade": np.asarray(GRADES)[grade[a:b]],
            "listed_at_end": listed[a:b].copy(), "ever_listed": self.ever_listed[a:b].copy(),
            "friend_of_listed": self.exposed[a:b] & ~self.ever_listed[a:b],
            "hops_to_listed": hops[a:b],
            "stigmatised": stigmatised[a:b].copy(),
        }, copy=False)
        labels = self.labels if labels is None else labels
        if labels is not None:
            table.insert(1, "label", labels)
        return table


def tracked_ids(track, n: int) -> np.ndarray:
    """The citizens to track, sorted and once each; refused if one is not in the run."""
    ids = np.asarray(sorted({int(c) for c in track}), dtype=np.int64)
    if ids.size and (ids[0] < 0 or ids[-1] >= n):
        bad = int(ids[0] if ids[0] < 0 else ids[-1])
        raise ParameterError(f"track: citizen {bad} is not in the run (citizens are numbered "
                             f"0 to {n - 1})")
    return ids


TRACKED_DTYPES = {"citizen": np.int64, "tick": np.int64, "score": np.float64,
                  "contacts": np.int64, "grade": object, "listed": bool}


def _episode_dtypes(n: int) -> dict:
    """The columns of an ``episodes`` table without rows, for a run of ``n`` citizens."""
    small = _index_dtype(max(n, 2))
    return {"citizen": small, "listing_tick": small, "tick": small,
            "months_since_listing": small, "score": np.float32, "contacts": np.int32,
            "listed": bool, "wrongful": bool, "scripted": bool, "delisting_tick": small}


def initial_ties_table(indptr, indices, ids: type) -> pd.DataFrame:
    """The ``initial_ties`` table (one row per tie, u < v) of a starting CSR."""
    n = len(indptr) - 1
    u = np.repeat(np.arange(n, dtype=ids), np.diff(indptr))
    keep = u < indices
    return pd.DataFrame({"u": u[keep], "v": indices[keep].astype(ids)}, copy=False)

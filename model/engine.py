"""The array engine: the whole population at once, with numpy arrays and a sparse adjacency.

It applies the rules of :mod:`spiral.model.rules` to arrays of all citizens, in the order of
docs/ODD.md section 3 (synchronous updating: every decision in a phase reads the state at the
start of that phase; tie changes apply at the end of the rewiring phase). Random numbers come
from one stream per process and are drawn in a canonical order (citizens by id; directed
pairs (citizen, friend) sorted by citizen then friend), which the Mesa driver in synchronous
mode reproduces draw for draw.

Order of one tick (month):

1. behaviour: deeds and offences (one draw per citizen);
2. court: delistings and new listings (one draw per citizen), then scripted listings;
3. hearing and stigma: friends hear of listings; stigma spreads or fades;
4. unfriending: citizens drop risky friends by the selected rule;
5. rewiring: dropped ties are replaced (or not); all tie changes are applied;
6. scoring: own record, listing penalty and network term;
7. grades and data collection.

Example:
    >>> from spiral.model.params import Params
    >>> engine = ArrayEngine(Params(n_citizens=200, ticks=3), seed=1)
    >>> engine.run()
    >>> engine.tick
    3
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import networkx as nx
import numpy as np
from spiral.model import rules
from spiral.model.draws import Phase, run_key, uniform
from spiral.model.fast_ties import FastTieTable
from spiral.model.initial import ScriptedListing, initial_state, listings_by_tick
from spiral.model.networks import EdgeArrays, build_edges, graph_to_edges
from spiral.model.params import GRADES, ParameterError, Params
from spiral.model.records import Recorder, RunData
from spiral.model.streams import make_streams, resolve_seed
from spiral.model.threads import parallel
from spiral.model.ties import unique_sorted

_EMPTY = np.zeros(0, dtype=np.int64)
# The friends' score sums are updated from the changed scores (rather than summed afresh)
# while the citizens whose score moved hold less than this share of the tie ends: one
# thread, and where the fresh sum would use several threads (model/threads.py).
SPREAD_BELOW = 0.5
SPREAD_BELOW_THREADED = 0.125


def as_edges(network) -> EdgeArrays:
    """Accept EdgeArrays or a networkx graph."""
    if isinstance(network, EdgeArrays):
        return network
    if isinstance(network, nx.Graph):
        return graph_to_edges(network)
    raise TypeError(f"network must be a networkx Graph or EdgeArrays, not {type(network)}")


class ArrayEngine:
    """Vectorised driver of the blacklist spiral model.

    Args:
        params: Parameter values (a :class:`Params` or a mapping, validated); flat keyword
            arguments are merged into it, as for :class:`~spiral.agents.SpiralModel`.
        rng: The run's seed as :class:`mesa.Model` takes it: an int, a numpy Generator (the
            seed is drawn from it) or None (a fresh seed); read it back as ``engine.seed``.
        seed: Alternative to ``rng`` (an int); not both.
        network: A prebuilt network (networkx graph or EdgeArrays); built from ``params``
            with the ``network`` stream if omitted.
        listings: Scripted listings (besides the cohort from ``params``).
        ties_class: The tie structure: :class:`~spiral.model.fast_ties.FastTieTable` (masked
            CSR, changed in place; the default) or the straightforward reference
            :class:`~spiral.model.ties.TieTable` (rebuilt on change); both give the same
            trajectory (tests/test_engine_structures.py).
        track: Citizens whose month-by-month state goes to the ``tracked`` table.
        collect: Collect the model-level measures every month (False: first and last only).
    """

    def __init__(self, params=None, *, rng=None, seed=None, network=None,
                 listings: Iterable[ScriptedListing] = (), ties_class=FastTieTable, track=(),
                 collect: bool = True, **values) -> None:
        base = params.to_dict() if isinstance(params, Params) else dict(params or {})
        self.params = p = Params({**base, **values}) if values or not isinstance(
            params, Params) else params
        self.seed = resolve_seed(rng, seed)
        self.key = run_key(self.seed)
        self.streams = make_streams(self.seed)  # setting up only: network and citizens
        edges = as_edges(network) if network is not None else build_edges(p, self.streams["network"])
        self.network = edges.describe()
        self.labels = edges.labels
        init = initial_state(p, edges.n, self.streams["citizens"])
        self._start(edges, init, [*init.cohort, *listings], ties_class)
        indptr, indices = _starting_csr(self.ties)
        self.recorder = Recorder(self.n, indptr, indices, self.labels,
                                 track=track, collect=collect)
        self._record()

    def _start(self, edges: EdgeArrays, init, listings, ties_class) -> None:
        """The state before the first month: network, citizens, scripted listings, scores."""
        p = self.params
        self.n = n = edges.n
        self.ties = ties_class(n, edges.u, edges.v)
        self.history = init.history
        self.fear = init.fear
        self.stigma = init.stigma
        self.dropped = _EMPTY  # sorted keys citizen * n + friend of ties the citizen dropped
        self.stigmatised = init.stigmatised
        self.points = np.full(n, p.initial_points, dtype=np.int64)
        self.listed = np.zeros(n, dtype=bool)
        self.wrongful = np.zeros(n, dtype=bool)
        self.listed_since = np.full(n, -1, dtype=np.int64)
        self.delisted_at = np.full(n, -1, dtype=np.int64)
        self.initial_degree = self.ties.degree.copy()
        self._friend_sum: np.ndarray | None = None  # friends' score sums for self.score
        self.heard = _EMPTY  # sorted keys citizen * n + friend: citizen heard friend is listed
        self.scripted = listings_by_tick(listings, n)
        self.tick = 0
        self._everyone = np.arange(n, dtype=np.int64)
        self.rewire_failures = 0  # dropped ties whose replacement found no candidate
        own = rules.own_score(history=self.history, points=self.points, p=p)
        self._own = own.copy()  # own-record part of the score, updated where points change
        self.score = own  # scores "before" the first month: own record only
        self.score = self._scores()
        self._friend_sum = None
        self.grade = rules.grade_of(self.score, p.grade_cutoffs())

    # --- running -----------------------------------------------------------------------
    def run(self, ticks: int | None = None, *, progress: Callable[[int, int], None] | None = None
            ) -> None:
        """Advance ``ticks`` months (default: ``params.ticks``)."""
        total = self.params.ticks if ticks is None else ticks
        for k in range(total):
            self.step()
            if progress is not None:
                progress(k + 1, total)

    def data(self) -> RunData:
        """The tidy tables collected so far."""
        return self.recorder.data()

    def step(self) -> None:
        """Advance one month: the seven phases in order."""
        self.tick += 1
        self._behaviour()
        self._court()
        self._hearing()
        self._stigma()
        droppers, dropped = self._unfriending()
        self._rewire_and_apply(droppers, dropped)
        self._reconnect()
        self._turnover()
        self._set_scores(self._scores())
        self.grade = rules.grade_of(self.score, self.params.grade_cutoffs())
        self._record()

    def list_citizen(self, citizen: int, *, wrongful: bool = False) -> None:
        """Put a citizen on the blacklist between months (counts from the next month).

        The same as :meth:`spiral.agents.SpiralModel.list_citizen`: listed at once, recorded
        as a listing in month ``tick + 1`` with the current state as the month before.
        """
        c = int(citizen)
        if not 0 <= c < self.n:
            raise ParameterError(f"citizen {c} does not exist: citizens are numbered 0 to "
                                 f"{self.n - 1}")
        if self.listed[c]:
            raise ParameterError(f"citizen {c} is already listed")
        month = self.tick + 1
        ids = np.array([c], dtype=np.int64)
        _, friends = self.ties.incident(ids)
        self.recorder.listing(month, ids, np.array([wrongful]), score_before=self.score[ids],
                              degree_before=self.ties.degree[ids], friends=friends,
                              scripted=True)
        self.listed[c] = True
        self.listed_since[c] = month
        self.wrongful[c] = wrongful

    # --- phases ------------------------------------------------------------------------
    # Every uniform number is keyed by (run, phase, month, citizen[, other, slot]) (see
    # spiral.model.draws), so the rules are applied only to the citizens a draw can affect:
    # the others get exactly what the rule would give them, nothing.
    def _u(self, phase: Phase, *words) -> np.ndarray:
        return uniform(self.key, phase, self.tick, *words)

    def _behaviour(self) -> None:
        p = self.params
        u = self._u(Phase.BEHAVIOUR, self._everyone)
        acting = np.flatnonzero(u < rules.deed_reach(p))
        denied = rules.is_denied_services(self.grade[acting], self.listed[acting])
        self.points[acting] += rules.deed_points(u[acting], denied=denied, p=p)
        self._own[acting] = rules.own_score(history=self.history[acting],
                                            points=self.points[acting], p=p)

    def _court(self) -> None:
        p, t = self.params, self.tick
        u = self._u(Phase.COURT, self._everyone)
        listed_ids = np.flatnonzero(self.listed)
        out = listed_ids[rules.is_delisted(
            u[listed_ids], wrongful=self.wrongful[listed_ids],
            months_listed=t - self.listed_since[listed_ids], term_months=p.term_months,
            compliance_rate=p.compliance_rate, oversight_rate=p.oversight_rate)]
        scripted = self.scripted.get(t, ())
        scripted_ids = np.array([item.citizen for item in scripted], dtype=np.int64)
        codes = np.zeros(self.n, dtype=np.int64)
        codes[scripted_ids] = [rules.WRONGFUL if item.wrongful else rules.RIGHTFUL
                               for item in scripted]
        candidates = np.union1d(np.flatnonzero(u < rules.listing_reach(p)), scripted_ids)
        outcome = rules.court_outcome(u[candidates], listed=self.listed[candidates],
                                      scripted=codes[candidates], p=p)
        new = candidates[outcome != rules.NO_LISTING]
        new_wrongful = outcome[outcome != rules.NO_LISTING] == rules.WRONGFUL
        if out.size:
            self.listed[out] = False
            self.delisted_at[out] = t
            self.heard = self.heard[rules.remembers_listing(self.listed[self.heard % self.n])]
            self.recorder.delisting(t, out, self.wrongful[out])
        if new.size:
            self.listed[new] = True
            self.listed_since[new] = t
            self.wrongful[new] = new_wrongful
            _, friends = self.ties.incident(new)
            self.recorder.listing(t, new, self.wrongful[new], score_before=self.score[new],
                                  degree_before=self.ties.degree[new], friends=friends,
                                  scripted=codes[new] != rules.NO_LISTING)

    def _hearing(self) -> None:
        listed_ids = np.flatnonzero(self.listed)
        if listed_ids.size == 0:
            return
        j, i = self.ties.incident(listed_ids)
        keys = np.sort(i * self.n + j)
        keys = keys[~_sorted_isin(keys, self.heard)]
        if keys.size == 0:
            return
        u = self._u(Phase.HEARING, keys // self.n, keys % self.n)
        news = keys[rules.hears(u, self.params.hearing_prob)]
        self.heard = unique_sorted(np.concatenate([self.heard, news]))
        self.recorder.hearings(self.tick, news // self.n, news % self.n)

    def _stigma(self) -> None:
        p = self.params
        if p.stigma_rule == "none":
            return
        marked = self.listed | self.stigmatised
        if p.stigma_rule == "threshold":
            count = self.ties.neighbour_sum(marked)
            self.stigmatised |= rules.catches_stigma_threshold(
                marked=marked, marked_friends=count, degree=self.ties.degree,
                threshold=p.stigma_threshold)
            return
        j, i = self.ties.incident(np.flatnonzero(marked))
        exposed = rules.can_catch_stigma(marked[i])
        i, j = i[exposed], j[exposed]
        passes = rules.stigma_passes(self._u(Phase.STIGMA_SPREAD, i, j), p.stigma_spread)
        caught = np.unique(i[passes])
        holders = np.flatnonzero(self.stigmatised)
        fades = rules.stigma_fades(self._u(Phase.STIGMA_FADE, holders),
                                   stigmatised=True, listed=self.listed[holders],
                                   fade=p.stigma_fade)
        self.stigmatised[holders[fades]] = False
        self.stigmatised[caught] = True

    def _risky_pairs(self) -> np.ndarray:
        """Sorted keys citizen * n + friend of the ties the citizen judges risky."""
        p, n = self.params, self.n
        rule = p.unfriend_rule
        if rule in ("listed", "threshold"):
            marked = self.listed | self.stigmatised
            j, i = self.ties.incident(np.flatnonzero(marked))
            keys = np.sort(i * n + j)
            i, j = keys // n, keys % n
            keys = keys[rules.risky_marked(observer_marked=marked[i],
                                           friend_stigmatised=self.stigmatised[j],
                                           friend_listed_heard=_sorted_isin(keys, self.heard))]
            if rule == "threshold":
                count = np.bincount(keys // n, minlength=n)
                keys = keys[rules.threshold_acts(count, self.ties.degree, p)[keys // n]]
            return keys
        if rule == "grade":
            j, i = self.ties.incident(np.flatnonzero(rules.risky_grade(self.grade, p)))
            return np.sort(i * n + j)
        if rule == "strategic":
            i, j = self.ties.directed()
            friend_sum = self._friend_sums()
            gain = rules.drop_gain(degree=self.ties.degree[i], initial_degree=self.initial_degree[i],
                                   friend_score_sum=friend_sum[i], friend_score=self.score[j], p=p)
            return (i * n + j)[rules.risky_strategic(gain)]
        return _EMPTY

    def _channel_cuts(self) -> tuple[np.ndarray, np.ndarray]:
        """Rule ``channels``: every contact that stigma or fear may drop, and the draws."""
        p, n = self.params, self.n
        fear_on = p.fear_strength > 0 and p.network_weight > 0
        if p.fear_gate == "any" and fear_on:
            i, j = self.ties.directed()
            keys = i * n + j
        else:  # only heard-of listed contacts can have a positive hazard
            j, i = self.ties.incident(np.flatnonzero(self.listed))
            keys = np.sort(i * n + j)
            keys = keys[_sorted_isin(keys, self.heard)]
        if keys.size == 0:
            return _EMPTY, _EMPTY
        i, j = keys // n, keys % n
        cost = 0.0
        if fear_on:
            friend_sum = self._friend_sums()[i] if p.cost_perception == "formula" else None
            cost = rules.perceived_cost(own_score=self.score[i], contact_score=self.score[j],
                                        degree=self.ties.degree[i],
                                        initial_degree=self.initial_degree[i],
                                        friend_score_sum=friend_sum, p=p)
        hazard = rules.channel_hazard(heard=_sorted_isin(keys, self.heard), stigma=self.stigma[i],
                                      fear=self.fear[i], cost=cost, p=p)
        cut = self._u(Phase.UNFRIEND, i, j) < hazard
        return i[cut], j[cut]

    def _unfriending(self) -> tuple[np.ndarray, np.ndarray]:
        if self.params.unfriend_rule == "none":
            return _EMPTY, _EMPTY
        if self.params.unfriend_rule == "channels":
            return self._channel_cuts()
        keys = self._risky_pairs()
        if keys.size == 0:
            return _EMPTY, _EMPTY
        i, j = keys // self.n, keys % self.n
        cut = rules.drops(self._u(Phase.UNFRIEND, i, j), fear=self.fear[i],
                          unfriend_rate=self.params.unfriend_rate)
        return i[cut], j[cut]

    def _set_scores(self, score: np.ndarray) -> None:
        """Take the month's new scores; keep the friends' score sums up to date.

        Passing each changed score on to its friends (random writes, one thread) is cheaper
        than a fresh sum over every tie while the citizens whose score moved hold fewer than
        half of the ties, or an eighth where the fresh sum would run on several threads
        (measured: ``docs/performance.md``). Scores are whole numbers: both ways give the
        same sums exactly.
        """
        changed = np.flatnonzero(score != self.score)
        degree = self.ties.degree
        ends = int(degree.sum())
        share = SPREAD_BELOW_THREADED if parallel(ends) else SPREAD_BELOW
        if self._friend_sum is not None and int(degree[changed].sum()) < share * ends:
            self.ties.spread(changed, score - self.score, self._friend_sum)
        else:
            self._friend_sum = None
        self.score = score

    def _friend_sums(self) -> np.ndarray:
        """Sum of the friends' current scores for every citizen (one sparse product, cached)."""
        if self._friend_sum is None:
            self._friend_sum = self.ties.neighbour_sum(self.score)
        return self._friend_sum

    def _rewire_and_apply(self, droppers: np.ndarray, dropped: np.ndarray) -> None:
        p, t = self.params, self.tick
        add_i = add_k = _EMPTY
        if droppers.size:
            self.recorder.cuts(t, droppers, dropped, p.unfriend_rule)
            if p.reconnect_rate > 0:
                self.dropped = unique_sorted(np.concatenate([self.dropped,
                                                             droppers * self.n + dropped]))
            if p.rewire != "none":
                add_i, add_k = self._proposals(droppers, dropped)
        if droppers.size == 0 and add_i.size == 0:
            return
        self._change_ties(remove=(droppers, dropped), add=(add_i, add_k))
        if add_i.size:
            self.recorder.rewires(t, add_i, add_k, p.rewire)

    def _change_ties(self, *, remove=(_EMPTY, _EMPTY), add=(_EMPTY, _EMPTY)) -> None:
        """Apply a phase's tie changes together, keeping the friends' score sums exact."""
        self.ties.apply(remove=remove, add=add)
        if self._friend_sum is not None:  # whole-number scores: the update is exact
            self._friend_sum = _shift_sums(self._friend_sum, self.score, self.ties.last_removed,
                                           -1.0)
            self._friend_sum = _shift_sums(self._friend_sum, self.score, self.ties.last_added,
                                           1.0)

    def _reconnect(self) -> None:
        """Dropped ties come back, each with a chance per month, once the contact is unlisted."""
        p, n = self.params, self.n
        if p.reconnect_rate == 0 or self.dropped.size == 0:
            return
        i, j = self.dropped // n, self.dropped % n
        again = self.ties.has_tie(i, j)  # made again meanwhile (rewiring, closure)
        back = ~again & rules.restores(self._u(Phase.RECONNECT, i, j),
                                       contact_listed=self.listed[j], p=p)
        self.dropped = self.dropped[~(again | back)]
        if back.any():
            self._change_ties(add=(i[back], j[back]))
            self.recorder.reconnections(self.tick, i[back], j[back])

    def _turnover(self) -> None:
        """Ordinary turnover: a tie lapses and its citizen befriends a friend of a friend.

        A lapse happens only together with its closure tie (and never twice to one tie), so
        the number of ties stays the same.
        """
        p, n, ties = self.params, self.n, self.ties
        if p.turnover_rate == 0:
            return
        movers = np.flatnonzero(rules.turns_over(self._u(Phase.TURNOVER, self._everyone), p)
                                & (ties.degree >= 2))
        if movers.size == 0:
            return
        which = rules.pick_index(self._u(Phase.TURNOVER_PICK, movers), ties.degree[movers])
        lapsed = ties.nth_neighbour(movers, which)
        keys = np.minimum(movers, lapsed) * n + np.maximum(movers, lapsed)
        _, first = np.unique(keys, return_index=True)  # both ends lapsing one tie: once
        first.sort()
        movers, lapsed = movers[first], lapsed[first]
        new_i, new_k, ok = self._friend_of_friend_ties(movers, lapsed, Phase.CLOSURE,
                                                       avoid_marked=False)
        if new_i.size:
            self._change_ties(remove=(movers[ok], lapsed[ok]), add=(new_i, new_k))
            self.recorder.turnover(self.tick, movers[ok], lapsed[ok], new_k)

    def _proposals(self, droppers: np.ndarray, dropped: np.ndarray):
        """New friends for the dropped ties (graph as at the start of the tick)."""
        if self.params.rewire == "friend_of_friend":
            new_i, new_k, ok = self._friend_of_friend_ties(droppers, dropped, Phase.REWIRE)
            self._failed(droppers[~ok])
            return new_i, new_k
        p = self.params
        k_att = p.rewire_attempts
        marked = self.listed | self.stigmatised
        pool = np.flatnonzero(~marked)  # random and homophily: among the unmarked citizens
        if pool.size == 0:
            self._failed(droppers)
            return _EMPTY, _EMPTY
        u = self._u(Phase.REWIRE, droppers[:, None], dropped[:, None],
                    np.arange(k_att)[None, :])
        cand, exists = self._pool_candidates(pool, droppers, u)
        new_i, new_k, ok = self._resolve(droppers, dropped, cand, exists,
                                         marked=marked, homophily=p.rewire == "homophily")
        self._failed(droppers[~ok])
        return new_i, new_k

    def _pool_candidates(self, pool: np.ndarray, droppers: np.ndarray, u: np.ndarray):
        """Candidates drawn from ``pool`` (sorted ids) by the draws ``u``; which exist."""
        return pool[rules.pick_index(u, pool.size)], np.ones(u.shape, dtype=bool)

    def _failed(self, citizens: np.ndarray) -> None:
        """Count dropped ties of ``citizens`` whose replacement found no candidate."""
        self.rewire_failures += int(citizens.size)

    def _friend_of_friend_ties(self, citizens, lapsed, phase: Phase, *, avoid_marked=True):
        """New ties to friends of friends replacing (citizen, lapsed); ok marks who got one.

        Each of the ``rewire_attempts`` slots uses two keyed draws: an intermediary among the
        friends other than ``lapsed``, then one of the intermediary's friends.
        """
        ties = self.ties
        k_att = self.params.rewire_attempts
        u = self._u(phase, citizens[:, None], lapsed[:, None], np.arange(2 * k_att)[None, :])
        i = citizens[:, None]
        pos = ties.rank_in_row(citizens, lapsed)[:, None]
        others = (ties.degree[citizens] - 1)[:, None]
        a = rules.skip_index(rules.pick_index(u[:, 0::2], np.maximum(others, 1)), pos)
        via = ties.nth_neighbour(i, a)
        b = rules.pick_index(u[:, 1::2], np.maximum(ties.degree[via], 1))
        cand = ties.nth_neighbour(via, b)
        exists = (others > 0) & (ties.degree[via] > 0)
        marked = (self.listed | self.stigmatised) if avoid_marked else np.zeros(self.n, bool)
        return self._resolve(citizens, lapsed, np.where(exists, cand, i), exists,
                             marked=marked, homophily=False)

    def _resolve(self, citizens, lapsed, cand, exists, *, marked, homophily: bool):
        """Valid candidates and the choice among them (:func:`rules.resolve_new_ties`)."""
        i = citizens[:, None]
        valid = exists & rules.acceptable_candidate(
            candidate=cand, citizen=i, dropped=lapsed[:, None], candidate_marked=marked[cand],
            already_friends=self.ties.has_tie(np.broadcast_to(i, cand.shape), cand))
        preference = (rules.homophily_distance(self.score[cand], self.score[i], valid)
                      if homophily else None)
        choice = rules.resolve_new_ties(citizens, cand, valid, n=self.n, preference=preference)
        ok = choice >= 0
        return citizens[ok], cand[np.flatnonzero(ok), choice[ok]], ok

    def _scores(self) -> np.ndarray:
        p, t = self.params, self.tick
        own = self._own
        if p.network_weight == 0.0:
            social = 0.0  # weighted by 0: the sum is the same without the friends' scores
        else:
            social = rules.social_score(degree=self.ties.degree,
                                        initial_degree=self.initial_degree,
                                        friend_score_sum=self._friend_sums(),
                                        contacts_share=p.contacts_share)
        pen = np.zeros(self.n)
        marked = np.flatnonzero(self.listed | (self.delisted_at >= 0))
        since = np.where(self.delisted_at[marked] >= 0, t - self.delisted_at[marked], -1)
        pen[marked] = rules.penalty(listed=self.listed[marked], months_since_delisting=since, p=p)
        return rules.combine_score(own=own, social=social, penalty=pen,
                                   network_weight=p.network_weight)

    def _record(self) -> None:
        friend_sum = self._friend_sums() if self.recorder.collect else None
        self.recorder.record(self.tick, score=self.score, grade=self.grade, listed=self.listed,
                             wrongful=self.wrongful, stigmatised=self.stigmatised,
                             degree=self.ties.degree, csr=self.ties,
                             friend_score_sum=friend_sum)

    # --- inspection --------------------------------------------------------------------
    def snapshot(self) -> dict[str, np.ndarray]:
        """Copies of the state arrays and the tie list (for tests and comparisons)."""
        u, v = self.ties.pairs()
        return {"score": self.score.copy(), "points": self.points.copy(),
                "grade": self.grade.copy(), "listed": self.listed.copy(),
                "wrongful": self.wrongful.copy(), "stigmatised": self.stigmatised.copy(),
                "heard": self.heard.copy(), "ties_u": u.copy(), "ties_v": v.copy()}

    def to_networkx(self) -> nx.Graph:
        """The current friendship network with state as node attributes."""
        u, v = self.ties.pairs()
        graph = nx.Graph()
        for c in range(self.n):
            graph.add_node(c, score=float(self.score[c]), grade=GRADES[self.grade[c]],
                           listed=bool(self.listed[c]), stigmatised=bool(self.stigmatised[c]))
        graph.add_edges_from(zip(u.tolist(), v.tolist(), strict=True))
        return graph


def _starting_csr(ties) -> tuple[np.ndarray, np.ndarray]:
    """The starting network as compact CSR arrays, 32-bit where they fit (kept by the recorder
    for hop distances and the initial-ties table).
    """
    if hasattr(ties, "compact_arrays"):
        indptr, indices = ties.compact_arrays()
    else:
        indptr, indices = ties.indptr.copy(), ties.indices.copy()
    if ties.n < 2**31 - 1:
        indices = indices.astype(np.int32)
    return indptr, indices


def _sorted_isin(keys: np.ndarray, sorted_ref: np.ndarray) -> np.ndarray:
    """``np.isin`` for a sorted reference array (binary search)."""
    if sorted_ref.size == 0 or keys.size == 0:
        return np.zeros(keys.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_ref, keys), sorted_ref.size - 1)
    return sorted_ref[pos] == keys


def _shift_sums(sums: np.ndarray, score: np.ndarray, pairs, sign: float) -> np.ndarray:
    """Friends' score sums after the ties ``pairs`` appeared (sign 1) or went (sign -1)."""
    u, v = pairs
    if u.size == 0:
        return sums
    np.add.at(sums, np.concatenate([u, v]), sign * score[np.concatenate([v, u])])
    return sums

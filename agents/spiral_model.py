"""The Mesa driver: :class:`SpiralModel`, a society of :class:`Citizen` agents on a network.

Readable and interactive (notebooks, the dashboard, teaching); for large populations and
sweeps use the array engine (:class:`spiral.model.engine.ArrayEngine`), which applies the same
rules to arrays. With ``activation="synchronous"`` both drivers give identical trajectories
for the same seed: every decision uses the same keyed random number in both
(:mod:`spiral.model.draws`) and the same rule function (:mod:`spiral.model.rules`).

Example:
    >>> from spiral.agents.spiral_model import SpiralModel
    >>> model = SpiralModel({"n_citizens": 100, "mean_degree": 6}, rng=3)
    >>> model.run_for(2)
    >>> model.tick, len(model.agents)
    (2, 100)
"""

from __future__ import annotations

from collections.abc import Iterable

import mesa
import numpy as np
import scipy.sparse as sp
from mesa.discrete_space import Network
from spiral.agents.citizen import Citizen
from spiral.model import rules
from spiral.model.draws import Phase, run_key, uniform
from spiral.model.engine import as_edges
from spiral.model.initial import ScriptedListing, initial_state, listings_by_tick
from spiral.model.networks import build_edges, edges_to_graph
from spiral.model.params import GRADES, ParameterError, Params
from spiral.model.records import Recorder, RunData
from spiral.model.streams import make_streams, resolve_seed

# Model-level series collected by Mesa's DataCollector (attribute names: string reporters).
MODEL_REPORTERS = ("mean_score", "share_A", "share_B", "share_C", "share_D", "listed_count",
                   "wrongful_count", "stigmatised_count", "ties", "mean_degree", "isolates",
                   "components", "largest_component_share", "score_assortativity")


AGENT_REPORTERS = ("score", "degree", "listed", "grade")  # per citizen and month, opt-out
AGENT_DATA_LIMIT = 2_000  # citizens: above this, per-citizen data is off unless asked for


class SpiralModel(mesa.Model):
    """Blacklist contagion among citizens on a friendship network.

    Args:
        params: Parameter values (a :class:`Params` or a mapping, validated); flat keyword
            arguments (``SpiralModel(n_citizens=300, fear_mean=0.7)``) are merged into it,
            so SolaraViz and Mesa's ``batch_run`` can build the model.
        rng: The run's seed, as for :class:`mesa.Model`: an int, a numpy Generator (the seed
            is drawn from it) or None (a fresh seed); read it back as ``model.seed``.
        seed: Alternative to ``rng`` (an int); not both.
        network: A prebuilt networkx graph or EdgeArrays (built from ``params`` if omitted).
        listings: Scripted listings (besides the cohort from ``params``).
        activation: ``"synchronous"`` (phases for everyone, identical to the array engine)
            or ``"random"`` (citizens act in random order, effects immediate).
        layout: Node positions for drawing (None: no layout, as for large networks).
        track: Citizens whose month-by-month state goes to the ``tracked`` table.
        agent_data: Collect per-citizen reporters (score, degree, listed, grade) every month
            in the DataCollector (``get_agent_vars_dataframe()``). Default: on up to
            2,000 citizens. It costs one row per citizen and month (about 100 bytes each:
            0.2 GB for 10,000 citizens over 120 months); the tidy tables of :meth:`data` do
            not need it.
    """

    def __init__(self, params=None, *, rng=None, seed=None, network=None,
                 listings: Iterable[ScriptedListing] = (), activation: str = "synchronous",
                 layout=None, track=(), agent_data: bool | None = None, **values) -> None:
        if activation not in ("synchronous", "random"):
            raise ParameterError(f"activation = {activation!r} is not valid: expected "
                                 "synchronous or random")
        self.seed = resolve_seed(rng, seed)
        super().__init__(rng=self.seed)
        base = params.to_dict() if isinstance(params, Params) else dict(params or {})
        self.params = p = Params({**base, **values})
        self.activation = activation
        self.key = run_key(self.seed)
        self.streams = make_streams(self.seed)
        if network is None:
            network = build_edges(p, self.streams["network"])
        edges = as_edges(network)
        self.network = edges.describe()
        self.labels = edges.labels
        graph = edges_to_graph(edges)
        self.grid = Network(graph, capacity=1, random=self.random, layout=layout)
        init = initial_state(p, edges.n, self.streams["citizens"])
        self.citizens: list[Citizen] = [
            Citizen(self, self.grid[i], index=i, history=float(init.history[i]),
                    fear=float(init.fear[i]), stigmatised=bool(init.stigmatised[i]),
                    stigma=float(init.stigma[i]))
            for i in range(edges.n)]
        self.scripted = listings_by_tick([*init.cohort, *listings], edges.n)
        self.tick = 0
        self.rewire_failures = 0  # dropped ties whose replacement found no candidate
        self.dropped: set[tuple[int, int]] = set()  # (citizen, friend) ties the citizen dropped
        self._stepping = False
        for c in self.citizens:
            c.update_score()
        for c in self.citizens:
            c.settle_score()
        indptr, indices = self._csr_arrays()
        self.recorder = Recorder(edges.n, indptr, indices, self.labels, track=track)
        if agent_data is None:
            agent_data = edges.n <= AGENT_DATA_LIMIT
        self.datacollector = mesa.DataCollector(
            model_reporters={name: name for name in MODEL_REPORTERS},
            agent_reporters={name: name for name in AGENT_REPORTERS} if agent_data else None)
        self.running = p.ticks > 0
        self._record()

    # --- randomness ----------------------------------------------------------------------
    def draw(self, phase: Phase, *words: int) -> float:
        """The keyed uniform number of one decision this month (see spiral.model.draws)."""
        return uniform(self.key, phase, self.tick, *words)

    def unmarked_citizens(self) -> list[Citizen]:
        """Citizens neither listed nor stigmatised, by index (where new friends come from)."""
        return [c for c in self.citizens if not c.marked]

    # --- the court's and the network's bookkeeping ------------------------------------------
    def scripted_code(self, index: int) -> int:
        """This month's scripted listing of a citizen: 0 none, 1 rightful, 2 wrongful."""
        for item in self.scripted.get(self.tick, ()):
            if item.citizen == index:
                return rules.WRONGFUL if item.wrongful else rules.RIGHTFUL
        return rules.NO_LISTING

    def list_citizen(self, citizen: Citizen | int, *, wrongful: bool = False,
                     scripted: bool = True) -> None:
        """Put a citizen on the blacklist.

        Called by the court during a month; called between months (the dashboard's button,
        a notebook), the listing counts from the next month: the citizen is listed at once,
        the tables record the listing in month ``tick + 1`` with the current state as the
        month before, and the court does not review it before then.
        """
        if not isinstance(citizen, Citizen):
            citizen = self.citizens[int(citizen)]
        if citizen.listed:
            raise ParameterError(f"citizen {citizen.index} is already listed")
        month = self.tick if self._stepping else self.tick + 1
        friends = np.array(sorted(citizen.cell.connections), dtype=np.int64)
        self.recorder.listing(month, np.array([citizen.index]), np.array([wrongful]),
                              score_before=np.array([citizen.score]),
                              degree_before=np.array([citizen.degree]), friends=friends,
                              scripted=scripted)
        citizen.listed = True
        citizen.wrongful = wrongful
        citizen.listed_since = month

    def delist(self, citizen: Citizen) -> None:
        """Take a citizen off the blacklist; everyone forgets they heard of the listing."""
        self.recorder.delisting(self.tick, np.array([citizen.index]),
                                np.array([citizen.wrongful]))
        citizen.listed = False
        citizen.delisted_at = self.tick
        for other in self.citizens:
            other.heard = {j for j in other.heard
                           if rules.remembers_listing(self.citizens[j].listed)}

    def change_ties(self, cuts: list[tuple[Citizen, Citizen]]) -> None:
        """Cut the dropped ties and make their replacements (at the end of a phase).

        ``cuts`` are (citizen, dropped friend) in decision order. Each dropped tie proposes
        replacement candidates (:meth:`Citizen.replacement_candidates`, on the network as it
        was before the cuts); :func:`spiral.model.rules.resolve_new_ties` decides which each
        gets, with fallbacks when two pick the same pair.
        """
        if not cuts:
            return
        p = self.params
        self.recorder.cuts(self.tick, np.array([c.index for c, _ in cuts]),
                           np.array([f.index for _, f in cuts]), p.unfriend_rule)
        if p.reconnect_rate > 0:
            self.dropped.update((c.index, f.index) for c, f in cuts)
        new_ties: list[tuple[Citizen, Citizen]] = []
        if p.rewire != "none":
            unmarked = self.unmarked_citizens()
            proposals = [c.replacement_candidates(f, unmarked) for c, f in cuts]
            preference = None if p.rewire != "homophily" else [pr for _, _, pr in proposals]
            choice = rules.resolve_new_ties([c.index for c, _ in cuts],
                                            [cand for cand, _, _ in proposals],
                                            [ok for _, ok, _ in proposals],
                                            n=len(self.citizens), preference=preference)
            for (citizen, _), (cand, _, _), slot in zip(cuts, proposals, choice, strict=True):
                if slot >= 0:
                    new_ties.append((citizen, self.citizens[cand[slot]]))
            self.rewire_failures += int(np.count_nonzero(np.asarray(choice) < 0))
        for citizen, dropped in cuts:
            if dropped.index in citizen.cell.connections:
                self.grid.remove_connection(citizen.cell, dropped.cell)
        for citizen, new in new_ties:
            self.grid.add_connection(citizen.cell, new.cell)
        if new_ties:
            self.recorder.rewires(self.tick, np.array([c.index for c, _ in new_ties]),
                                  np.array([k.index for _, k in new_ties]), p.rewire)

    def reconnect(self, only: Citizen | None = None) -> None:
        """Dropped ties come back, each with a chance per month, once the contact is unlisted."""
        if self.params.reconnect_rate == 0:
            return
        back = []
        for i, j in sorted(self.dropped):
            if only is not None and i != only.index:
                continue
            citizen, friend = self.citizens[i], self.citizens[j]
            if j in citizen.cell.connections:  # made again meanwhile
                self.dropped.discard((i, j))
            elif rules.restores(self.draw(Phase.RECONNECT, i, j), contact_listed=friend.listed,
                                p=self.params):
                self.dropped.discard((i, j))
                back.append((citizen, friend))
        for citizen, friend in back:
            self.grid.add_connection(citizen.cell, friend.cell)
        if back:
            self.recorder.reconnections(self.tick, np.array([c.index for c, _ in back]),
                                        np.array([f.index for _, f in back]))

    def turnover(self, citizens: list[Citizen]) -> None:
        """Ordinary turnover: some citizens let a tie lapse and befriend a friend of a friend.

        A lapse happens only together with its new tie, and one tie lapses at most once, so
        the number of ties stays the same.
        """
        p = self.params
        if p.turnover_rate == 0:
            return
        movers, seen = [], set()
        for c in citizens:
            if not (rules.turns_over(self.draw(Phase.TURNOVER, c.index), p) and c.degree >= 2):
                continue
            friends = c.friends()
            lapsed = friends[int(rules.pick_index(self.draw(Phase.TURNOVER_PICK, c.index),
                                                  len(friends)))]
            key = (min(c.index, lapsed.index), max(c.index, lapsed.index))
            if key not in seen:
                seen.add(key)
                movers.append((c, lapsed))
        if not movers:
            return
        proposals = [c.replacement_candidates(lapsed, [], phase=Phase.CLOSURE,
                                              how="friend_of_friend", avoid_marked=False)
                     for c, lapsed in movers]
        choice = rules.resolve_new_ties([c.index for c, _ in movers],
                                        [cand for cand, _, _ in proposals],
                                        [ok for _, ok, _ in proposals], n=len(self.citizens))
        done = [(c, lapsed, self.citizens[cand[slot]])
                for (c, lapsed), (cand, _, _), slot in zip(movers, proposals, choice, strict=True)
                if slot >= 0]
        for c, lapsed, _new in done:
            self.grid.remove_connection(c.cell, lapsed.cell)
        for c, _, new in done:
            self.grid.add_connection(c.cell, new.cell)
        if done:
            self.recorder.turnover(self.tick, np.array([c.index for c, _, _ in done]),
                                   np.array([x.index for _, x, _ in done]),
                                   np.array([k.index for _, _, k in done]))

    # --- a month ---------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one month; ``running`` turns False after ``params.ticks`` months."""
        self.tick += 1
        self._stepping = True
        try:
            if self.activation == "random":
                self.agents.shuffle_do("step")
            else:
                self._synchronous_step()
        finally:
            self._stepping = False
        self._record()
        self.running = self.tick < self.params.ticks

    def run_for(self, months: int) -> None:
        """Advance several months."""
        for _ in range(months):
            self.step()

    def _synchronous_step(self) -> None:
        everyone = self.agents  # in creation order, i.e. by index
        everyone.do("do_deeds")
        everyone.do("face_court")
        everyone.do("hear_news")
        everyone.do("catch_stigma")
        everyone.do("shake_off_stigma")
        everyone.do("settle_stigma")
        self.change_ties([(c, f) for c in self.citizens for f in c.reconsider_friends()])
        self.reconnect()
        self.turnover(self.citizens)
        everyone.do("update_score")
        everyone.do("settle_score")

    # --- data --------------------------------------------------------------------------
    def _csr_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        rows = [sorted(c.cell.connections) for c in self.citizens]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum([len(r) for r in rows], out=indptr[1:])
        indices = np.array([j for r in rows for j in r], dtype=np.int64)
        return indptr, indices

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The citizens' state as arrays indexed by citizen."""
        cs = self.citizens
        return {"score": np.array([c.score for c in cs]),
                "points": np.array([c.points for c in cs], dtype=np.int64),
                "grade": np.array([c.grade for c in cs], dtype=np.int8),
                "listed": np.array([c.listed for c in cs]),
                "wrongful": np.array([c.wrongful for c in cs]),
                "stigmatised": np.array([c.stigmatised for c in cs]),
                "degree": np.array([c.degree for c in cs], dtype=np.int64)}

    def _record(self) -> None:
        s = self.state_arrays()
        indptr, indices = self._csr_arrays()
        n = len(self.citizens)
        csr = sp.csr_array((np.ones(indices.size), indices, indptr), shape=(n, n))
        state = {k: s[k] for k in ("score", "grade", "listed", "wrongful", "stigmatised",
                                   "degree")}
        self.recorder.record(self.tick, csr=csr, **state)
        row = self.recorder.rows[-1]  # this month's model-level measures
        for name in MODEL_REPORTERS:
            setattr(self, name, row[name])
        self.datacollector.collect(self)

    def data(self) -> RunData:
        """The tidy tables collected so far (same layout as the array engine's)."""
        return self.recorder.data()

    def snapshot(self) -> dict[str, np.ndarray]:
        """Copies of the state arrays and the tie list (same keys as the array engine's)."""
        s = self.state_arrays()
        n = len(self.citizens)
        heard = sorted(c.index * n + j for c in self.citizens for j in c.heard)
        pairs = sorted((c.index, j) for c in self.citizens for j in c.cell.connections
                       if c.index < j)
        u = np.array([a for a, _ in pairs], dtype=np.int64)
        v = np.array([b for _, b in pairs], dtype=np.int64)
        return {"score": s["score"], "points": s["points"], "grade": s["grade"],
                "listed": s["listed"], "wrongful": s["wrongful"],
                "stigmatised": s["stigmatised"], "heard": np.array(heard, dtype=np.int64),
                "ties_u": u, "ties_v": v}

    def grade_letters(self) -> list[str]:
        """Every citizen's grade as a letter."""
        return [GRADES[c.grade] for c in self.citizens]

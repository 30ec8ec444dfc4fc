"""The Mesa driver: :class:`SpiralModel`, a society of :class:`Citizen` agents on a network.

Readable and interactive (notebooks, the dashboard, teaching); for large populations and
sweeps use the array engine (:class:`spiral.model.engine.ArrayEngine`), which applies the same
rules to arrays. With ``activation="synchronous"`` both drivers give identical trajectories
for the same seed: the model draws random numbers from the same per-process streams in the
same order (citizens by index, friends by index).

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
from spiral.model.engine import as_edges
from spiral.model.initial import ScriptedListing, initial_state, listings_by_tick
from spiral.model.networks import build_edges, edges_to_graph
from spiral.model.params import GRADES, ParameterError, Params
from spiral.model.records import Recorder, RunData
from spiral.model.streams import make_streams

# Model-level series collected by Mesa's DataCollector (attribute names: string reporters).
MODEL_REPORTERS = ("mean_score", "share_A", "share_B", "share_C", "share_D", "listed",
                   "wrongful_listed", "stigmatised", "ties", "mean_degree", "isolates",
                   "components", "largest_component_share", "score_assortativity")


class SpiralModel(mesa.Model):
    """Blacklist contagion among citizens on a friendship network.

    Args:
        params: Parameter values (a :class:`Params` or a mapping, validated).
        rng: The run's seed (an int); every process stream derives from it.
        network: A prebuilt networkx graph (built from ``params`` if omitted).
        listings: Scripted listings (besides the cohort from ``params``).
        activation: ``"synchronous"`` (phases for everyone, identical to the array engine)
            or ``"random"`` (citizens act in random order, effects immediate).
        layout: Node positions for drawing (None: no layout, as for large networks).
        track: Citizens whose month-by-month state goes to the ``tracked`` table.
    """

    def __init__(self, params=None, *, rng: int = 0, network=None,
                 listings: Iterable[ScriptedListing] = (), activation: str = "synchronous",
                 layout=None, track=()) -> None:
        if activation not in ("synchronous", "random"):
            raise ParameterError(f"activation = {activation!r} is not valid: expected "
                                 "synchronous or random")
        super().__init__(rng=int(rng))
        self.params = p = params if isinstance(params, Params) else Params(params or {})
        self.seed = int(rng)
        self.activation = activation
        self.streams = make_streams(self.seed)
        if network is None:
            network = build_edges(p, self.streams["network"])
        edges = as_edges(network)
        self.labels = edges.labels
        graph = edges_to_graph(edges)
        self.grid = Network(graph, capacity=1, random=self.random, layout=layout)
        init = initial_state(p, edges.n, self.streams["citizens"])
        self.citizens: list[Citizen] = [
            Citizen(self, self.grid[i], index=i, history=float(init.history[i]),
                    fear=float(init.fear[i]), stigmatised=bool(init.stigmatised[i]))
            for i in range(edges.n)]
        self.scripted = listings_by_tick([*init.cohort, *listings], edges.n)
        self.tick = 0
        self._pending_cuts: list[tuple[Citizen, Citizen]] = []
        for c in self.citizens:
            c.update_score()
        for c in self.citizens:
            c.settle_score()
        indptr, indices = self._csr_arrays()
        self.recorder = Recorder(edges.n, indptr, indices, self.labels, track=track)
        self.datacollector = mesa.DataCollector(
            model_reporters={name: name for name in MODEL_REPORTERS})
        self._record()

    # --- randomness ----------------------------------------------------------------------
    def draw(self, stream: str) -> float:
        """One uniform number in [0, 1) from a process's stream."""
        return float(self.streams[stream].random())

    def draw_rewiring(self) -> list[float]:
        """The ``2 * rewire_attempts`` numbers one tie replacement may use."""
        return [self.draw("rewiring") for _ in range(2 * self.params.rewire_attempts)]

    def unmarked_citizens(self) -> list[Citizen]:
        """Citizens neither listed nor stigmatised, by index (where new friends come from)."""
        return [c for c in self.citizens if not c.marked]

    # --- the court's and the network's bookkeeping ------------------------------------------
    def scripted_listing(self, index: int) -> ScriptedListing | None:
        """The scripted listing of this citizen at the current month, if any."""
        for item in self.scripted.get(self.tick, ()):
            if item.citizen == index:
                return item
        return None

    def list_citizen(self, citizen: Citizen, *, wrongful: bool) -> None:
        """Put a citizen on the blacklist now."""
        friends = np.array(sorted(citizen.cell.connections), dtype=np.int64)
        self.recorder.listing(self.tick, np.array([citizen.index]), np.array([wrongful]),
                              score_before=np.array([citizen.score]),
                              degree_before=np.array([citizen.degree]), friends=friends)
        citizen.listed = True
        citizen.wrongful = wrongful
        citizen.listed_since = self.tick

    def delist(self, citizen: Citizen) -> None:
        """Take a citizen off the blacklist; everyone forgets they heard of the listing."""
        self.recorder.delisting(self.tick, np.array([citizen.index]),
                                np.array([citizen.wrongful]))
        citizen.listed = False
        citizen.delisted_at = self.tick
        for other in self.citizens:
            other.heard.discard(citizen.index)

    def cut_tie(self, citizen: Citizen, friend: Citizen) -> None:
        """Remove a tie now (random activation) and log it."""
        self.recorder.cuts(self.tick, np.array([citizen.index]), np.array([friend.index]),
                           self.params.unfriend_rule)
        if friend.index in citizen.cell.connections:
            self.grid.remove_connection(citizen.cell, friend.cell)

    def add_tie(self, citizen: Citizen, other: Citizen) -> None:
        """Add a tie now and log it as a rewire."""
        if other.index not in citizen.cell.connections:
            self.grid.add_connection(citizen.cell, other.cell)
            self.recorder.rewires(self.tick, np.array([citizen.index]), np.array([other.index]),
                                  self.params.rewire)

    # --- a month ---------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one month."""
        self.tick += 1
        if self.activation == "random":
            self.agents.shuffle_do("step")
        else:
            self._synchronous_step()
        self._record()

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
        cuts = [(c, f) for c in self.citizens for f in c.reconsider_friends()]
        new_ties: list[tuple[Citizen, Citizen]] = []
        if cuts:
            self.recorder.cuts(self.tick, np.array([c.index for c, _ in cuts]),
                               np.array([f.index for _, f in cuts]), self.params.unfriend_rule)
            if self.params.rewire != "none":
                seen = set()
                unmarked = self.unmarked_citizens()
                for citizen, dropped in cuts:
                    new = citizen.propose_new_friend(dropped, self.draw_rewiring(), unmarked)
                    if new is None:
                        continue
                    key = (min(citizen.index, new.index), max(citizen.index, new.index))
                    if key not in seen:
                        seen.add(key)
                        new_ties.append((citizen, new))
        for citizen, dropped in cuts:  # tie changes apply together at the end of the phase
            if dropped.index in citizen.cell.connections:
                self.grid.remove_connection(citizen.cell, dropped.cell)
        for citizen, new in new_ties:
            self.add_tie(citizen, new)
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

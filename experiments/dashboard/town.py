"""The dashboard's model: a town and its penalty twin, stepped together, recorded month by month.

:class:`DashboardModel` is the Mesa :class:`~spiral.agents.spiral_model.SpiralModel` a student
drives from the page, with a second ``SpiralModel``, :attr:`DashboardModel.twin`, run alongside:
the same town (seed, network, citizens, listings) in the ``penalty`` variant, where none of the
channels of the loop is on (stigma S, the score reading friends N, fear for one's own score F)
and a listing costs only the penalty. Every decision of both models uses the same keyed
random number (:mod:`spiral.model.draws`), so the two stay in step and any difference between
a citizen here and the same citizen in the twin is what the channels did.

A blacklisting from the page is a scripted listing of the next month in both models
(:meth:`DashboardModel.blacklist`): the court lists the citizen in the court phase of that
month, exactly as a ``[[listings]]`` entry of a scenario file would, so the page can be
reproduced by ``spiral run`` (:mod:`spiral.experiments.dashboard.as_code`).

After every month both models' state is copied into an immutable :class:`Frame`; the page draws
only from frames, never from citizens in the middle of a step. The channel switches rebuild the
town from month 0 with the same seed and listings (:meth:`DashboardModel.with_channels`), so
what the switch shows is that channel's effect, and the result stays reproducible.

Example:
    >>> from spiral.experiments.dashboard.town import DashboardModel
    >>> town = DashboardModel(seed=3, n_citizens=60, mean_degree=6)
    >>> town.blacklist(5)
    1
    >>> town.advance(3)
    >>> bool(town.frames[1].listed[5]), bool(town.twin.citizens[5].listed)
    (True, True)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import networkx as nx
import numpy as np
from spiral.agents.spiral_model import SpiralModel
from spiral.experiments.runs.scenario import CHANNEL_OFF, DEFAULT_SCENARIO, LADDER, load_scenario
from spiral.model.errors import InputError
from spiral.model.initial import ScriptedListing
from spiral.model.networks import build_edges, edges_to_graph
from spiral.model.params import PARAMS, ParameterError, Params
from spiral.model.streams import make_streams

DASHBOARD_POPULATION = 200  # citizens: small enough to draw and step live
DEFAULT_SEED = 42
MAX_MONTHS = 120  # the page stops here (ten years): frames are kept for every month
SCENARIO_ENV = "SPIRAL_EXPLORE_SCENARIO"
# The channels of the loop, the parameter each one's switch sets to 0, in the ladder's order.
CHANNELS: dict[str, str] = {key: next(iter(change)) for key, change in CHANNEL_OFF.items()}
CHANNEL_NAMES = {"S": "stigma: friends who heard shun the listed",
                 "N": "the score reads friends and lost contacts",
                 "F": "fear for one's own score"}
ALL_CHANNELS = "".join(CHANNELS)
BASELINE = "penalty"  # the variant run alongside
PENALTY_CHANGES: dict = dict(next(v.changes for v in LADDER if v.name == BASELINE))


@dataclass(frozen=True)
class Frame:
    """One model's state at the end of a month (copies: never changed afterwards).

    Attributes:
        month: The month (0: the start).
        score: Score per citizen (points).
        grade: Grade index per citizen (0..3 = A..D).
        listed: Whether each citizen is on the blacklist.
        wrongful: Whether each citizen's (last) listing was an error.
        degree: Number of friends per citizen.
        pairs: Ties, one row (u, v) with u < v.
        cuts: Ties cut this month by unfriending, one row (u, v) with u < v.
    """

    month: int
    score: np.ndarray
    grade: np.ndarray
    listed: np.ndarray
    wrongful: np.ndarray
    degree: np.ndarray
    pairs: np.ndarray
    cuts: np.ndarray

    def friends(self, citizen: int) -> set[int]:
        """The citizen's friends this month."""
        mask = (self.pairs[:, 0] == citizen) | (self.pairs[:, 1] == citizen)
        return set(self.pairs[mask].ravel().tolist()) - {citizen}


def _pairs(array) -> np.ndarray:
    return np.array(sorted(array), dtype=np.int64).reshape(-1, 2)


def frame_of(model: SpiralModel) -> Frame:
    """Copy a model's state now into a :class:`Frame`."""
    state = model.snapshot()
    cuts = {(min(a, b), max(a, b)) for tick, kind, a, b, _ in model.recorder.events
            if kind == "cut" and tick == model.tick}
    return Frame(model.tick, state["score"].copy(), state["grade"].copy(),
                 state["listed"].copy(), state["wrongful"].copy(),
                 np.bincount(np.concatenate([state["ties_u"], state["ties_v"]]),
                             minlength=len(model.citizens)),
                 np.column_stack([state["ties_u"], state["ties_v"]]), _pairs(cuts))


def starting_params() -> Params:
    """The sliders' starting values: a bundled scenario with a dashboard-sized population.

    The scenario is ``zhima-spiral`` unless the environment variable
    ``SPIRAL_EXPLORE_SCENARIO`` names another (``spiral explore --scenario``).
    """
    import os

    scenario = load_scenario(os.environ.get(SCENARIO_ENV, DEFAULT_SCENARIO))
    return scenario.params.replace(n_citizens=DASHBOARD_POPULATION)


def parse_seed(text) -> int:
    """The seed from the seed field.

    Raises:
        InputError: Not a whole number >= 0.
    """
    try:
        seed = int(str(text).strip())
    except ValueError:
        raise InputError(f"seed = {text!r} is not valid: expected a whole number >= 0") from None
    if seed < 0:
        raise InputError(f"seed = {seed} is not valid: expected a whole number >= 0")
    return seed


def channel_params(params: Params, channels: str) -> Params:
    """``params`` with the switched-off channels' parameters set to 0."""
    off = {name: 0.0 for key, name in CHANNELS.items() if key not in channels}
    return params.replace(**off) if off else params


def check_channels(channels: str) -> str:
    """Validate a channel string (letters of ``SNF``), returned in the ladder's order."""
    unknown = set(channels) - set(CHANNELS)
    if unknown:
        raise ParameterError(f"channels = {channels!r} is not valid: expected letters of "
                             f"{ALL_CHANNELS}")
    return "".join(k for k in CHANNELS if k in channels)


class DashboardModel(SpiralModel):
    """The town on the page, its penalty twin, and a frame of both for every month.

    Invalid input (a bad seed, grade cut-offs out of order, ...) does not break the page: the
    model falls back to the starting values and :attr:`input_error` says what was wrong.

    Args:
        seed: The run's seed (text from the seed field, or an int).
        scenario: Accepted and ignored (Mesa's visualisation passes one on reset).
        channels: The channels switched on, letters of ``"SNF"``; a channel switched off has
            its parameter (:data:`CHANNELS`) at 0.
        listings: Listings made from the page (months >= 1), applied in both models.
        layout: Positions by citizen (computed with a seeded spring layout if omitted).
        twin: The penalty twin to reuse and its frames (it does not depend on the channel
            switches).
        **values: Parameter values by name (the sliders); the rest start from
            :func:`starting_params`.

    Attributes:
        values: The parameter values asked for (validated), before the switches.
        channels: The channels switched on.
        twin: The same town in the ``penalty`` variant (a ``SpiralModel``).
        frames: One :class:`Frame` of this town per month so far.
        twin_frames: The same for the twin.
        listings: The page's listings (:class:`~spiral.model.initial.ScriptedListing`).
        positions: Drawing position per citizen (n x 2).
    """

    def __init__(self, seed=DEFAULT_SEED, scenario=None, *, channels: str = ALL_CHANNELS,
                 listings=(), layout=None, twin: tuple[SpiralModel, list[Frame]] | None = None,
                 **values) -> None:
        del scenario
        self.input_error = ""
        base = starting_params()
        try:
            run_seed = parse_seed(seed)
            params = base.replace(**values, ticks=MAX_MONTHS)
        except InputError as exc:
            self.input_error = f"{exc}; using the starting values instead"
            run_seed, params, values = DEFAULT_SEED, base.replace(ticks=MAX_MONTHS), {}
        self.values = {k: params[k] for k in values}
        self.base_params = params
        self.channels = check_channels(channels)
        self.lock = threading.RLock()
        edges = build_edges(params, make_streams(run_seed)["network"])
        if layout is None:
            layout = nx.spring_layout(edges_to_graph(edges), seed=run_seed,
                                      iterations=50 if edges.n <= 400 else 20)
        self.layout = layout
        self.positions = np.array([layout[i] for i in range(edges.n)], dtype=float)
        super().__init__(channel_params(params, self.channels), rng=run_seed, network=edges,
                         layout=layout)
        self.listings: list[ScriptedListing] = []
        if twin is None:
            self.twin = SpiralModel(params.replace(**PENALTY_CHANGES), rng=run_seed,
                                    network=edges)
            self.twin_frames = [frame_of(self.twin)]
        else:
            self.twin, self.twin_frames = twin
        self.frames = [frame_of(self)]
        for item in listings:
            self._schedule(item)

    # --- the page's actions -------------------------------------------------------------------
    def blacklist(self, index: int | None = None, *, wrongful: bool = False,
                  picker: np.random.Generator | None = None) -> int:
        """Have the court list a citizen next month: ``index``, or a random unlisted one.

        The listing is scheduled for month ``tick + 1`` in this town and in the twin (a
        scripted listing, as in a scenario file), so it happens when the page steps.

        Returns:
            The citizen's index.

        Raises:
            ParameterError: No such citizen, already listed or about to be, nobody left.
        """
        with self.lock:
            n = len(self.citizens)
            waiting = {item.citizen for item in self.pending()}
            if index is None:
                free = [c.index for c in self.citizens if not c.listed and c.index not in waiting]
                if not free:
                    raise ParameterError("everyone is already listed")
                picker = picker or np.random.default_rng([self.seed, self.tick, len(self.listings)])
                index = int(picker.choice(free))
            if not 0 <= int(index) < n:
                raise ParameterError(f"citizen = {index} is not valid: expected 0 to {n - 1}")
            index = int(index)
            if self.citizens[index].listed:
                raise ParameterError(f"citizen {index} is already listed")
            if index in waiting:
                raise ParameterError(f"citizen {index} is already to be listed next month")
            if self.tick >= MAX_MONTHS:
                raise ParameterError(f"the run ends at month {MAX_MONTHS}; press Reset")
            self._schedule(ScriptedListing(index, self.tick + 1, bool(wrongful)))
            return index

    def _schedule(self, item: ScriptedListing) -> None:
        self.listings.append(item)
        for model in (self, self.twin):
            if item not in model.scripted.get(item.tick, []):
                model.scripted.setdefault(item.tick, []).append(item)

    def pending(self) -> list[ScriptedListing]:
        """The page's listings that have not happened yet (next month's)."""
        return [item for item in self.listings if item.tick > self.tick]

    def step(self) -> None:
        """Advance both towns one month and record their frames."""
        self.advance(1)

    def advance(self, months: int, *, twin: bool = True) -> None:
        """Advance ``months`` months (both towns, or this one only when replaying)."""
        with self.lock:
            for _ in range(months):
                if self.tick >= MAX_MONTHS:
                    break
                super().step()
                self.frames.append(frame_of(self))
                if twin:
                    self.twin.step()
                    self.twin_frames.append(frame_of(self.twin))
            self.running = self.tick < MAX_MONTHS

    def with_channels(self, channels: str) -> DashboardModel:
        """The same town rebuilt from month 0 to now with these channels switched on.

        Same seed, network, layout, citizens and listings; the twin is reused (no channel is
        on there anyway).
        """
        with self.lock:
            other = DashboardModel(self.seed, channels=channels, listings=self.listings,
                                   layout=self.layout, twin=(self.twin, self.twin_frames),
                                   **self.values)
            other.input_error = self.input_error
            other.advance(self.tick, twin=False)
            return other

    # --- what the page shows ----------------------------------------------------------------
    @property
    def month(self) -> int:
        """The month shown (the last frame's)."""
        return self.frames[-1].month

    def newest_listed(self) -> int | None:
        """The citizen most recently put on the blacklist (by anyone), or None."""
        for now, before in zip(reversed(self.frames[1:]), reversed(self.frames[:-1]),
                               strict=True):
            new = np.flatnonzero(now.listed & ~before.listed)
            if new.size:
                return int(new[-1])
        listed = np.flatnonzero(self.frames[0].listed)
        return int(listed[-1]) if listed.size else None

    def listing_months(self, citizen: int) -> list[int]:
        """Months in which the citizen was put on the list (as the frames show)."""
        return [now.month for now, before in zip(self.frames[1:], self.frames[:-1], strict=True)
                if now.listed[citizen] and not before.listed[citizen]]

    def series(self, citizen: int) -> dict[str, np.ndarray]:
        """Month by month, the citizen's score and friends here and in the twin."""
        months = min(len(self.frames), len(self.twin_frames))
        frames, twins = self.frames[:months], self.twin_frames[:months]
        return {"month": np.array([f.month for f in frames]),
                "score": np.array([f.score[citizen] for f in frames]),
                "friends": np.array([f.degree[citizen] for f in frames]),
                "listed": np.array([f.listed[citizen] for f in frames]),
                "twin_score": np.array([f.score[citizen] for f in twins]),
                "twin_friends": np.array([f.degree[citizen] for f in twins])}

    def on_screen_params(self) -> Params:
        """The parameters of the town on screen (the switches applied), ticks = this month."""
        return self.params.replace(ticks=max(self.tick, 1))

    def describe_channels(self) -> str:
        """Which channels are on, in words."""
        on = [CHANNEL_NAMES[k] for k in CHANNELS if k in self.channels]
        return "; ".join(on) if on else "no channel (the penalty alone)"


def changed_values(params: Params, *, skip=("ticks",)) -> dict:
    """The values of ``params`` that differ from the parameter table's defaults."""
    return {name: params[name] for name in PARAMS
            if name not in skip and params[name] != PARAMS[name].default}

"""The dashboard's page: a Mesa SolaraViz app of the blacklist spiral (``spiral explore``).

A student moves a slider (fear, the weight the algorithm gives to friends, ...), presses
Step or play, and watches the network around the blacklisted unravel: citizens coloured by
grade, the listed ringed in black, ties disappearing as friends drop them (ties cut in the last
months shown as faint dotted lines), with live plots of the mean score, the number listed and
isolated, and the grade mix. A button blacklists a chosen or a random citizen now.

The sliders are generated from the parameter table (:mod:`spiral.model.params`); their starting
values are those of a bundled scenario (``zhima-spiral`` unless ``SPIRAL_EXPLORE_SCENARIO``
names another) with a small population, laid out once with a seeded spring layout.

This module imports Solara and Mesa's visualisation at import time and defines the
module-level ``page`` that ``solara run spiral.experiments.dashboard.app`` serves; the
``spiral explore`` command (:mod:`spiral.experiments.dashboard.command`) starts it.
"""

from __future__ import annotations

import math
import os

import networkx as nx
import numpy as np
import solara
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update, update_counter
from spiral.agents.spiral_model import SpiralModel
from spiral.experiments.charts.palette import CUT_TIE, GRADE_COLOURS, LISTED_RING, OKABE_ITO
from spiral.experiments.runs.scenario import DEFAULT_SCENARIO, load_scenario
from spiral.model.errors import InputError
from spiral.model.networks import build_edges, edges_to_graph
from spiral.model.params import GRADES, PARAMS, Param, ParameterError, Params
from spiral.model.streams import make_streams

DASHBOARD_POPULATION = 200  # citizens: small enough to draw and step live
DEFAULT_SEED = 42
# Colours from the project's one palette (Okabe-Ito, colour-blind safe): grade A..D from blue
# to vermillion, the listed ringed in black, recently cut ties in purple.
LISTED_EDGE = LISTED_RING
CUT_COLOUR = CUT_TIE
RECENT_CUT_MONTHS = 3
# The sliders a student reaches for first; the rest follow in the table's order.
KEY_PARAMS = ("fear_mean", "network_weight", "hearing_prob", "unfriend_rate", "listing_penalty",
              "unfriend_rule", "rewire", "n_citizens", "mean_degree")
# Not offered: the run length (the dashboard runs while you press Step) and file inputs.
HIDDEN_PARAMS = ("ticks", "network_file")
HIDDEN_CHOICES = {"network": ("file",)}
# Display caps for ranges meant for large runs (the table's full range stays valid elsewhere).
DISPLAY_CAPS = {"n_citizens": 1000, "mean_degree": 30, "n_communities": 50, "initial_points": 5000,
                "term_months": 120, "lingering_months": 120, "cohort_tick": 120,
                "fear_concentration": 50}


def _nice_ceil(x: float) -> float:
    """Smallest of 1, 2, 5 x 10^k that is >= x."""
    exp = math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if m * 10**exp >= x - 1e-15:
            return float(m * 10**exp)
    return float(10 ** (exp + 1))


def _nice_floor(x: float) -> float:
    """Largest of 1, 2, 5 x 10^k that is <= x."""
    exp = math.floor(math.log10(x))
    for m in (5, 2, 1):
        if m * 10**exp <= x + 1e-15:
            return float(f"{m * 10**exp:.1g}")
    return float(f"{10**exp:.1g}")


def slider_range(param: Param, value: float) -> tuple[float, float, float]:
    """Minimum, maximum and step of a parameter's slider.

    The table's range, capped for display where it is meant for large runs
    (:data:`DISPLAY_CAPS`), narrowed for rates whose value is tiny against their range (a
    slider from 0 to 1 cannot set 0.0007), and widened to include ``value``.
    """
    low, high = float(param.low), float(param.high)
    high = min(high, DISPLAY_CAPS.get(param.name, high))
    if param.kind == "float" and value > 0 and 20 * value < high and low >= 0:
        high = min(high, _nice_ceil(20 * value))
    high = max(high, float(value))
    low = min(low, float(value))
    if param.kind == "int":
        return low, high, 1.0
    step = _nice_floor((high - low) / 200) if high > low else 1.0
    return low, high, step


def model_params(base: Params) -> dict:
    """SolaraViz ``model_params``: one input per parameter of the table, plus the seed.

    Numbers get sliders (label: name and unit), choices a drop-down, switches a checkbox.
    """
    out: dict = {"seed": {"type": "InputText", "value": str(DEFAULT_SEED),
                          "label": "Seed (whole number)"}}
    names = [*KEY_PARAMS, *(n for n in PARAMS if n not in KEY_PARAMS)]
    for name in names:
        if name in HIDDEN_PARAMS:
            continue
        p, value = PARAMS[name], base[name]
        label = f"{name} ({p.unit})" if p.unit else name
        if p.kind in ("int", "float"):
            low, high, step = slider_range(p, value)
            kind = "SliderInt" if p.kind == "int" else "SliderFloat"
            cast = int if p.kind == "int" else float
            out[name] = {"type": kind, "value": cast(value), "min": cast(low), "max": cast(high),
                         "step": cast(step), "label": label}
        elif p.kind == "choice":
            values = [c for c in p.choices if c not in HIDDEN_CHOICES.get(name, ())]
            out[name] = {"type": "Select", "value": value, "values": values, "label": label}
        elif p.kind == "bool":
            out[name] = {"type": "Checkbox", "value": bool(value), "label": label}
    return out


def base_params() -> Params:
    """Starting values: the chosen scenario's parameters with a dashboard-sized population."""
    scenario = load_scenario(os.environ.get("SPIRAL_EXPLORE_SCENARIO", DEFAULT_SCENARIO))
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


class DashboardModel(SpiralModel):
    """The Mesa model as the dashboard builds it: flat keyword parameters and a layout.

    SolaraViz rebuilds the model on Reset with the sliders' values as keyword arguments.
    Invalid input (a bad seed, grade cut-offs out of order, ...) does not break the page: the
    model falls back to the starting values and :attr:`input_error` says what was wrong.

    Args:
        seed: The run's seed (text from the seed field, or an int).
        scenario: Mesa's scenario object, which SolaraViz passes on Reset (not used: the
            parameters come as keywords).
        **values: Parameter values by name (the sliders).
    """

    def __init__(self, seed=DEFAULT_SEED, scenario=None, **values) -> None:
        del scenario
        self.input_error = ""
        base = base_params()
        try:
            run_seed = parse_seed(seed)
            params = base.replace(**values)
        except InputError as exc:
            self.input_error = f"{exc}; using the starting values instead"
            run_seed, params = DEFAULT_SEED, base
        edges = build_edges(params, make_streams(run_seed)["network"])
        layout = nx.spring_layout(edges_to_graph(edges), seed=run_seed,
                                  iterations=50 if edges.n <= 400 else 20)
        super().__init__(params, rng=run_seed, network=edges, layout=layout)
        self.positions = np.array([layout[i] for i in range(edges.n)])
        self.initial_pairs = np.column_stack([edges.u, edges.v])
        self.picker = np.random.default_rng([run_seed, 0x5EED])
        self.manual_listings: list[tuple[int, int]] = []

    def blacklist(self, index: int | None = None, *, wrongful: bool = False) -> int:
        """Put a citizen on the blacklist now: ``index``, or a random unlisted citizen.

        Returns:
            The citizen's index.

        Raises:
            ParameterError: No such citizen, already listed, or nobody left to list.
        """
        n = len(self.citizens)
        if index is None:
            free = [c.index for c in self.citizens if not c.listed]
            if not free:
                raise ParameterError("everyone is already listed")
            index = int(self.picker.choice(free))
        if not 0 <= int(index) < n:
            raise ParameterError(f"citizen = {index} is not valid: expected 0 to {n - 1}")
        citizen = self.citizens[int(index)]
        if citizen.listed:
            raise ParameterError(f"citizen {index} is already listed")
        self.list_citizen(citizen, wrongful=wrongful)
        self.manual_listings.append((self.tick, citizen.index))
        return citizen.index

    def current_pairs(self) -> np.ndarray:
        """Ties now, one row (u, v) per tie with u < v."""
        pairs = [(c.index, j) for c in self.citizens for j in c.cell.connections if c.index < j]
        return np.array(pairs, dtype=np.int64).reshape(-1, 2)

    def recent_cuts(self, months: int = RECENT_CUT_MONTHS) -> np.ndarray:
        """Ties cut in the last ``months`` months and not restored, one row (u, v) per tie."""
        now = {tuple(p) for p in self.current_pairs().tolist()}
        cut = {(min(a, b), max(a, b)) for tick, event, a, b, _ in self.recorder.events
               if event == "cut" and tick > self.tick - months}
        return np.array(sorted(cut - now), dtype=np.int64).reshape(-1, 2)


# --- drawing --------------------------------------------------------------------------------
def network_figure(model: DashboardModel) -> Figure:
    """The network now: citizens by grade, the listed ringed, recent cuts dotted."""
    fig = Figure(figsize=(6, 6), dpi=90, layout="constrained")
    ax = fig.subplots()
    pos = model.positions
    for pairs, style in ((model.recent_cuts(), {"color": CUT_COLOUR, "lw": 0.8, "ls": ":",
                                                "alpha": 0.8}),
                         (model.current_pairs(), {"color": "0.75", "lw": 0.5, "alpha": 0.8})):
        if len(pairs):
            segments = np.stack([pos[pairs[:, 0]], pos[pairs[:, 1]]], axis=1)
            ax.add_collection(LineCollection(segments, zorder=1, **style))
    grades = model.grade_letters()
    listed = np.array([c.listed for c in model.citizens])
    colours = [GRADE_COLOURS[g] for g in grades]
    sizes = np.where(listed, 90, 28)
    ax.scatter(pos[:, 0], pos[:, 1], s=sizes, c=colours, edgecolors=np.where(
        listed, LISTED_EDGE, "white").tolist(), linewidths=np.where(listed, 2.0, 0.4), zorder=2)
    for k, grade in enumerate(GRADES):
        ax.text(0.01 + 0.07 * k, 0.99, grade, transform=ax.transAxes, va="top",
                color="white", fontweight="bold", fontsize=10,
                bbox={"boxstyle": "round,pad=0.25", "fc": GRADE_COLOURS[grade], "ec": "none"})
    ax.text(0.31, 0.99, "grade   ◯ listed   ┈ cut lately", transform=ax.transAxes, va="top",
            fontsize=9, color="0.3")
    isolates = sum(1 for c in model.citizens if c.degree == 0)
    ax.set_title(f"Month {model.tick}: {int(listed.sum())} listed, {isolates} without friends",
                 loc="left", fontsize=12, fontweight="bold")
    ax.set_axis_off()
    ax.autoscale_view()
    return fig


def series_figure(model: DashboardModel) -> Figure:
    """Live plots: mean score, listed and isolated citizens, grade mix."""
    data = model.datacollector.get_model_vars_dataframe()
    months = np.arange(len(data))
    fig = Figure(figsize=(6, 6), dpi=90, layout="constrained")
    ax_score, ax_count, ax_grade = fig.subplots(3, 1, sharex=True)
    ax_score.plot(months, data["mean_score"], color=OKABE_ITO["blue"], lw=2)
    ax_score.set_ylabel("Mean score\n(points)")
    ax_score.set_title("The whole town", loc="left", fontsize=12, fontweight="bold")
    for column, colour, label, nudge in (("listed", OKABE_ITO["black"], "listed", 5),
                                         ("isolates", OKABE_ITO["vermillion"], "without friends", -5)):
        ax_count.plot(months, data[column], color=colour, lw=2)
        ax_count.annotate(label, (months[-1], data[column].iloc[-1]), xytext=(3, nudge),
                          textcoords="offset points", color=colour, fontsize=9, va="center")
    ax_count.set_ylim(bottom=0)
    ax_count.yaxis.get_major_locator().set_params(integer=True)
    ax_count.set_ylabel("Citizens")
    shares = [data[f"share_{g}"] * 100 for g in GRADES]
    ax_grade.stackplot(months, *shares, colors=[GRADE_COLOURS[g] for g in GRADES],
                       labels=GRADES)
    ax_grade.set_ylim(0, 100)
    ax_grade.set_ylabel("Grade mix\n(% of citizens)")
    ax_grade.set_xlabel("Month")
    ax_grade.legend(loc="lower left", ncol=4, fontsize=8, frameon=True, framealpha=0.8)
    for ax in (ax_score, ax_count, ax_grade):
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlim(0, max(12, len(months) - 1))
    return fig


# --- components ---------------------------------------------------------------------------------
@solara.component
def NetworkPanel(model: DashboardModel):
    """The network drawing with the blacklist controls above it."""
    update_counter.get()
    chosen = solara.use_reactive(0)
    wrongful = solara.use_reactive(False)
    message = solara.use_reactive("")
    solara.use_effect(lambda: message.set(""), [model])  # a new model (Reset) starts afresh

    def blacklist(index):
        try:
            listed = model.blacklist(index, wrongful=wrongful.value)
        except ParameterError as exc:
            message.set(str(exc))
            return
        how = "by error" if wrongful.value else "rightfully"
        message.set(f"Citizen {listed} blacklisted {how} in month {model.tick}.")
        force_update()

    with solara.Column(gap="4px"):
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.InputInt("Citizen", value=chosen, style={"max-width": "90px"})
            solara.Button("Blacklist citizen", color="error",
                          on_click=lambda: blacklist(chosen.value))
            solara.Button("Blacklist a random citizen", color="error", outlined=True,
                          on_click=lambda: blacklist(None))
            solara.Checkbox(label="by error", value=wrongful)
        if model.input_error:
            solara.Warning(model.input_error)
        if message.value:
            solara.Text(message.value)
        solara.FigureMatplotlib(network_figure(model), format="png")


@solara.component
def SeriesPanel(model: DashboardModel):
    """The live plots."""
    update_counter.get()
    solara.FigureMatplotlib(series_figure(model), format="png")


def guide_html() -> str:
    """The parameter guide: every input's name, unit, range, default and documentation."""
    import html

    rows = []
    for name in model_params(base_params()):
        if name == "seed":
            continue
        p = PARAMS[name]
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in (
            name, p.unit, p.allowed, p.default, p.doc, p.source)) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("parameter", "unit", "valid values",
                                                "default", "what it does", "source"))
    return (f"<table style='font-size: 13px; border-collapse: collapse'><thead><tr>{head}"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


@solara.component
def ParameterGuide(model: DashboardModel):
    """A table explaining every slider (its help text), from the parameter table."""
    with solara.Column():
        solara.Text("What the sliders do (change them, then press Reset)",
                    style={"font-weight": "bold"})
        solara.HTML(tag="div", unsafe_innerHTML=guide_html())


def make_page():
    """The SolaraViz page of a fresh dashboard model."""
    model = DashboardModel()
    return SolaraViz(model, components=[(NetworkPanel, 0), (SeriesPanel, 0), (ParameterGuide, 1)],
                     model_params=model_params(base_params()),
                     name="The blacklist spiral", play_interval=300)


page = make_page()

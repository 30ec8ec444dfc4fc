"""The parts of the dashboard's page: the person, the town, the code, the inputs, the legend.

Each panel is a Solara component that reads the model's frames (never the citizens in the
middle of a step) and is re-rendered when the page's ``version`` counter changes (after a
step, a reset, a blacklisting or a switch). The pictures are rendered once per (model, month,
citizen) and kept (``solara.use_memo``). :mod:`spiral.experiments.dashboard.app` puts the
panels on the page.
"""

from __future__ import annotations

import solara
from spiral.experiments.charts.palette import (
    COUNTERFACTUAL,
    CUT_TIE,
    FEEDBACK,
    GRADE_COLOURS,
    LISTED_RING,
    NEUTRAL,
)
from spiral.experiments.dashboard import as_code, figures
from spiral.experiments.dashboard.inputs import InputSpec, groups, guide_html, show_value
from spiral.experiments.dashboard.town import CHANNEL_NAMES, CHANNELS
from spiral.experiments.dashboard.widgets import HIGHLIGHT, CopyBox, NetworkView, network_picture
from spiral.model.params import GRADES


def _swatch(colour: str, *, ring: str = "", dashed: bool = False, line: str = "") -> str:
    if line:
        return (f"<span style='display:inline-block;width:22px;border-top:3px {line} {colour};"
                "vertical-align:middle;margin-right:4px'></span>")
    border = f"3px {'dashed' if dashed else 'solid'} {ring}" if ring else "1px solid white"
    return (f"<span style='display:inline-block;width:13px;height:13px;border-radius:50%;"
            f"background:{colour};border:{border};vertical-align:middle;margin-right:4px'>"
            "</span>")


def legend_html() -> str:
    """What the colours and marks of the page mean."""
    grades = " ".join(f"{_swatch(GRADE_COLOURS[g])}{g}" for g in GRADES)
    items = [f"<b>Grade</b> (A best, D worst): {grades}",
             f"{_swatch('white', ring=LISTED_RING)}on the blacklist",
             f"{_swatch('white', ring=LISTED_RING, dashed=True)}blacklisted next month",
             f"{_swatch('white', ring=HIGHLIGHT)}the citizen you follow, their ties in green",
             f"{_swatch(CUT_TIE, line='dotted')}a friend who left in the last 3 months",
             f"{_swatch(FEEDBACK, line='solid')}this town (the switches as set)",
             f"{_swatch(COUNTERFACTUAL, line='solid')}the same town with the penalty only "
             "(no channel)"]
    return ("<div class='spiral-legend' style='font-size:13px;line-height:1.9'>"
            + "<br>".join(items) + "</div>")


@solara.component
def Legend():  # noqa: N802 - Solara components are named like classes
    """The legend: what every colour means."""
    solara.HTML(tag="div", unsafe_innerHTML=legend_html())


def person_summary(model, citizen: int) -> str:
    """One line about the chosen citizen now, here and in the penalty twin."""
    frame, twin = model.frames[-1], model.twin_frames[-1]
    listed_at = model.listing_months(citizen)
    if frame.listed[citizen]:
        since = f"on the blacklist since month {listed_at[-1]}" if listed_at else \
            "on the blacklist"
    elif citizen in {item.citizen for item in model.pending()}:
        since = f"blacklisted next month (month {model.tick + 1})"
    else:
        since = "not on the blacklist"
    return (f"Citizen {citizen}: grade {GRADES[int(frame.grade[citizen])]}, score "
            f"{frame.score[citizen]:.0f}, {int(frame.degree[citizen])} friends, {since}. "
            f"With the penalty alone: score {twin.score[citizen]:.0f}, "
            f"{int(twin.degree[citizen])} friends.")


@solara.component
def NetworkPanel(model, chosen: int | None, version: int, on_choose):  # noqa: N802 - Solara components are named like classes
    """The clickable network and the legend."""
    picture = solara.use_memo(lambda: network_picture(model, chosen),
                              [model, model.month, chosen, version])

    def picked(value):
        if value and "citizen" in value:
            on_choose(int(value["citizen"]))

    with solara.Column(gap="4px", classes=["spiral-network-panel"]):
        NetworkView.element(**picture, on_pick=picked)
        solara.Text("Hover a citizen for their number, grade and score; click to follow them.",
                    style={"font-size": "13px", "color": NEUTRAL})
        Legend()


@solara.component
def PersonPanel(model, chosen: int | None, version: int):  # noqa: N802 - Solara components are named like classes
    """The chosen citizen: a summary line, the ego network by month, the paired plot."""
    key = [model, model.month, chosen]
    ego = solara.use_memo(lambda: None if chosen is None else figures.png(
        figures.ego_figure(model, chosen), dpi=90), key)
    pair = solara.use_memo(lambda: None if chosen is None else figures.png(
        figures.pair_figure(model, chosen), dpi=90), key)
    del version
    if chosen is None:
        solara.Info("Choose a citizen: click one in the network, type a number, or press "
                    "'Follow the newest listed'.")
        return
    with solara.Column(gap="6px", classes=["spiral-person"]):
        solara.Text(person_summary(model, chosen), classes=["spiral-person-summary"],
                    style={"font-weight": "bold"})
        solara.Text(f"Who stays and who leaves: citizen {chosen}'s friends",
                    classes=["spiral-ego-caption"])
        solara.Image(ego, width="100%", classes=["spiral-ego"])
        solara.Text(f"Citizen {chosen} here and with the penalty alone (the penalty variant "
                    "run alongside: same town, same listings, no channel)",
                    classes=["spiral-pair-caption"])
        solara.Image(pair, width="100%", classes=["spiral-pair"])


@solara.component
def TownPanel(model, version: int):  # noqa: N802 - Solara components are named like classes
    """The town-wide plots."""
    picture = solara.use_memo(lambda: figures.png(figures.town_figure(model), dpi=90),
                              [model, model.month, version])
    solara.Image(picture, width="100%", classes=["spiral-town"])


@solara.component
def CodePanel(model, chosen: int | None, version: int):  # noqa: N802 - Solara components are named like classes
    """Copy as code: the Python, the scenario file and the ``spiral run`` command."""
    del version
    solara.HTML(tag="p", unsafe_innerHTML=(
        "The code below rebuilds <b>what is on screen</b>: the same seed, the inputs as they "
        "were at the last Reset, the channel switches, the listings made here, stepped to "
        f"month {model.tick}. Run the Python in a notebook, or save the scenario file and run "
        "the command in a terminal."))
    note = as_code.pending_note(model)
    if note:
        solara.Warning(note)
    CopyBox.element(title="Python", kind="python", code=as_code.python_code(model, chosen))
    CopyBox.element(title="Scenario file: save as my-town.toml", kind="toml",
                    code=as_code.scenario_toml(model))
    CopyBox.element(title="Command (in the folder of my-town.toml)", kind="command",
                    code=as_code.run_command(model))


@solara.component
def GuidePanel(specs: list[InputSpec]):  # noqa: N802 - Solara components are named like classes
    """What every input means, from the parameter table."""
    solara.HTML(tag="p", unsafe_innerHTML=(
        "Every input, from the parameter table (<code>spiral params</code> prints the same)."))
    solara.HTML(tag="div", unsafe_innerHTML=guide_html(specs))


@solara.component
def Input(spec: InputSpec, value, on_value):  # noqa: N802 - Solara components are named like classes
    """One input: its plain-words label with the value and unit, then the control."""
    heading = f"{spec.label}: {show_value(spec, value)}"
    with solara.Column(gap="0px", classes=["spiral-input"], style={"margin-bottom": "6px"}):
        if spec.kind in ("int", "float"):
            solara.Text(heading, style={"font-size": "13px"})
            slider = solara.SliderInt if spec.kind == "int" else solara.SliderFloat
            slider("", value=value, on_value=on_value, min=spec.low, max=spec.high,
                   step=spec.step, thumb_label=False)
        elif spec.kind == "choice":
            solara.Select(spec.label, value=value, values=list(spec.choices), on_value=on_value)
        else:
            solara.Checkbox(label=spec.label, value=bool(value), on_value=on_value)
        solara.Text(f"{spec.name} · {spec.doc}", classes=["spiral-help"],
                    style={"font-size": "11px", "color": NEUTRAL, "line-height": "1.2"})


GRID = {"display": "grid", "grid-template-columns": "repeat(auto-fill, minmax(260px, 1fr))",
        "gap": "4px 24px", "align-items": "start"}


@solara.component
def InputsPanel(specs: list[InputSpec], values, seed, changed: list[str], on_reset):  # noqa: N802 - Solara components are named like classes
    """The inputs: the seed and the key inputs, then the rest by group, then the guide."""
    def setter(name):
        return lambda value: values.set({**values.value, name: value})

    solara.HTML(tag="p", unsafe_innerHTML=(
        "Change the inputs, then press <b>Reset</b>: the town starts again at month 0 with "
        "them. Each input says its value and unit; the small print is its name in code and "
        "what it does, from the parameter table."))
    if changed:
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Warning(f"Changed: {', '.join(changed)}. Press Reset to use them.",
                           classes=["spiral-changed"], dense=True)
            solara.Button("Reset with these inputs", color="primary", on_click=on_reset)
    with solara.Div(style=GRID):
        solara.InputText("Seed (whole number)", value=seed)
        for spec in specs:
            if spec.key:
                Input(spec, values.value[spec.name], setter(spec.name))
    for title, members in groups(specs):
        with solara.Details(title), solara.Div(style=GRID):
            for spec in members:
                Input(spec, values.value[spec.name], setter(spec.name))
    with solara.Details("The whole parameter table"):
        GuidePanel(specs)


def channel_label(key: str) -> str:
    """A channel switch's label: the letter, its words and its parameter."""
    return f"{key}: {CHANNEL_NAMES[key]} ({CHANNELS[key]})"

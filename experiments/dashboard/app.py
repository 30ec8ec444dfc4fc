"""The dashboard's page (``spiral explore``): one person's story in a town, on the Mesa model.

A student chooses a citizen (by clicking the network, by number, or the one just
blacklisted), blacklists them, steps month by month and watches their friends leave: the
chosen citizen is highlighted and labelled in the network, a panel shows their friends month by
month (coloured by grade, those who left dotted), and a plot shows their score and friends
against the same citizen in the ``penalty`` variant run alongside (the same town, listings and
keyed random numbers, no channel of the loop). Three switches take the loop apart: stigma (S),
the score reading friends (N), fear for one's own score (F); each rebuilds the town from month
0 with that channel off or on. The town's plots stay on their own tab; "Copy as code" gives the
Python and the ``spiral run`` command that reproduce the screen.

The page is a Solara component, :func:`Page`: every browser session (a tab, a reload) gets
its own :class:`~spiral.experiments.dashboard.town.DashboardModel`, so two students never share
a town. The inputs are generated from the parameter table
(:mod:`spiral.experiments.dashboard.inputs`); they take effect on Reset. Serve it with
``spiral explore`` (:mod:`spiral.experiments.dashboard.command`) or
``solara run spiral.experiments.dashboard.app``.
"""

from __future__ import annotations

import time

import solara
import solara.lab
from spiral.experiments.charts.palette import OKABE_ITO
from spiral.experiments.dashboard.inputs import input_specs
from spiral.experiments.dashboard.panels import (
    CodePanel,
    InputsPanel,
    NetworkPanel,
    PersonPanel,
    TownPanel,
    channel_label,
)
from spiral.experiments.dashboard.town import (
    CHANNELS,
    DEFAULT_SEED,
    MAX_MONTHS,
    DashboardModel,
    parse_seed,
    starting_params,
)
from spiral.model.errors import InputError

TITLE = "The blacklist spiral: one person's story"
PLAY_INTERVAL_S = 0.4  # pause between months while playing
NARROW_PX = 760  # below this width the page stacks its columns
TAB_NAMES = ("Person", "Town", "Inputs", "Copy as code")
COLUMNS = {"default": [12], "large": [6, 6], "gutters_dense": True}  # side by side when wide
CSS = f"""
.spiral-narrow-note {{ display: none; }}
@media (max-width: {NARROW_PX}px) {{
  .spiral-narrow-note {{ display: block; font-size: 13px; }}
  .spiral-month {{ font-size: 18px !important; }}
  .spiral-tabs .v-tab {{ min-width: 0 !important; padding: 0 7px !important; font-size: 13px; }}
  .spiral-actions .v-btn {{ height: 30px !important; padding: 0 10px !important; font-size: 12px; }}
  .spiral-tabs .v-slide-group__prev, .spiral-tabs .v-slide-group__next {{ display: none !important; }}
}}
.spiral-guide td, .spiral-guide th {{ border-bottom: 1px solid lightgrey; padding: 3px 6px;
  vertical-align: top; font-size: 12.5px; text-align: left; }}
.spiral-guide {{ border-collapse: collapse; }}
.spiral-switches .v-input--selection-controls {{ margin-top: 0 !important; padding-top: 0 !important; }}
.spiral-switches .v-messages {{ display: none !important; }}
.spiral-switches .v-input__slot {{ margin-bottom: 0 !important; }}
"""


def changed_inputs(model: DashboardModel, values: dict, seed_text: str) -> list[str]:
    """The inputs whose value differs from the town on screen (they wait for Reset)."""
    shown = model.base_params
    out = [name for name, value in values.items() if shown[name] != value]
    try:
        if parse_seed(seed_text) != model.seed:
            out.insert(0, "seed")
    except InputError:
        out.insert(0, "seed")
    return out


@solara.component
def Page():
    """The whole page, one model per browser session."""
    specs = solara.use_memo(lambda: input_specs(starting_params()), [])
    first = solara.use_memo(DashboardModel, [])
    model = solara.use_reactive(first)
    version = solara.use_reactive(0)
    values = solara.use_reactive({spec.name: spec.value for spec in specs})
    seed = solara.use_reactive(str(DEFAULT_SEED))
    chosen = solara.use_reactive(0)
    number = solara.use_reactive(0)
    wrongful = solara.use_reactive(False)
    playing = solara.use_reactive(False)
    message = solara.use_reactive("")
    town = model.value

    def refresh():
        version.set(version.value + 1)

    def reset():
        playing.set(False)
        with town.lock:  # wait for a month being played to finish
            pass
        new = DashboardModel(seed=seed.value, channels=town.channels, **values.value)
        model.set(new)
        if chosen.value is not None and chosen.value >= len(new.citizens):
            chosen.set(0)
        message.set(new.input_error or f"A new town (seed {new.seed}): month 0.")
        refresh()

    def step():
        town.step()
        message.set("")
        refresh()

    def play_loop():
        while playing.value:
            time.sleep(PLAY_INTERVAL_S)
            current = model.value
            if not playing.value:
                break
            if not current.running:
                playing.set(False)
                message.set(f"The page stops at month {MAX_MONTHS}; press Reset to start again.")
                break
            current.step()
            refresh()

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def switch(key: str, on: bool):
        playing.set(False)
        channels = town.channels + key if on else town.channels.replace(key, "")
        model.set(town.with_channels(channels))
        state = "on" if on else "off"
        message.set(f"Channel {key} {state}: the town was rebuilt from month 0 to month "
                    f"{town.tick} with the same seed and listings.")
        refresh()

    def choose(index):
        if index is None or not 0 <= int(index) < len(town.citizens):
            message.set(f"citizen = {index} is not valid: expected 0 to {len(town.citizens) - 1}")
            return
        chosen.set(int(index))
        number.set(int(index))

    def newest():
        found = town.newest_listed()
        if found is None:
            message.set("Nobody has been blacklisted yet: blacklist someone, then press Step.")
        else:
            choose(found)
            message.set(f"Following citizen {found}, the most recently blacklisted.")

    def blacklist(index):
        try:
            listed = town.blacklist(index, wrongful=wrongful.value)
        except InputError as exc:
            message.set(str(exc))
            return
        choose(listed)
        how = " by error" if wrongful.value else ""
        message.set(f"Citizen {listed} goes on the blacklist{how} in month {town.tick + 1}: "
                    "press Step.")
        refresh()

    solara.Title("The blacklist spiral")
    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    changed = changed_inputs(town, values.value, seed.value)
    with solara.Column(gap="8px", style={"padding": "6px", "max-width": "1500px"}):
        solara.HTML(tag="div", classes=["spiral-narrow-note"], unsafe_innerHTML=(
            "On a narrow screen the person's pictures come below the network: scroll down. A "
            "screen at least 760 pixels wide shows them side by side."))
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Button("Reset", color="primary", outlined=True, on_click=reset)
            solara.Button("Step", color="primary", on_click=step,
                          disabled=playing.value or not town.running)
            solara.Button("Pause" if playing.value else "Play", color="primary",
                          on_click=lambda: playing.set(not playing.value),
                          disabled=not town.running and not playing.value)
            solara.Text(f"Month {town.tick}", classes=["spiral-month"],
                        style={"font-size": "22px", "font-weight": "bold"})
            if changed:
                solara.Text(f"{len(changed)} input{'s' if len(changed) > 1 else ''} changed: "
                            "Reset to use", classes=["spiral-changed-note"],
                            style={"font-size": "13px", "color": OKABE_ITO["vermillion"]})
        solara.Text("The loop's channels: switch one off and the town is rebuilt from month 0 "
                    "without it (same seed, same listings).", style={"font-size": "13px"})
        with solara.Row(gap="0px 20px", style={"flex-wrap": "wrap"}, classes=["spiral-switches"]):
            for key in CHANNELS:
                with solara.Div(style={"margin-right": "18px"}):
                    solara.Switch(label=channel_label(key), value=key in town.channels,
                                  on_value=lambda on, key=key: switch(key, on),
                                  classes=[f"spiral-switch-{key}"])
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"},
                        classes=["spiral-actions"]):
            solara.InputInt("Citizen number", value=number, style={"max-width": "140px"},
                            on_value=choose)
            solara.Button("Follow", on_click=lambda: choose(number.value))
            solara.Button("Follow the newest listed", on_click=newest)
            solara.Button("Blacklist this citizen", color="error",
                          on_click=lambda: blacklist(chosen.value))
            solara.Button("Blacklist a random citizen", color="error", outlined=True,
                          on_click=lambda: blacklist(None))
            solara.Checkbox(label="by error (wrongful)", value=wrongful)
        if message.value:
            solara.Text(message.value, classes=["spiral-message"])
        with solara.Div(classes=["spiral-tabs"]), solara.lab.Tabs(lazy=True):
            with solara.lab.Tab(TAB_NAMES[0]), solara.ColumnsResponsive(**COLUMNS):
                NetworkPanel(town, chosen.value, version.value, choose)
                PersonPanel(town, chosen.value, version.value)
            with solara.lab.Tab(TAB_NAMES[1]), solara.ColumnsResponsive(**COLUMNS):
                TownPanel(town, version.value)
                NetworkPanel(town, chosen.value, version.value, choose)
            with solara.lab.Tab(TAB_NAMES[2]):
                InputsPanel(specs, values, seed, changed, reset)
            with solara.lab.Tab(TAB_NAMES[3]):
                CodePanel(town, chosen.value, version.value)

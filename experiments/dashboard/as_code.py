""""Copy as code": the Python and the ``spiral run`` command that reproduce the page.

The page's town is a :class:`~spiral.agents.spiral_model.SpiralModel` with the sliders' values
(the channel switches applied), a seed, and the listings made from the page, each a scripted
listing of the month after the button was pressed; its twin is the same town in the
``penalty`` variant. :func:`python_code` writes a script that rebuilds both with the same
seed and listings and steps them to the month on screen; :func:`scenario_toml` writes the same
town as a scenario file, and :func:`run_command` the ``spiral run`` line that runs it, in
which the ``spiral`` variant is the town on screen (the switches as set) and ``penalty`` its
twin. Both print or store exactly the numbers the page shows: every decision uses the same
keyed random number in the Mesa driver and the array engine.

Example:
    >>> from spiral.experiments.dashboard.town import DashboardModel
    >>> from spiral.experiments.dashboard.as_code import run_command
    >>> town = DashboardModel(seed=7, n_citizens=50, mean_degree=4)
    >>> town.advance(2)
    >>> run_command(town, "t.toml")
    'spiral run t.toml --seed 7 --ticks 2 --variants spiral,penalty --replicates 1 --out results/t'
"""

from __future__ import annotations

import json
from pathlib import PurePath

from spiral.experiments.dashboard.town import BASELINE, PENALTY_CHANGES, changed_values

MAIN_VARIANT = "spiral"  # the ladder's variant with the scenario's own parameters


def _python_value(value) -> str:
    return repr(value)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))


def _listings(model) -> list:
    """The page's listings that have happened by the month on screen."""
    return [item for item in model.listings if item.tick <= model.tick]


def months_on_screen(model) -> int:
    """The months to run (at least 1: a run of no months measures nothing)."""
    return max(model.tick, 1)


def python_code(model, citizen: int | None = None) -> str:
    """A Python script that rebuilds the page's town and its twin and steps them to now."""
    params = changed_values(model.on_screen_params())
    lines = ["# The dashboard's town, reproduced: the same seed, parameters and listings.",
             "from spiral.agents import SpiralModel",
             "from spiral.model import ScriptedListing", "",
             "params = {" + ", ".join(f"{k!r}: {_python_value(v)}" for k, v in params.items())
             + "}  # changes from the parameter table's defaults",
             "listings = [" + ", ".join(
                 f"ScriptedListing(citizen={i.citizen}, tick={i.tick}"
                 + (", wrongful=True" if i.wrongful else "") + ")" for i in _listings(model))
             + "]  # blacklisted from the page",
             f"{BASELINE} = " + "{" + ", ".join(f"{k!r}: {_python_value(v)}"
                                               for k, v in PENALTY_CHANGES.items())
             + "}  # the twin: no channel of the loop", "",
             f"town = SpiralModel(params, rng={model.seed}, listings=listings)",
             f"twin = SpiralModel({{**params, **{BASELINE}}}, rng={model.seed}, "
             "listings=listings)",
             "for model in (town, twin):",
             f"    model.run_for({model.tick})"]
    if citizen is not None:
        lines += ["for name, model in ((\"town\", town), (\"penalty twin\", twin)):",
                  f"    person = model.citizens[{int(citizen)}]",
                  "    print(f\"{name}: citizen {person.index}, score {person.score:.0f}, \"",
                  "          f\"grade {person.grade_letter}, {person.degree} friends, \"",
                  "          f\"{'listed' if person.listed else 'not listed'}\")"]
    else:
        lines += ["print(town.datacollector.get_model_vars_dataframe().tail())"]
    return "\n".join(lines) + "\n"


def scenario_toml(model, name: str = "my-town") -> str:
    """The page's town as a scenario file for ``spiral run``."""
    params = changed_values(model.on_screen_params())
    lines = [f"# {name}.toml: the dashboard's town (seed {model.seed}, month {model.tick}).",
             f"# Variant '{MAIN_VARIANT}' is the town on screen (the channel switches as set: "
             f"{model.describe_channels()});",
             f"# variant '{BASELINE}' is its twin with no channel of the loop.",
             f"name = {json.dumps(name)}",
             "description = \"The town of the dashboard (spiral explore), copied as code.\"",
             f"seed = {model.seed}", "", "[params]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in params.items()]
    for item in _listings(model):
        lines += ["", "[[listings]]", f"citizen = {item.citizen}", f"tick = {item.tick}",
                  f"wrongful = {_toml_value(item.wrongful)}"]
    return "\n".join(lines) + "\n"


def run_command(model, path: str = "my-town.toml") -> str:
    """The ``spiral run`` line that runs :func:`scenario_toml` saved at ``path``."""
    stem = PurePath(path).stem
    return (f"spiral run {path} --seed {model.seed} --ticks {months_on_screen(model)} "
            f"--variants {MAIN_VARIANT},{BASELINE} --replicates 1 --out results/{stem}")


def pending_note(model) -> str:
    """Says which of the page's listings the code leaves out (they have not happened yet)."""
    waiting = [item.citizen for item in model.listings if item.tick > model.tick]
    if not waiting:
        return ""
    who = ", ".join(str(i) for i in waiting)
    return (f"Citizen {who} goes on the list next month: press Step, and the code includes "
            "that listing.")

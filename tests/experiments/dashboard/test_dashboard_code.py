"""'Copy as code' reproduces the page: the Python and the `spiral run` scenario give its numbers."""

import contextlib
import io
import shlex
import tomllib

from spiral.experiments import run
from spiral.experiments.cli import build_parser
from spiral.experiments.dashboard import as_code
from spiral.experiments.dashboard.town import DashboardModel


def page_town():
    """A town as a student leaves it: listings, a switch off, some months stepped."""
    model = DashboardModel(seed=21, n_citizens=90, fear_mean=0.7, hearing_prob=0.6)
    model.advance(2)
    model.blacklist(5)
    model.blacklist(17, wrongful=True)
    model.advance(7)
    model = model.with_channels("NF")
    model.blacklist(30)  # pending: not yet on screen
    return model


def test_python_code_prints_what_the_page_shows():
    model = page_town()
    code = as_code.python_code(model, 5)
    assert "ScriptedListing(citizen=5, tick=3)" in code and "wrongful=True" in code
    assert "citizen=30" not in code and "'stigma_strength': 0.0" in code
    out = io.StringIO()
    namespace: dict = {}
    with contextlib.redirect_stdout(out):
        exec(compile(code, "copied.py", "exec"), namespace)  # the code under test
    town, twin = namespace["town"], namespace["twin"]
    assert [c.score for c in town.citizens] == model.frames[-1].score.tolist()
    assert [c.degree for c in twin.citizens] == model.twin_frames[-1].degree.tolist()
    frame = model.frames[-1]
    assert f"town: citizen 5, score {frame.score[5]:.0f}," in out.getvalue()
    state = "listed" if frame.listed[5] else "not listed"
    assert f"{int(frame.degree[5])} friends, {state}" in out.getvalue()


def test_scenario_file_and_command_reproduce_the_page(tmp_path):
    model = page_town()
    path = tmp_path / "my-town.toml"
    path.write_text(as_code.scenario_toml(model), encoding="utf-8")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["seed"] == 21 and data["params"]["stigma_strength"] == 0.0
    assert [(i["citizen"], i["tick"], i["wrongful"]) for i in data["listings"]] == [
        (5, 3, False), (17, 3, True)]
    command = as_code.run_command(model, str(path))
    words = shlex.split(command)
    args = build_parser().parse_args(words[1:])
    assert args.scenario == str(path) and args.seed == "21" and args.ticks == str(model.tick)
    assert args.variants == "spiral,penalty" and args.replicates == "1"
    result = run(str(path), seed=int(args.seed), changes={"ticks": int(args.ticks)},
                 variants=args.variants.split(",")).results[0]
    for variant, frame in (("spiral", model.frames[-1]), ("penalty", model.twin_frames[-1])):
        citizens = result.variants[variant].citizens.set_index("citizen")
        assert citizens["final_score"].tolist() == frame.score.tolist(), variant
        assert citizens["final_contacts"].tolist() == frame.degree.tolist(), variant


def test_pending_listings_are_named():
    model = page_town()
    assert "Citizen 30 goes on the list next month" in as_code.pending_note(model)
    model.step()
    assert as_code.pending_note(model) == ""
    assert "ScriptedListing(citizen=30, tick=10)" in as_code.python_code(model)

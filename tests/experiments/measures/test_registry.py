"""The measure registry is the one source: every key a run writes is declared and documented."""

import pytest
from spiral.experiments.measures.registry import BY_NAME, MEASURES, codebook, split_key
from spiral.experiments.runs.runner import run_scenario
from spiral.experiments.runs.scenario import load_scenario
from spiral.experiments.tools import codebook as codebook_tool


@pytest.fixture(scope="module")
def summary():
    scenario = load_scenario("wrongful-listing").with_changes(n_citizens=400, ticks=48)
    return run_scenario(scenario, seed=3).summary


def test_every_summary_key_is_a_declared_measure(summary):
    for key in summary:
        measure, label = split_key(key)
        assert measure in BY_NAME and label


def test_every_declared_measure_appears_in_a_run(summary):
    written = {split_key(k)[0] for k in summary}
    assert written == set(BY_NAME)


def test_declarations_are_complete_and_unique():
    assert len(BY_NAME) == len(MEASURES)
    for m in MEASURES:
        assert m.definition and m.unit and m.sign and m.against and m.episodes
        assert m.kind in ("variant", "contrast", "decomposition", "paired")


def test_docs_codebook_is_generated_from_the_registry():
    assert codebook_tool.main(["--check"]) == 0
    assert all(f"`{m.name}`" in codebook() for m in MEASURES)


def test_undeclared_keys_are_refused():
    with pytest.raises(KeyError):
        split_key("not_a_measure__spiral")
    with pytest.raises(KeyError):
        split_key("score_loss_12m")

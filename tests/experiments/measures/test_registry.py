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


def test_paired_spillover_refuses_citizens_missing_from_the_baseline():
    import pandas as pd
    from spiral.experiments.measures.spillover import paired_spillover

    cols = dict(final_score=[600.0, 610.0, 620.0], final_contacts=[5, 6, 7],
                final_grade=["B", "B", "B"], ever_listed=[False] * 3,
                friend_of_listed=[True] * 3, hops_to_listed=[1, 1, 1])
    main = pd.DataFrame({"citizen": [0, 1, 2], **cols})
    base = pd.DataFrame({"citizen": [0, 1, 5], **cols})
    with pytest.raises(ValueError, match="missing"):
        paired_spillover(main, base)
    shuffled = main.iloc[[2, 0, 1]].reset_index(drop=True)
    assert paired_spillover(main, shuffled)["friends_score_gap"] == 0.0

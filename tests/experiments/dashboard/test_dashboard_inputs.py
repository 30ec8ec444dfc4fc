"""The dashboard's inputs come from the parameter table: plain-words labels, units, ranges."""

import re

from spiral.experiments.dashboard.inputs import (
    HIDDEN_PARAMS,
    InputSpec,
    decimals,
    guide_html,
    input_specs,
    plain_label,
    show_value,
    slider_range,
)
from spiral.experiments.dashboard.town import starting_params
from spiral.model.params import PARAMS


def specs():
    return {s.name: s for s in input_specs(starting_params())}


def test_every_input_comes_from_the_table():
    made = specs()
    assert set(made) == {n for n, p in PARAMS.items()
                         if n not in HIDDEN_PARAMS and p.kind != "str"}
    for name, spec in made.items():
        p = PARAMS[name]
        assert spec.unit == p.unit and spec.doc == p.doc and spec.kind == p.kind
        if p.kind in ("int", "float"):
            assert p.low <= spec.low <= spec.value <= spec.high <= p.high, name
    assert "file" not in made["network"].choices
    assert made["unfriend_rule"].choices == PARAMS["unfriend_rule"].choices
    # a tiny rate gets a slider fine enough to set it
    rate = made["listing_rate"]
    assert rate.step <= PARAMS["listing_rate"].default / 5 and rate.high < 1


def test_labels_are_plain_words_not_identifiers():
    for name, spec in specs().items():
        assert spec.label and spec.label != name, name
        # a code name appears only where the table's text names another input
        words = {w.strip("'.,;:") for w in spec.label.split() if "_" in w}
        assert words <= set(PARAMS) - {name}, spec.label
        assert spec.label.count("(") == spec.label.count(")"), spec.label
        assert not re.search(r"\b(PNAS|PRL|FTC)\b", spec.label), spec.label
    made = specs()
    assert made["fear_mean"].label == "Mean fear: how strongly citizens react to risky contacts"
    assert made["stigma_strength"].label == "Channel S (stigma)"
    assert made["hearing_prob"].label == "Chance per month that a friend hears of a listing"


def test_a_label_field_in_the_table_wins():
    class WithLabel:
        label = "Fear"
        doc = "Anything."

    assert plain_label(WithLabel()) == "Fear"


def test_values_show_with_their_units():
    made = specs()
    assert show_value(made["fear_mean"], 0.5) == "0.50 (0-1)"
    assert show_value(made["listing_penalty"], 150.0) == "150 score points"
    assert show_value(made["n_citizens"], 1000) == "1,000 citizens"
    assert show_value(made["listing_rate"], 0.0007) == "0.0007 per month"
    assert show_value(made["denied_services"], True) == "yes"
    assert show_value(made["network"], "karate") == "karate"
    assert decimals(made["n_citizens"]) == 0


def test_slider_range_includes_the_value_and_caps_large_ranges():
    assert slider_range(PARAMS["n_citizens"], 200) == (2.0, 1000.0, 1.0)
    assert slider_range(PARAMS["n_citizens"], 5000)[1] == 5000.0
    low, high, step = slider_range(PARAMS["wrongful_rate"], 0.00004)
    assert low == 0 and 0.00004 < high < 0.01 and step <= 0.00004 / 4


def test_guide_lists_every_input_with_its_source():
    made = list(specs().values())
    page = guide_html(made)
    for spec in made:
        assert f"<td>{spec.name}</td>" in page
    assert page.count("<tr>") == len(made) + 1
    assert isinstance(made[0], InputSpec)

"""The parameter table: one declaration per parameter drives validation and messages."""

import pytest
from spiral.model.params import (
    PARAMS,
    ParameterError,
    Params,
    numeric_params,
    parse_assignment,
    validate_value,
)


def test_every_parameter_is_fully_declared():
    for p in PARAMS.values():
        assert p.doc and p.source and p.group, p.name
        if p.kind in ("int", "float"):
            assert p.low is not None and p.high is not None and p.low <= p.default <= p.high
        if p.kind == "choice":
            assert p.default in p.choices
        assert validate_value(p.name, p.default) == p.default


def test_defaults_cite_a_source_or_say_assumption():
    sourced = {p.name for p in PARAMS.values() if p.source != "assumption"}
    # the seed article's point values and the court's two-year term are sourced
    assert {"elder_care_points", "help_poor_points", "media_report_points",
            "drunk_driving_points", "bribery_points", "initial_points", "term_months"} <= sourced
    assert PARAMS["elder_care_points"].default == 50
    assert PARAMS["help_poor_points"].default == 10
    assert PARAMS["media_report_points"].default == 15
    assert PARAMS["drunk_driving_points"].default == -50
    assert PARAMS["bribery_points"].default == -50
    assert PARAMS["initial_points"].default == 1000
    assert PARAMS["term_months"].default == 24


def test_unknown_name_suggests_close_names():
    with pytest.raises(ParameterError, match="did you mean 'network_weight'"):
        Params(netwrk_weight=0.5)


def test_out_of_range_names_field_value_and_range():
    with pytest.raises(ParameterError) as err:
        Params(hearing_prob=1.5)
    msg = str(err.value)
    assert "hearing_prob" in msg and "1.5" in msg and "0 to 1" in msg


@pytest.mark.parametrize("name, value", [("n_citizens", 2.5), ("n_citizens", "many"),
                                         ("denied_services", "maybe"), ("fear_mean", True),
                                         ("unfriend_rule", "lsited"), ("network", 3)])
def test_wrong_types_are_rejected(name, value):
    with pytest.raises(ParameterError, match=name):
        validate_value(name, value)


def test_strings_from_the_command_line_are_parsed():
    assert parse_assignment("n_citizens=300") == ("n_citizens", 300)
    assert parse_assignment("fear_mean = 0.25") == ("fear_mean", 0.25)
    assert parse_assignment("denied_services=false") == ("denied_services", False)
    assert parse_assignment("rewire=homophily") == ("rewire", "homophily")
    with pytest.raises(ParameterError, match="NAME=VALUE"):
        parse_assignment("fear_mean")


def test_cross_field_consistency_is_checked():
    with pytest.raises(ParameterError, match="grade_a >= grade_b >= grade_c"):
        Params(grade_a=600.0, grade_b=650.0)
    with pytest.raises(ParameterError, match="add up"):
        Params(drunk_driving_rate=0.6, bribery_rate=0.6)
    with pytest.raises(ParameterError, match="network_file"):
        Params(network="file")


def test_params_are_immutable_and_replace_validates():
    p = Params()
    with pytest.raises(AttributeError):
        p.fear_mean = 0.9
    q = p.replace(fear_mean=0.9)
    assert q.fear_mean == 0.9 and p.fear_mean == PARAMS["fear_mean"].default
    with pytest.raises(ParameterError):
        p.replace(fear_mean=9)


def test_numeric_params_are_the_sliders_and_sweep_candidates():
    names = {p.name for p in numeric_params()}
    assert {"fear_mean", "network_weight", "listing_rate"} <= names
    assert "unfriend_rule" not in names

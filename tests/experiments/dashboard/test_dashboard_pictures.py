"""What the page draws: the network with the chosen citizen, the ego panel, the paired plot."""

import numpy as np
import pytest
from spiral.experiments.charts.palette import CUT_TIE, GRADE_COLOURS, LISTED_RING
from spiral.experiments.dashboard import figures
from spiral.experiments.dashboard.panels import legend_html, person_summary
from spiral.experiments.dashboard.town import DashboardModel
from spiral.experiments.dashboard.widgets import HIGHLIGHT, network_picture, tooltip


@pytest.fixture(scope="module")
def town():
    model = DashboardModel(seed=4, n_citizens=70, mean_degree=8.0, hearing_prob=1.0)
    model.advance(2)
    model.blacklist(6)
    model.advance(7)
    model.blacklist(9)
    return model


def test_network_highlights_and_labels_the_chosen_citizen(town):
    picture = network_picture(town, 6)
    nodes = {node["i"]: node for node in picture["nodes"]}
    assert len(nodes) == 70 and picture["nodes"][-1]["i"] == 6  # drawn on top
    assert nodes[6]["stroke"] == HIGHLIGHT and nodes[6]["r"] > nodes[0]["r"]
    assert picture["label"]["text"] == "Citizen 6 (listed)"
    assert nodes[9]["dash"] and nodes[9]["stroke"] == LISTED_RING  # listed next month
    assert picture["chosen_ties"].count("M") == town.frames[-1].degree[6]
    assert picture["cuts"]  # friends left citizen 6 in the last months
    frame = town.frames[-1]
    grade = "ABCD"[int(frame.grade[0])]
    assert nodes[0]["fill"] == GRADE_COLOURS[grade]
    assert nodes[0]["tip"].startswith(f"Citizen 0 · grade {grade} · score {frame.score[0]:.0f}")
    assert network_picture(town, None)["label"] is None


def test_hover_text_says_number_grade_score_and_listing(town):
    frame = town.frames[-1]
    text = tooltip(frame, 6, set())
    assert text.startswith(f"Citizen 6 · grade {'ABCD'[int(frame.grade[6])]} · score "
                           f"{frame.score[6]:.0f}") and text.endswith("on the blacklist")
    assert tooltip(frame, 9, {9}).endswith("listed next month")


def test_ego_panel_shows_friends_leaving_by_month(town):
    months, order, cells = figures.ego_table(town, 6)
    assert months[0] == 2 and months[-1] == town.tick  # the month before the listing, now
    first = town.frames[2].friends(6)
    assert set(order[:len(first)]) == first
    cut_now = [f for f in order if cells[(months[-1], f)][0] == "cut"]
    assert cut_now and set(cut_now) == first - town.frames[-1].friends(6)
    for (month, friend), (_, grade) in cells.items():
        assert grade == "ABCD"[int(town.frames[month].grade[friend])]


def test_figures_render(town):
    for fig in (figures.ego_figure(town, 6), figures.pair_figure(town, 6),
                figures.town_figure(town), figures.ego_figure(town, 0)):
        assert figures.png(fig, dpi=40)[:4] == b"\x89PNG"
    title = figures.pair_figure(town, 6)._suptitle.get_text()
    s = town.series(6)
    assert f"score {s['score'][-1]:.0f} here, {s['twin_score'][-1]:.0f} with the penalty" in title


def test_summary_and_legend_say_what_is_shown(town):
    text = person_summary(town, 6)
    assert text.startswith("Citizen 6: grade") and "on the blacklist since month 3" in text
    assert "With the penalty alone" in text
    assert "blacklisted next month" in person_summary(town, 9)
    legend = legend_html()
    for colour in (*GRADE_COLOURS.values(), LISTED_RING, HIGHLIGHT, CUT_TIE):
        assert colour in legend
    assert np.all([g in legend for g in "ABCD"])

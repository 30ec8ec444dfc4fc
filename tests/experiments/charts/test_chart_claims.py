"""The words of every chart follow the numbers: contradicting data change the headline."""

from __future__ import annotations

import pandas as pd
from spiral.experiments.charts import claims, stories
from spiral.experiments.charts.data import GROUPS, EgoNetwork, ScarCase

CLEAR = {"n": 10, "mean": 57.0, "sd": 3.0, "ci_low": 55.0, "ci_high": 60.0}
ZERO = {"n": 10, "mean": 1.0, "sd": 3.0, "ci_low": -1.0, "ci_high": 3.0}
NEG = {"n": 10, "mean": -5.0, "sd": 1.0, "ci_low": -6.0, "ci_high": -4.0}
FEW = {"n": 3, "mean": 57.0, "sd": 3.0, "ci_low": 50.0, "ci_high": 64.0}


def bands(main_score, base_contacts=None):
    rows = []
    for m, v in enumerate(main_score):
        for variant, metric, value in (("spiral", "score", v), ("penalty", "score", 600),
                                       ("spiral", "contacts", 5),
                                       ("penalty", "contacts",
                                        10 if base_contacts is None else base_contacts[m])):
            rows.append({"variant": variant, "metric": metric, "months_since_listing": m - 1,
                         "median": value, "low": value, "high": value, "replicates": 10,
                         "episodes": 100})
    return pd.DataFrame(rows)


def spiral(gap, scores=(600, 500, 480, 460, 450), enough=True, **kw):
    return claims.spiral_words(bands(scores, **kw), main="spiral", baseline="penalty", gap=gap,
                               replicates=10 if enough else 3, enough=enough, episodes=100,
                               source="S")


def test_spiral_headline_names_the_gap_only_when_its_interval_excludes_zero():
    words, alt = spiral(CLEAR)
    assert "57 more points" in words["title"]
    assert "a score that reads friends, friends who shun and fear" in words["title"]
    assert "the listing penalty alone" in words["title"]
    assert words["subtitle"].startswith("Simulated.")
    assert "55 to 60" in alt
    assert "no clear difference" in spiral(ZERO)[0]["title"]
    assert "fewer points" in spiral(NEG)[0]["title"]


def test_spiral_with_few_replicates_says_so_and_claims_no_interval():
    words, _ = spiral(FEW, enough=False)
    assert "in 3 replicates" in words["title"]
    assert "too few for a 95% interval" in words["subtitle"]


def test_a_line_that_recovers_is_not_called_falling():
    falling, _ = spiral(CLEAR, scores=(600, 500, 480, 460, 450))
    assert "falls from 500 to 450" in falling["subtitle"]
    recovering, _ = spiral(CLEAR, scores=(600, 500, 450, 520, 600))
    assert "to a low of 450 in month 1 and recovers to 600" in recovering["subtitle"]
    rising, _ = spiral(CLEAR, scores=(600, 500, 510, 520, 530))
    assert "rises from 500 to 530" in rising["subtitle"]


def test_spiral_says_when_the_baseline_keeps_friends_by_design():
    assert "friends stay by design" in spiral(CLEAR)[0]["subtitle"]
    moving = spiral(CLEAR, base_contacts=(10, 9, 8, 7, 6))[0]["subtitle"]
    assert "by design" not in moving


def association(gap):
    rows = [{"variant": v, "group": g, "citizens": 100, "mean_score_change": -3.0,
             "mean_contact_change": -0.5} for v in ("spiral", "penalty") for g in GROUPS]
    return claims.association_words(pd.DataFrame(rows), main="spiral", baseline="penalty",
                                    gap=gap, replicates=10, enough=True, source="S")[0]


def test_association_headline_follows_the_interval():
    assert "fall 5.0 points behind" in association(NEG)["title"]
    assert "No clear score gap" in association(ZERO)["title"]
    assert "gain 57.0 points more" in association(CLEAR)["title"]


def grades(gap):
    rows = [{"variant": v, "month": m, "grade_D_percent": 2.0 + m, "low": 0, "high": 9,
             "replicates": 10} for v in ("spiral", "penalty") for m in range(4)]
    return claims.grades_words(pd.DataFrame(rows), main="spiral", baseline="penalty", gap=gap,
                               replicates=10, enough=True, source="S")[0]


def test_grades_headline_follows_the_interval():
    assert "percentage points more" in grades(CLEAR)["title"]
    assert "no clear difference" in grades(ZERO)["title"]
    assert "percentage points less" in grades(NEG)["title"]


def test_decomposition_names_the_largest_channel_only_when_clear():
    def table(n_low):
        return pd.DataFrame([
            {"part": "shapley-S", "n": 10, "mean": 10.0, "sd": 1, "ci_low": 9, "ci_high": 11},
            {"part": "shapley-N", "n": 10, "mean": 32.0, "sd": 1, "ci_low": n_low,
             "ci_high": 40},
            {"part": "shapley-F", "n": 10, "mean": 15.0, "sd": 1, "ci_low": 14, "ci_high": 16},
            {"part": "total", "n": 10, "mean": 57.0, "sd": 1, "ci_low": 55, "ci_high": 60}])
    kw = dict(main="spiral", baseline="penalty", replicates=10, enough=True, source="S")
    clear = stories.decomposition_words(table(30), **kw)[0]["title"]
    assert "32 of 57 points (56%)" in clear and "reads friends" in clear
    assert "no channel clearly larger" in stories.decomposition_words(table(-5), **kw)[0][
        "title"]


def test_reported_weight_words_follow_the_interval():
    def table(iv):
        return pd.DataFrame([{"network_weight": 0.05, **iv},
                             {"network_weight": 0.3, **CLEAR}])
    kw = dict(reported=0.05, default=0.3, replicates=10, enough=True, source="S")
    assert "still costs 57" in stories.weight_words(table(CLEAR), **kw)[0]["title"]
    assert "no clear extra loss" in stories.weight_words(table(ZERO), **kw)[0]["title"]
    assert "not the model's weight" in stories.weight_words(table(CLEAR), **kw)[0]["subtitle"]


def test_ego_and_scar_say_how_they_were_chosen_and_label_extremes():
    rows = [{"month": 10 + m, "months_since_listing": m, "citizen": c, "role": role,
             "tie": tie, "grade": "C"}
            for m, kept in ((0, 5), (24, 2)) for c, role, tie in
            [(1, "blacklisted", "ego")] + [(10 + k, "friend", "kept" if k < kept else "cut")
                                           for k in range(5)]]
    ego = EgoNetwork(1, 10, list(range(10, 15)), pd.DataFrame(rows), "tracked")
    facts = {"median_lost_share": 0.6, "case_lost_share": 0.6, "percentile": 50.0,
             "episodes": 88, "extreme": False, "replicate": 0}
    words, _ = stories.ego_words(ego, facts, "S")
    assert "3 of 5 friends gone" in words["title"] and "median" in words["subtitle"]
    assert "extreme" not in words["title"]
    assert "(extreme case)" in stories.ego_words(ego, facts | {"extreme": True}, "S")[0]["title"]
    table = pd.DataFrame([{"month": m, "role": role, "citizen": c, "score": s - (40 if
                          role == "wrongfully listed" and m > 2 else 0), "contacts": 5,
                           "listed": False}
                          for m in range(0, 20) for role, c, s in
                          (("wrongfully listed", 1, 600), ("never-listed twin", 2, 600))])
    typical = {"median_months_listed": 4, "cases": 9, "extreme": False,
               "longest_months_listed": 30}
    scar = ScarCase(1, 2, 3, 6, table, typical)
    words, _ = stories.scar_words(scar, "S")
    assert "40 points behind" in words["title"] and "closest to the median" in words["subtitle"]
    level = ScarCase(1, 2, 3, 6, table.assign(score=600), typical)
    assert "level with a twin" in stories.scar_words(level, "S")[0]["title"]


def test_the_real_list_never_calls_a_cumulative_count_the_number_listed_now():
    from importlib import resources

    path = resources.files("spiral.experiments") / "data" / "court_list.csv"
    table = pd.read_csv(path, dtype={"as_of": str, "published": str})
    assert table[["count", "kind", "counts_what", "source_title", "publisher", "url",
                  "published"]].notna().all().all()
    words, alt = stories.court_words(table, "S")
    assert "cumulative" in words["title"] and "not the number listed now" in words["title"]
    assert words["subtitle"].startswith("Real published counts, not simulated")
    assert "12,880,000" in alt

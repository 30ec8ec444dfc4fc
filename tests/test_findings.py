"""The README's headline numbers come from one command and agree with it."""

import pandas as pd
import pytest
from spiral.experiments.tools import findings


@pytest.mark.slow
def test_readme_findings_agree_with_the_command():
    assert findings.main(["--check"]) == 0


def _table(rows):
    return pd.DataFrame(rows, columns=["measure", "variant", "n", "mean", "sd", "ci_low",
                                       "ci_high"])


def _rows(extra_low, extra_high):
    base = [("score_loss_12m", "spiral", 10, 170.0, 5, 165.0, 175.0),
            ("score_loss_12m", "penalty", 10, 115.0, 5, 110.0, 120.0),
            ("score_loss_12m", "spiral-penalty", 10, (extra_low + extra_high) / 2, 5,
             extra_low, extra_high),
            ("contact_loss_12m", "spiral", 10, 0.8, 0.1, 0.78, 0.82),
            ("isolated_share", "spiral", 10, 0.5, 0.1, 0.45, 0.55),
            ("contact_loss_12m", "spiral-chain", 10, -0.01, 0.05, -0.05, 0.03)]
    base += [("score_loss_12m", f"shapley-{c}", 10, v, 1, v - 1, v + 1)
             for c, v in zip("SNF", (10.0, 30.0, 15.0), strict=True)]
    return _table(base)


def test_words_follow_the_numbers():
    text = findings.findings_text(_rows(50.0, 60.0), replicates=10)
    assert "55 (95% interval 50 to 60) points more" in text and "Shapley" in text
    vague = findings.findings_text(_rows(-5.0, 15.0), replicates=10)
    assert "cannot be told from zero" in vague and "Shapley" not in vague
    assert "loop the article describes" not in vague  # the fear contrast's interval has 0

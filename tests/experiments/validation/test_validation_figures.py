"""The validation figures and the sensitivity bar charts draw on Figure objects: the user's
matplotlib backend and pyplot figures are left alone, and no library module picks a backend.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pandas as pd
from spiral.experiments.sweeps.sensitivity import bar_chart
from spiral.experiments.validation.figures import cascade_window_figure, prevalence_figure

ROOT = Path(__file__).resolve().parents[3]
LIBRARY = ["experiments/sweeps", "experiments/validation/figures.py",
           "experiments/validation/command.py", "experiments/runs", "experiments/common"]


def _pyplot_state():
    import matplotlib.pyplot as plt

    return matplotlib.get_backend(), plt.get_fignums(), dict(matplotlib.rcParams)


def test_figures_leave_global_state_alone(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    # the analytic curves are slow to evaluate and beside the point here
    monkeypatch.setattr("spiral.experiments.validation.theory.cascade_frequency",
                        lambda z, phi: min(z / 10, 1.0))
    monkeypatch.setattr("spiral.experiments.validation.theory.cascade_size",
                        lambda z, phi: min(z / 8, 1.0))

    mine = plt.figure()  # a figure of the user's, which must stay open
    before = _pyplot_state()
    watts = pd.DataFrame({"phi": [0.18] * 3, "mean_degree": [1.0, 3.0, 7.0],
                          "frequency": [0.0, 0.5, 0.1], "frequency_low99": [0.0, 0.4, 0.05],
                          "frequency_high99": [0.05, 0.6, 0.2],
                          "mean_global_size": [0.0, 0.9, 0.95]})
    gross = pd.DataFrame({"rewiring": [0.2] * 4, "fade": [0.002] * 4,
                          "start_share": [0.03, 0.03, 0.8, 0.8],
                          "spread": [0.005, 0.02, 0.005, 0.02],
                          "final_prevalence": [0.0, 0.6, 0.5, 0.7]})
    indices = pd.DataFrame({"measure": ["y", "y"], "parameter": ["a", "b"], "S1": [0.6, 0.1],
                            "S1_conf": [0.1, 0.1], "ST": [0.7, 0.2], "ST_conf": [0.1, 0.1]})
    cascade_window_figure(watts, tmp_path / "figures" / "cascade_window")
    prevalence_figure(gross, tmp_path / "figures" / "prevalence")
    written = bar_chart(indices, tmp_path / "sensitivity_sobol",
                        bars=(("S1", "S1_conf", "S1"), ("ST", "ST_conf", "ST")), title="t")
    assert _pyplot_state() == before and plt.fignum_exists(mine.number)
    plt.close(mine)
    for name in ("figures/cascade_window.png", "figures/cascade_window.svg",
                 "figures/cascade_window.csv", "figures/prevalence.png",
                 "sensitivity_sobol.png", "sensitivity_sobol.svg"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert [p.name for p in written] == ["sensitivity_sobol.png", "sensitivity_sobol.svg"]
    assert not list(tmp_path.rglob(".*"))  # no temporary files left


def test_no_backend_chosen_in_library_code():
    for entry in LIBRARY:
        base = ROOT / entry
        for path in ([base] if base.is_file() else sorted(base.rglob("*.py"))):
            text = path.read_text(encoding="utf-8")
            assert "matplotlib.use(" not in text, path
            assert "import matplotlib.pyplot" not in text, path
            assert "from matplotlib import pyplot" not in text, path

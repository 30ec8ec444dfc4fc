"""Dose-response of the two unfriending channels: losses of the listed against each strength.

    python -m spiral.experiments.tools.dose_response            # rewrite the docs' figure and table
    python -m spiral.experiments.tools.dose_response --check    # exit 1 if docs/ODD.md drifted

For each strength (stigma_strength, fear_strength) over a grid, the other at its default, the
default scenario runs its ``unlisted`` and ``spiral`` variants (:data:`REPLICATES` replicates,
seed :data:`SEED`); the table gives the contact and score loss of the listed 12 months after
listing against the unlisted twin, with 95% intervals. It is how the default strengths were
chosen and what a different choice would change (docs/ODD.md, "Default strengths").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SEED = 2027
REPLICATES = 3
GRID = (0.0, 0.1, 0.3, 0.5, 0.7, 1.0)
STRENGTHS = ("stigma_strength", "fear_strength")
ROOT = Path(__file__).resolve().parents[2]
ODD = ROOT / "docs" / "ODD.md"
FIGURE = ROOT / "docs" / "images" / "dose-response.png"
BEGIN, END = "<!-- BEGIN DOSE-RESPONSE (tools/dose_response.py) -->", "<!-- END DOSE-RESPONSE -->"


def curve(*, grid=GRID, replicates: int = REPLICATES, seed: int = SEED, workers: int = 2):
    """The dose-response table: one row per strength and value, with 95% intervals."""
    import pandas as pd
    from spiral.experiments.runs.replicates import run_replicates
    from spiral.experiments.runs.scenario import load_scenario

    base = load_scenario("zhima-spiral").with_variants(["unlisted", "spiral"])
    rows = []
    for name in STRENGTHS:
        for value in grid:
            runs = run_replicates(base.with_changes(**{name: value}), seed=seed,
                                  replicates=replicates, workers=workers, collect=False)
            table = runs.summary
            row = {"strength": name, "value": value}
            for measure in ("contact_loss_12m", "score_loss_12m"):
                hit = table[(table["measure"] == measure) & (table["variant"] == "spiral")]
                row.update({f"{measure}": hit["mean"].iloc[0],
                            f"{measure}_low": hit["ci_low"].iloc[0],
                            f"{measure}_high": hit["ci_high"].iloc[0]})
            rows.append(row)
    return pd.DataFrame(rows)


def markdown(table) -> str:
    """The table as Markdown (contact loss in %, score loss in points, 95% intervals)."""
    lines = ["| strength | value | contact loss at 12 months (%) | score loss at 12 months "
             "(points) |", "|---|---|---|---|"]
    for _, r in table.iterrows():
        lines.append(
            f"| `{r['strength']}` | {r['value']:.1f} | {100 * r['contact_loss_12m']:.1f} "
            f"[{100 * r['contact_loss_12m_low']:.1f}, {100 * r['contact_loss_12m_high']:.1f}] | "
            f"{r['score_loss_12m']:.1f} [{r['score_loss_12m_low']:.1f}, "
            f"{r['score_loss_12m_high']:.1f}] |")
    return "\n".join(lines)


def figure(table, path: Path) -> None:
    """Two panels (contact loss, score loss) with a line per strength and interval bands."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from spiral.experiments.charts.palette import OKABE_ITO

    fig = Figure(figsize=(8, 3.4), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    colours = {"stigma_strength": OKABE_ITO["blue"], "fear_strength": OKABE_ITO["vermillion"]}
    for ax, (measure, scale, label) in zip(axes, (
            ("contact_loss_12m", 100, "Contacts lost at 12 months (%)"),
            ("score_loss_12m", 1, "Points lost at 12 months")), strict=True):
        for name in STRENGTHS:
            part = table[table["strength"] == name]
            x = part["value"].to_numpy()
            ax.plot(x, part[measure] * scale, color=colours[name], lw=2, label=name)
            ax.fill_between(x, part[f"{measure}_low"] * scale, part[f"{measure}_high"] * scale,
                            color=colours[name], alpha=0.2, lw=0)
        ax.set_xlabel("strength (the other at its default)")
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
    axes[0].legend(frameon=False, fontsize=8)
    fig.suptitle("Simulated: the listed against their unlisted twin, zhima-spiral, "
                 f"{REPLICATES} replicates, 95% intervals", fontsize=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=110, metadata={"Software": None})


def render(text: str, block: str) -> str:
    """``text`` with the generated dose-response block replaced."""
    head, found, rest = text.partition(BEGIN)
    if not found:
        raise ValueError(f"{ODD} has no {BEGIN} marker")
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{block}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    """Regenerate the dose-response table and figure of docs/ODD.md, or check the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/ODD.md drifted")
    args = parser.parse_args(argv)
    table = curve()
    text = ODD.read_text(encoding="utf-8")
    new = render(text, markdown(table))
    if args.check:
        return 0 if new == text else 1
    ODD.write_text(new, encoding="utf-8")
    figure(table, FIGURE)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Reproduce published results (Watts 2002, Gross et al. 2006) and the analytic checks.

``spiral validate [--quick | --full] [--out DIR]`` configures the model as the two canonical
network models, runs them, and prints a table of model against literature (case, literature
value, model value, tolerance, pass/fail). It writes the table (``checks.csv``,
``checks.md``), the data (``watts.csv``, ``gross.csv``), the figures (``figures/
cascade_window.png/.svg``, ``figures/prevalence.png/.svg``) and a ``manifest.json`` to the
output folder, under a temporary name renamed when complete. A non-empty ``--out`` is refused
unless it holds a previous validation and ``--overwrite`` is given (then only the files that
validation wrote are replaced). The exit status is 1 if any check fails.

``--quick`` (the default) runs reduced sizes in a few minutes; ``--full`` runs the papers'
sizes (Watts: n = 10,000 and 1,000 realisations per point; Gross: N = 10,000) and takes about
70 minutes on one core (its results: docs/ODD.md, section 8).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

KIND = "validation"


def configure(parser) -> None:
    """Add the command's options to an argparse parser."""
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="plan", action="store_const", const="quick",
                      help="reduced sizes, a few minutes (default)")
    size.add_argument("--full", dest="plan", action="store_const", const="full",
                      help="the papers' sizes (n = 10,000; about 70 minutes)")
    parser.set_defaults(plan="quick")
    parser.add_argument("--out", type=Path,
                        help="output folder (default: results/validate-<plan>-<UTC time>)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a previous validation in --out (only the files it wrote)")
    parser.add_argument("--no-figures", action="store_true", help="skip the figures")


def main(args) -> int:
    """Run the validation; print the table; return 0 if every check passed, else 1."""
    from spiral.experiments.common.outputs import check_target, default_out_dir
    from spiral.experiments.validation.checks import PLANS, run_all

    plan = PLANS[args.plan]
    out = args.out or default_out_dir("validate", plan.name)
    check_target(out, KIND, overwrite=args.overwrite)  # before the long runs
    print(f"spiral validate: {plan.name} (Watts n={plan.watts_n:,} x "
          f"{plan.watts_realisations} realisations; Gross N={plan.gross_n:,})", file=sys.stderr)
    t0 = time.perf_counter()
    results = run_all(plan, log=lambda text: print(f"  {text}", file=sys.stderr))
    results.timings["total_s"] = time.perf_counter() - t0
    write_outputs(results, out, figures=not args.no_figures, overwrite=args.overwrite)
    print(markdown_table(results.checks))
    failed = [c for c in results.checks if not c.passed]
    print(f"\n{len(results.checks) - len(failed)} of {len(results.checks)} checks passed in "
          f"{results.timings['total_s']:.0f} s; results: {out}")
    return 1 if failed else 0


def markdown_table(checks) -> str:
    """The comparison table as Markdown."""
    lines = ["| case | literature | model | tolerance | result |", "|---|---|---|---|---|"]
    for c in checks:
        row = c.as_row()
        lines.append("| " + " | ".join(row[k].replace("|", "/") for k in
                                        ("case", "literature", "model", "tolerance", "result"))
                     + " |")
    return "\n".join(lines)


def write_outputs(results, out: Path, *, figures: bool = True, overwrite: bool = False) -> Path:
    """Write the table, the data, the figures and the manifest to ``out`` (all or nothing).

    Raises:
        InputError: ``out`` is not empty and not a previous validation, or is one and
            ``overwrite`` is not set, or cannot be written.
    """
    import pandas as pd
    from spiral.experiments.common.manifest import base_manifest
    from spiral.experiments.common.outputs import OneShotOutput

    with OneShotOutput(out, KIND, overwrite=overwrite) as folder:
        tmp = folder.path
        pd.DataFrame([c.as_row() for c in results.checks]).to_csv(tmp / "checks.csv",
                                                                   index=False)
        (tmp / "checks.md").write_text(markdown_table(results.checks) + "\n")
        watts = watts_frame(results.watts)
        gross = gross_frame(results.gross)
        watts.to_csv(tmp / "watts.csv", index=False)
        gross.to_csv(tmp / "gross.csv", index=False)
        if figures:
            from spiral.experiments.validation.figures import (
                cascade_window_figure,
                prevalence_figure,
            )

            cascade_window_figure(watts, tmp / "figures" / "cascade_window")
            prevalence_figure(gross, tmp / "figures" / "prevalence")
        folder.write_manifest(base_manifest(
            KIND, plan=results.plan.name,
            plan_sizes={k: (v if not isinstance(v, dict) else
                            {str(a): list(b) for a, b in v.items()})
                        for k, v in vars(results.plan).items()},
            passed=results.passed,
            timings_s={k: round(v, 2) for k, v in results.timings.items()}))
    return out


def watts_frame(points):
    """One row per (phi, z): simulated and analytic frequency and size of global cascades."""
    import pandas as pd
    from spiral.experiments.validation import theory

    rows = []
    for p in points:
        low, high = theory.wilson_interval(p.global_count, p.realisations)
        rows.append({"phi": p.phi, "mean_degree": p.mean_degree, "realisations": p.realisations,
                     "global_cascades": p.global_count, "frequency": p.frequency,
                     "frequency_low99": low, "frequency_high99": high,
                     "mean_global_size": p.mean_global_size, "sd_global_size": p.sd_global_size,
                     "frequency_theory": theory.cascade_frequency(p.mean_degree, p.phi),
                     "size_theory": theory.cascade_size(p.mean_degree, p.phi)})
    return pd.DataFrame(rows)


def gross_frame(runs):
    """One row per run: rates, start, final prevalence, ties lost, time step."""
    import pandas as pd

    return pd.DataFrame([{"rewiring": r.rewiring, "spread": r.spread, "fade": r.fade,
                          "start_share": r.start_share, "final_prevalence": r.final_prevalence,
                          "max_prevalence": float(r.prevalence.max()),
                          "ties_lost_share": r.ties_lost_share, "dt": r.dt, "ticks": r.ticks}
                         for r in runs])

"""The figures of ``spiral bench`` as plain-text tables (:func:`format_report`)."""

from __future__ import annotations

from spiral.experiments.tools.bench_sweeps import small_vs_big


def format_report(report: dict) -> str:
    """The figures as plain-text tables."""
    lines = [f"spiral bench: scenario {report['scenario']}, seed {report['seed']}; "
             f"{report['machine']['cpus']} CPUs, load average "
             f"{report['machine']['load_average_start']} -> "
             f"{report['machine'].get('load_average_end')}", "",
             "Array engine (each size in a fresh process)",
             f"{'citizens':>10} {'ties':>10} {'build s':>8} {'setup s':>8} {'tick ms':>9} "
             f"{'no-measure':>10} {'1 thread':>8} {'SpMV ms':>8} {'tick/SpMV':>9} "
             f"{'us/agent-tick':>13} {'peak MB':>8}"]
    for r in report["engine"]:
        lines.append(f"{r['n']:>10,} {r['ties']:>10,} {r['build_s']:>8.2f} {r['setup_s']:>8.2f} "
                     f"{r['tick_s'] * 1e3:>9.2f} {r['tick_engine_only_s'] * 1e3:>10.2f} "
                     f"{r['tick_one_thread_s'] * 1e3:>8.2f} "
                     f"{r['spmv_s'] * 1e3:>8.2f} {r['tick_over_spmv']:>9.1f} "
                     f"{r['us_per_agent_tick']:>13.3f} {r['peak_rss_mb']:>8.0f}")
    if report["mesa"]:
        lines += ["", "Mesa driver vs array engine (same scenario, seed and process)",
                  f"{'citizens':>10} {'ticks':>5} {'Mesa setup s':>12} {'Mesa tick ms':>12} "
                  f"{'engine tick ms':>14} {'Mesa/engine':>11} {'identical':>9} "
                  f"{'Mesa peak MB':>12}"]
        for r in report["mesa"]:
            lines.append(f"{r['n']:>10,} {r['ticks']:>5} {r['mesa_setup_s']:>12.2f} "
                         f"{r['mesa_tick_s'] * 1e3:>12.1f} {r['engine_tick_s'] * 1e3:>14.3f} "
                         f"{r['mesa_over_engine']:>11.0f} {r['identical_trajectories']!s:>9} "
                         f"{r['mesa_peak_rss_mb']:>12.0f}")
    if report["sweep"]:
        s = report["sweep"]
        lines += ["", f"Sweep: {s['runs_measured']} paired runs of {s['n']:,} citizens x "
                  f"{s['ticks']} ticks on {s['workers']} workers in {s['wall_s']:.1f} s "
                  f"({s['s_per_run']:.2f} s/run); {s['extrapolated_runs']:,} runs: "
                  f"{s['extrapolated_s']:.0f} s"
                  + (" (extrapolated)" if s["extrapolated"] else "")]
    if report.get("small_runs"):
        lines += ["", "Small runs: sweeps on 2 workers, every variant counted, per worker; "
                  "against one run of the largest size above (one thread, no per-month measures)",
                  f"{'citizens':>10} {'runs':>5} {'batch':>5} {'us/cit-month':>12} "
                  f"{'unbatched':>9} {'x big run':>9} {'unbatched':>9}"]
        ratios = {r["n"]: r for r in small_vs_big(report)}
        for r in report["small_runs"]:
            q = ratios.get(r["n"], {})
            lines.append(f"{r['n']:>10,} {r['runs']:>5} {r['batch']!s:>5} "
                         f"{r['us_per_citizen_month_per_worker']:>12.3f} "
                         f"{r['unbatched_us_per_citizen_month_per_worker']:>9.3f} "
                         f"{q.get('ratio', float('nan')):>9.2f} "
                         f"{q.get('unbatched_ratio', float('nan')):>9.2f}")
    if report["full_run"]:
        f = report["full_run"]
        lines += ["", f"Full run (suining-scale, {f['n']:,} citizens x {f['ticks']} ticks, both "
                  f"variants, results written): {f['wall_s']:.1f} s wall, peak "
                  f"{f['peak_rss_mb']:.0f} MB; {f['timings_s']}"]
    if report.get("targets"):
        lines += ["", "Targets"]
        for name, t in report["targets"].items():
            mark = "met" if t["met"] else "NOT met"
            lines.append(f"  {name:<22} {t['value']:>10} (target {t['direction']} "
                         f"{t['target']:g}) {mark}: {t['what']}")
    return "\n".join(lines)

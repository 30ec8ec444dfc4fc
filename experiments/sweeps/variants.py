"""Which variants a sweep runs (see :mod:`spiral.experiments.runs.scenario` for variants).

A sweep file may name its variants (``variants = ["unlisted", "spiral"]``); by default a sweep
runs ``unlisted``, ``penalty`` and ``spiral``. A variant that sets a parameter the sweep varies
(or fixes) itself would not see the sweep's values: a named list with one is refused, and the
default leaves it out.
"""

from __future__ import annotations

from spiral.model.errors import InputError

DEFAULT_VARIANTS = ("unlisted", "penalty", "spiral")


def chosen_variants(scenario, wanted, paired: bool, where: str, varied: list[str], *,
                    error: type[InputError] = InputError):
    """The scenario running the sweep's variants; refuse parameters a variant sets itself.

    Default: ``unlisted``, ``penalty`` and ``spiral`` where the scenario has them (else all
    of its variants), less those that set a varied parameter themselves; ``paired = false``
    runs the main variant only. A named list with such a variant is refused.
    """
    if wanted is None:
        names = [v for v in DEFAULT_VARIANTS if v in scenario.variant_names] \
            or scenario.variant_names
        # a default variant that sets a varied parameter itself is left out (named lists
        # are refused instead, below)
        names = [v for v in names if not scenario.variant_conflicts_of(v, varied)] \
            or [scenario.main_variant]
        if not paired:
            names = [scenario.main_variant]
    else:
        if not isinstance(wanted, list) or not wanted or \
                not all(isinstance(v, str) for v in wanted):
            raise error(f"{where}: variants = {wanted!r} must be a list of variant names "
                             f"of the scenario ({', '.join(scenario.variant_names)})")
        unknown = [v for v in wanted if v not in scenario.variant_names]
        if unknown:
            raise error(f"{where}: variant {unknown[0]!r} is not one of scenario "
                             f"{scenario.name!r}'s: {', '.join(scenario.variant_names)}")
        names = wanted
    chosen = scenario.with_variants(names)
    if chosen.main_variant not in chosen.variant_names:
        from dataclasses import replace

        chosen = replace(chosen, main_variant=names[-1])
    conflicts = chosen.variant_conflicts(varied)
    if conflicts:
        raise error(f"{where}: {conflicts[0]}")
    return chosen

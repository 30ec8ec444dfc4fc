"""The project's one palette: Okabe-Ito colours, the variants' colours and labels, grade colours.

The newsroom charts (:mod:`spiral.experiments.charts.draw`), the run figure
(:mod:`spiral.experiments.charts.run_figure`) and the dashboard
(:mod:`spiral.experiments.dashboard.app`) all take their colours from here, so the same thing
has the same colour everywhere. The colours are Okabe-Ito (Okabe & Ito 2008), safe for the
common forms of colour blindness:

* vermillion: the score reads friends (the ``feedback`` variant); blue: the same town where it
  ignores friends (``counterfactual``);
* grades from blue (A) through sky blue (B) and orange (C) to vermillion (D);
* purple: ties cut recently (dashboard); black: the ring of a listed citizen (dashboard).

Nothing here imports matplotlib: the values are plain hex strings.
"""

from __future__ import annotations

OKABE_ITO = {"orange": "#E69F00", "sky_blue": "#56B4E9", "green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00",
             "purple": "#CC79A7", "black": "#000000", "grey": "#999999"}

FEEDBACK = OKABE_ITO["vermillion"]       # the algorithm reads friends
COUNTERFACTUAL = OKABE_ITO["blue"]       # the algorithm ignores friends
VARIANT_COLOURS = {"feedback": FEEDBACK, "counterfactual": COUNTERFACTUAL}
VARIANT_LABELS = {"feedback": "algorithm reads friends",
                  "counterfactual": "algorithm ignores friends"}

GRADE_COLOURS = {"A": OKABE_ITO["blue"], "B": OKABE_ITO["sky_blue"], "C": OKABE_ITO["orange"],
                 "D": OKABE_ITO["vermillion"]}

NEUTRAL = "#777777"                      # what is neither variant nor grade (a twin, no grade)
LISTED_RING = OKABE_ITO["black"]         # the ring around a listed citizen
CUT_TIE = OKABE_ITO["purple"]            # a tie cut in the last months

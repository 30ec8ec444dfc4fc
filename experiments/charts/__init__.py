"""Charts of the blacklist spiral: the newsroom chart set and the run figure (journalists).

* :mod:`~spiral.experiments.charts.book`: :func:`~spiral.experiments.charts.book.make_charts`,
  every chart of a run folder with its data, words and index;
* :mod:`~spiral.experiments.charts.command`: the ``spiral charts`` command;
* :mod:`~spiral.experiments.charts.ensemble`: every replicate of a run: medians, bands,
  95% intervals, typical cases;
* :mod:`~spiral.experiments.charts.data`: one replicate's stories and the tipping grid;
* :mod:`~spiral.experiments.charts.claims`, :mod:`~spiral.experiments.charts.stories`:
  headlines built from the plotted numbers, each claim checked;
* :mod:`~spiral.experiments.charts.draw_more`: decomposition, reported weight, the real list;
* :mod:`~spiral.experiments.charts.vega`: self-contained HTML versions (Altair, JS inlined);
* :mod:`~spiral.experiments.charts.draw`: drawing them in the house style;
* :mod:`~spiral.experiments.charts.words`: source lines, licence, what is real and assumed;
* :mod:`~spiral.experiments.charts.companions`: runs made when a folder lacks what a chart
  needs;
* :mod:`~spiral.experiments.charts.style`: sizes, type and saving;
* :mod:`~spiral.experiments.charts.palette`: the project's one palette (also the dashboard's);
* :mod:`~spiral.experiments.charts.run_figure`: the spiral figure of every ``spiral run``.

No module here selects a matplotlib backend or changes rcParams for good: figures are
:class:`matplotlib.figure.Figure` objects on their own canvas.
"""

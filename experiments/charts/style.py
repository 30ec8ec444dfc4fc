"""House style of the newsroom charts: sizes, headline, subtitle, source line, saving.

Two styles: ``web`` (6 inches wide, large type: readable when shown 600 px wide) and
``print`` (7 inches, a two-column newspaper width, smaller type). Both save PNG at 300 dpi and
SVG with text kept as text (the graphics desk can restyle it; tests can find the title).
Saving is deterministic: no date in SVG or PDF metadata, a fixed ``svg.hashsalt`` and root
``svg.id`` (the ids of clip paths and glyphs), so the same numbers give byte-identical files.
Colours come from the one palette, :mod:`spiral.experiments.charts.palette`.

Figures are :class:`matplotlib.figure.Figure` objects with their own Agg canvas, never
pyplot's: drawing a chart neither switches the user's backend nor opens, shows or closes any
of their figures. Style values apply inside :func:`matplotlib.rc_context` (see :func:`rc`),
which restores the user's settings on leaving.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 300
FORMATS = ("png", "svg", "pdf")
# fixed ids in SVG files (matplotlib salts them with a random value by default)
DETERMINISTIC = {"svg.hashsalt": "blacklist-spiral", "svg.id": "chart"}


@dataclass(frozen=True)
class Style:
    """Sizes of one house style (inches and points)."""

    name: str
    width: float
    base_font: float
    title_font: float
    line_width: float
    min_font: float = 6.0      # no text smaller than this (points)
    stack: bool = False        # panels stacked (phones) rather than side by side

    def fs(self, delta: float = 0.0) -> float:
        """A font size ``delta`` from the base, never below the style's minimum."""
        return max(self.base_font + delta, self.min_font)


# mobile: 375 pt wide, so a 12 pt font is 12 px when the SVG is shown 375 px wide
STYLES = {"web": Style("web", 6.0, 9.0, 12.5, 2.0),
          "print": Style("print", 7.0, 8.0, 11.0, 1.5),
          "mobile": Style("mobile", 375 / 72, 12.0, 15.0, 2.0, min_font=12.0, stack=True)}
PANEL_TITLE_IN = 0.3  # room above the axes for panel titles


def rc(style: Style) -> dict:
    """Matplotlib settings of a style, for :func:`matplotlib.rc_context` (never set globally)."""
    return {"font.size": style.base_font, "axes.titlesize": style.fs(0.5),
            "axes.labelsize": style.base_font, "xtick.labelsize": style.fs(-1),
            "ytick.labelsize": style.fs(-1), "legend.fontsize": style.fs(-1), "axes.spines.top": False,
            "axes.spines.right": False, "axes.grid": True, "axes.grid.axis": "y",
            "grid.color": "#e6e6e6", "grid.linewidth": 0.8, "axes.edgecolor": "#555555",
            "svg.fonttype": "none", "pdf.fonttype": 42, "font.family": "DejaVu Sans",
            "lines.linewidth": style.line_width, "legend.frameon": False}


def new_figure(style: Style, *, height: float, ncols: int = 1, nrows: int = 1, **kwargs):
    """A figure of the style's width with room for headline, subtitle and source line.

    A :class:`~matplotlib.figure.Figure` on its own Agg canvas (pyplot knows nothing of it);
    ``kwargs`` go to :meth:`~matplotlib.figure.Figure.subplots`.

    Returns:
        (figure, axes) as :meth:`~matplotlib.figure.Figure.subplots` gives them.
    """
    if style.stack and ncols > 1 and nrows == 1:
        nrows, ncols = ncols, 1
        height = height * 1.6
    with matplotlib.rc_context(rc(style)):
        fig = Figure(figsize=(style.width, height))
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, **kwargs)
        if style.stack and nrows > 1:
            fig.subplots_adjust(hspace=0.8)
    return fig, axes


def decorate(fig, style: Style, *, title: str, subtitle: str, source: str,
             top: float | None = None, bottom: float | None = None) -> None:
    """Headline (bold, left), one-line subtitle and the source line at the bottom."""
    height, width = fig.get_figheight(), fig.get_figwidth()
    source_font = style.fs(-1.5)
    title = _wrap(title, width, style.title_font, bold=True)
    subtitle = _wrap(subtitle, width, style.base_font)
    source = _wrap(source, width, source_font)
    title_in = style.title_font / 72 * 1.35 * (title.count("\n") + 1)
    sub_in = style.base_font / 72 * 1.4 * (subtitle.count("\n") + 1)
    src_in = source_font / 72 * 1.4 * (source.count("\n") + 1)
    header = 0.26 + title_in + sub_in + PANEL_TITLE_IN
    bottom_in = bottom * height if bottom is not None else 0.5 + src_in
    needed = header + bottom_in + 0.55 * height  # keep room for the plot itself
    if needed > height:
        # grow the figure; texts placed already keep their distance from the bottom
        for text in fig.texts:
            x, y = text.get_position()
            text.set_position((x, y * height / needed))
        fig.set_figheight(needed)
        height = needed
    fig.text(0.015, 1 - 0.1 / height, title, ha="left", va="top", fontsize=style.title_font,
             fontweight="bold", linespacing=1.1)
    fig.text(0.015, 1 - (0.16 + title_in) / height, subtitle, ha="left", va="top",
             fontsize=style.base_font, color="#333333", linespacing=1.2)
    fig.text(0.015, 0.06 / height, source, ha="left", va="bottom", fontsize=source_font,
             color="#666666", linespacing=1.2)
    fig.subplots_adjust(top=top if top is not None else 1 - header / height,
                        bottom=bottom_in / height)


def _wrap(text: str, width_in: float, font_pt: float, *, bold: bool = False) -> str:
    """Wrap text to the figure's width (average glyph ~0.55 em, bold ~0.62 em)."""
    import textwrap

    per_char_in = font_pt / 72 * (0.62 if bold else 0.55)
    return textwrap.fill(text, max(20, int((width_in - 0.15) / per_char_in)),
                         break_long_words=False, break_on_hyphens=False)


def save(fig, stem: Path, formats: tuple[str, ...], style: Style) -> dict[str, str]:
    """Save a figure in each format (named explicitly, whatever the backend).

    Returns:
        {format: file name}.
    """
    stem.parent.mkdir(parents=True, exist_ok=True)
    files = {}
    with matplotlib.rc_context({**rc(style), **DETERMINISTIC}):
        for fmt in formats:
            path = stem.parent / f"{stem.name}.{fmt}"
            fig.savefig(path, format=fmt, dpi=DPI if fmt == "png" else None,
                        metadata=_metadata(fmt))
            files[fmt] = path.name
    return files


def _metadata(fmt: str) -> dict | None:
    # fixed metadata so the same run gives byte-identical SVG/PDF files
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None, "ModDate": None}
    return None

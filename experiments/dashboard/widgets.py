"""The page's two browser-side widgets: the clickable network and the copy-as-code box.

The town's network is an SVG drawn in the browser by a Vue template (:class:`NetworkView`).

Every citizen is a circle coloured by grade; the listed have a black ring, those about to be
listed a dashed one; the chosen citizen is larger, ringed in the highlight colour and labelled,
and their ties are drawn darker. Ties cut in the last months are dotted purple lines. Hovering
a citizen (or tapping, on a touch screen) shows their number, grade, score and friends; clicking
chooses them. The picture scales with the page's width (it is an SVG with a view box), so it
works on a phone.

:func:`network_picture` turns a model's last frame into the widget's data (plain lists and
strings, computed here in Python); :class:`NetworkView` is the widget (an ``ipyvue``
template: it needs no script from a CDN). Clicking sets its ``pick`` trait to
``{"citizen": i, "at": time}``, so clicking the same citizen twice is two changes.

:class:`CopyBox` shows a piece of code with a button that copies it to the clipboard.
"""

from __future__ import annotations

import ipyvue
import numpy as np
import traitlets
from spiral.experiments.charts.palette import (
    CUT_TIE,
    GRADE_COLOURS,
    LISTED_RING,
    NEUTRAL,
    OKABE_ITO,
)
from spiral.model.params import GRADES

VIEW = 1000  # the SVG's view box is VIEW x VIEW
MARGIN = 40
RECENT_CUT_MONTHS = 3
HIGHLIGHT = OKABE_ITO["green"]  # the chosen citizen's ring and ties
COLOURS = {"tie": NEUTRAL, "cut": CUT_TIE, "chosen": HIGHLIGHT, "ring": LISTED_RING}

TEMPLATE = """
<template>
  <div class="spiral-network" style="position: relative; width: 100%; max-width: 720px;">
    <svg :viewBox="'0 0 ' + view + ' ' + view" role="img" aria-label="The town's friendship network"
         style="width: 100%; height: auto; display: block; touch-action: manipulation;">
      <path :d="ties" :stroke="colours.tie" stroke-width="1.2" stroke-opacity="0.45" fill="none"/>
      <path :d="cuts" :stroke="colours.cut" stroke-width="2.2" stroke-dasharray="4 5"
            fill="none"/>
      <path :d="chosen_ties" :stroke="colours.chosen" stroke-width="3.5" fill="none"/>
      <circle v-for="node in nodes" :key="node.i" :cx="node.x" :cy="node.y" :r="node.r"
              :fill="node.fill" :stroke="node.stroke" :stroke-width="node.sw"
              :stroke-dasharray="node.dash" class="spiral-citizen" :data-citizen="node.i"
              style="cursor: pointer;"
              @mouseenter="hover = node" @mouseleave="hover = null"
              @click="choose(node.i)"><title>{{ node.tip }}</title></circle>
      <text v-if="label" :x="label.x" :y="label.y" font-size="30" font-weight="bold"
            fill="black" stroke="white" stroke-width="6" paint-order="stroke"
            class="spiral-label">{{ label.text }}</text>
    </svg>
    <div v-if="hover" class="spiral-tooltip"
         :style="{position: 'absolute', left: (hover.x / view * 100) + '%',
                  top: (hover.y / view * 100) + '%', transform: 'translate(-50%, -130%)',
                  background: 'rgba(255,255,255,0.95)', border: '1px solid ' + colours.tie,
                  borderRadius: '4px', padding: '2px 6px', fontSize: '13px',
                  pointerEvents: 'none', whiteSpace: 'nowrap', zIndex: 5}">{{ hover.tip }}</div>
  </div>
</template>
<script>
module.exports = {
  data() { return { hover: null }; },
  methods: {
    choose(i) { this.pick = { citizen: i, at: Date.now() }; },
  },
};
</script>
"""


class NetworkView(ipyvue.VueTemplate):
    """The clickable network (see the module docstring); data from :func:`network_picture`."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    view = traitlets.Int(VIEW).tag(sync=True)
    nodes = traitlets.List().tag(sync=True)
    ties = traitlets.Unicode("").tag(sync=True)
    cuts = traitlets.Unicode("").tag(sync=True)
    chosen_ties = traitlets.Unicode("").tag(sync=True)
    label = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    colours = traitlets.Dict(COLOURS).tag(sync=True)
    pick = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)


def scaled_positions(positions: np.ndarray) -> np.ndarray:
    """Layout positions mapped into the view box (margins kept), as whole numbers."""
    pos = np.asarray(positions, dtype=float)
    low, high = pos.min(axis=0), pos.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    return np.round(MARGIN + (pos - low) / span * (VIEW - 2 * MARGIN)).astype(int)


def _path(xy: np.ndarray, pairs: np.ndarray) -> str:
    return "".join(f"M{xy[a, 0]} {xy[a, 1]}L{xy[b, 0]} {xy[b, 1]}" for a, b in pairs.tolist())


def tooltip(frame, citizen: int, pending: set[int]) -> str:
    """What hovering a citizen says: number, grade, score, friends, listing."""
    state = ("on the blacklist (by error)" if frame.wrongful[citizen] else "on the blacklist") \
        if frame.listed[citizen] else ("listed next month" if citizen in pending else "")
    friends = int(frame.degree[citizen])
    text = (f"Citizen {citizen} · grade {GRADES[int(frame.grade[citizen])]} · score "
            f"{frame.score[citizen]:.0f} · {friends} friend{'' if friends == 1 else 's'}")
    return f"{text} · {state}" if state else text


def network_picture(model, chosen: int | None) -> dict:
    """The widget's data for the last month of ``model``, with ``chosen`` highlighted."""
    frames = list(model.frames)
    frame = frames[-1]
    xy = scaled_positions(model.positions)
    pending = {item.citizen for item in model.pending()}
    recent = [f.cuts for f in frames[-RECENT_CUT_MONTHS:] if len(f.cuts)]
    now = {tuple(p) for p in frame.pairs.tolist()}
    cut = sorted({tuple(p) for c in recent for p in c.tolist()} - now)
    n = len(frame.score)
    size = 9 if n <= 300 else 6
    nodes = []
    for i in range(n):
        listed, waiting = bool(frame.listed[i]), i in pending
        node = {"i": i, "x": int(xy[i, 0]), "y": int(xy[i, 1]), "r": size,
                "fill": GRADE_COLOURS[GRADES[int(frame.grade[i])]],
                "stroke": LISTED_RING if (listed or waiting) else "white",
                "sw": 4 if (listed or waiting) else 1.5, "dash": "5 3" if waiting else "",
                "tip": tooltip(frame, i, pending)}
        if i == chosen:
            node.update(r=size * 2, stroke=HIGHLIGHT, sw=7, dash="")
        nodes.append(node)
    if chosen is not None and 0 <= chosen < n:
        nodes.append(nodes.pop(chosen))  # drawn last: on top
        mine = frame.pairs[(frame.pairs[:, 0] == chosen) | (frame.pairs[:, 1] == chosen)]
        x, y = int(xy[chosen, 0]), int(xy[chosen, 1])
        label = {"x": x + 22 if x < VIEW * 0.75 else x - 170, "y": y - 18 if y > 60 else y + 45,
                 "text": f"Citizen {chosen}" + (" (listed)" if frame.listed[chosen] else "")}
    else:
        mine, label = np.empty((0, 2), dtype=np.int64), None
    return {"nodes": nodes, "ties": _path(xy, frame.pairs),
            "cuts": _path(xy, np.array(cut, dtype=np.int64).reshape(-1, 2)),
            "chosen_ties": _path(xy, mine), "label": label}


COPY_TEMPLATE = """
<template>
  <div class="spiral-copy" style="position: relative; margin-bottom: 12px;">
    <div style="display: flex; align-items: center; gap: 8px; flex-wrap: wrap;">
      <strong>{{ title }}</strong>
      <v-btn small outlined @click="copy" class="spiral-copy-button">{{ copied ? 'Copied' : 'Copy' }}</v-btn>
    </div>
    <pre :class="'spiral-code spiral-code-' + kind"
         style="white-space: pre-wrap; word-break: break-word; background: whitesmoke;
                padding: 8px; border-radius: 4px; font-size: 12.5px; margin-top: 4px;"
    >{{ code }}</pre>
  </div>
</template>
<script>
module.exports = {
  data() { return { copied: false }; },
  methods: {
    copy() {
      const done = () => { this.copied = true; setTimeout(() => { this.copied = false; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(this.code).then(done, () => {});
      } else {
        const area = document.createElement("textarea");
        area.value = this.code;
        document.body.appendChild(area);
        area.select();
        try { document.execCommand("copy"); done(); } finally { area.remove(); }
      }
    },
  },
};
</script>
"""


class CopyBox(ipyvue.VueTemplate):
    """A titled piece of code with a Copy button (the clipboard copy happens in the browser)."""

    template = traitlets.Unicode(COPY_TEMPLATE).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    code = traitlets.Unicode("").tag(sync=True)
    kind = traitlets.Unicode("text").tag(sync=True)

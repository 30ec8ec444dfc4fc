"""Keyed random draws: every uniform number is a pure function of what it decides.

A month's decisions do not draw from a sequential stream. Each uniform number is computed
from its *key*: the run's key (from the run's seed), the phase, the month, the citizen and,
where a decision concerns a pair or a slot, the other citizen and the candidate slot::

    u = uniform(run_key, Phase.UNFRIEND, month, citizen, friend)

The mixer is SplitMix64's finaliser applied to a chain of 64-bit words, in ``uint64``
arithmetic (wrapping multiplication, shifts and xors: no floating point until the final
conversion of the top 53 bits to a float in [0, 1)); arrays are hashed by a compiled (numba)
kernel, single numbers with Python ints. Scalars and arrays give the same bits,
so the Mesa driver (one citizen at a time) and the array engine (everyone at once) draw
identical numbers, in any order.

What this buys:

* variants of a run (the paired counterfactual, the ladder of channels) see the same number
  for the same decision, decision by decision, however differently their networks evolve
  (common random numbers);
* results do not depend on the order of evaluation, on batching several runs into one
  engine, or on the number of workers.

The words of a key are chained: ``h = mix(h + (word + 1) * GOLDEN)`` for each word in turn,
starting from the run key mixed with the phase and month. With a single varying word this is
exactly SplitMix64's output sequence for the starting state, a generator that passes
BigCrush; further words reseed it through the same bijective mixer.

Setting up a run (building the network, the citizens' starting values) still uses numpy
Generators derived from the run's seed (:func:`spiral.model.streams.make_streams`): those
draws happen once per run and are shared by all variants.

Example:
    >>> key = run_key(7)
    >>> float(uniform(key, Phase.BEHAVIOUR, 1, 3)) == float(uniform(key, Phase.BEHAVIOUR, 1, [3])[0])
    True
"""

from __future__ import annotations

from enum import IntEnum

import numba
import numpy as np
from spiral.model.threads import parallel

SCHEME_VERSION = 1  # change when any key layout or the mixer changes (results change)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_ONE = np.uint64(1)
_GOLDEN_INT = int(_GOLDEN)
_TO_UNIT = 2.0 ** -53


class Phase(IntEnum):
    """The decisions of a month that use random numbers (the first word of every key)."""

    BEHAVIOUR = 1       # key: (citizen)            which deed, if any
    COURT = 2           # key: (citizen)            listing or delisting
    HEARING = 3         # key: (citizen, friend)    the citizen hears of the friend's listing
    STIGMA_SPREAD = 4   # key: (citizen, friend)    stigma passes from friend to citizen
    STIGMA_FADE = 5     # key: (citizen)            stigma fades
    UNFRIEND = 6        # key: (citizen, friend)    the citizen drops the friend
    REWIRE = 7          # key: (citizen, dropped, slot)   candidate slot of a replacement tie
    RECONNECT = 8       # key: (citizen, dropped)   a dropped tie is restored
    TURNOVER = 9        # key: (citizen)            the citizen lets one tie lapse
    TURNOVER_PICK = 10  # key: (citizen)            which tie lapses
    CLOSURE = 11        # key: (citizen, lapsed, slot)   friend-of-friend candidate slot


@numba.njit(cache=True, inline="always")
def _mix(x):
    """SplitMix64's finaliser (a bijection on 64-bit words) on a uint64."""
    x ^= x >> _S30
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    return x ^ (x >> _S31)


@numba.njit(cache=True, inline="always")
def _draw(k, start, w0, w1, w2, n_words):
    """The uniform number of the chain start[k] -> words[k] (arrays of length 1 are the
    same for every k).
    """
    h = start[k if start.size > 1 else 0]
    h = _mix(h + (numba.uint64(w0[k if w0.size > 1 else 0]) + _ONE) * _GOLDEN)
    if n_words > 1:
        h = _mix(h + (numba.uint64(w1[k if w1.size > 1 else 0]) + _ONE) * _GOLDEN)
    if n_words > 2:
        h = _mix(h + (numba.uint64(w2[k if w2.size > 1 else 0]) + _ONE) * _GOLDEN)
    return numba.float64(h >> _S11) * _TO_UNIT


@numba.njit(cache=True, nogil=True)
def _draws_serial(start, w0, w1, w2, n_words, out):
    for k in range(out.size):
        out[k] = _draw(k, start, w0, w1, w2, n_words)


@numba.njit(cache=True, nogil=True, parallel=True)
def _draws_parallel(start, w0, w1, w2, n_words, out):
    for k in numba.prange(out.size):
        out[k] = _draw(numba.int64(k), start, w0, w1, w2, n_words)


@numba.njit(cache=True, inline="always")
def _block_draw(start, local):
    """The uniform number of the chain start -> (local) (one key word)."""
    h = _mix(start + (numba.uint64(local) + _ONE) * _GOLDEN)
    return numba.float64(h >> _S11) * _TO_UNIT


@numba.njit(cache=True, nogil=True)
def _block_draws_serial(starts, offsets, out):
    for b in range(offsets.size - 1):
        for x in range(offsets[b], offsets[b + 1]):
            out[x] = _block_draw(starts[b], x - offsets[b])


@numba.njit(cache=True, nogil=True, parallel=True)
def _block_draws_parallel(starts, offsets, out):
    for b in range(offsets.size - 1):
        first = offsets[b]
        for x in numba.prange(first, offsets[b + 1]):
            out[x] = _block_draw(starts[b], x - first)


_MASK = (1 << 64) - 1


def _mix_int(x: int) -> int:
    """:func:`_mix` on a Python int (the same bits; faster for one draw at a time)."""
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & _MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _flat(value, shape: tuple[int, ...]) -> np.ndarray:
    """A key word (or start) as a 1-D array: one element if it is the same for all."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"key words must be integers, not {arr.dtype}")
    if arr.size == 1:
        return arr.reshape(1)
    if arr.shape != shape:
        arr = np.broadcast_to(arr, shape)
    return np.ascontiguousarray(arr).reshape(-1)


def run_key(seed: int) -> int:
    """The run's 64-bit key, derived from its seed by :class:`numpy.random.SeedSequence`."""
    return int(np.random.SeedSequence(int(seed)).generate_state(1, np.uint64)[0])


def phase_key(key: int, phase: int, month: int) -> int:
    """The key of one phase in one month: the start of every chain of that phase and month."""
    h = _mix_int((int(key) + (int(phase) + 1) * _GOLDEN_INT) & _MASK)
    return _mix_int((h + (int(month) + 1) * _GOLDEN_INT) & _MASK)


def uniform(key: int, phase: int, month: int, *words) -> np.ndarray | float:
    """Uniform number(s) in [0, 1) for the decision(s) keyed by ``words``.

    Args:
        key: The run key (:func:`run_key`).
        phase: A :class:`Phase`.
        month: The month (tick) of the decision.
        *words: One to three non-negative integers or integer arrays (broadcast together):
            citizen, then other citizen, then slot, as the phase's key says.

    Returns:
        A float for scalar words, else a float64 array of the broadcast shape.
    """
    if not words:
        raise TypeError("uniform() needs at least one key word (the citizen)")
    if all(isinstance(w, int | np.integer) for w in words):  # one decision: Python ints
        h = phase_key(key, phase, month)
        for word in words:
            if word < 0:
                raise ValueError(f"key words must be >= 0, got {word}")
            h = _mix_int((h + (int(word) + 1) * _GOLDEN_INT) & _MASK)
        return (h >> 11) * _TO_UNIT
    scalar = all(np.ndim(w) == 0 for w in words)
    u = uniform_from(np.uint64(phase_key(key, phase, month)), *words)
    return float(u) if scalar else u


def phase_keys(keys: np.ndarray, phase: int, month: int) -> np.ndarray:
    """:func:`phase_key` of several runs at once (uint64 array, one per run key)."""
    keys = np.asarray(keys, dtype=np.uint64)
    out = np.empty(keys.shape, dtype=np.uint64)
    _phase_keys(keys.reshape(-1), np.uint64(phase), np.uint64(month), out.reshape(-1))
    return out


@numba.njit(cache=True, nogil=True)
def _phase_keys(keys, phase, month, out):
    for k in range(keys.size):
        h = _mix(keys[k] + (phase + _ONE) * _GOLDEN)
        out[k] = _mix(h + (month + _ONE) * _GOLDEN)


def uniform_from(start, *words) -> np.ndarray:
    """Uniform numbers from phase keys ``start`` (uint64, broadcast with the words).

    The array path of :func:`uniform`; ``start`` may differ element by element, so several
    runs batched into one engine draw, each with its own run key, in one call (the same bits
    as one :func:`uniform` call per run). Compiled; large calls share the work between
    threads (:mod:`spiral.model.threads`: the same bits either way).
    """
    if not 1 <= len(words) <= 3:
        raise TypeError(f"uniform_from() takes one to three key words, not {len(words)}")
    shape = np.broadcast_shapes(np.shape(start), *(np.shape(w) for w in words))
    flat = [_flat(w, shape) for w in words]
    flat += [flat[0]] * (3 - len(flat))
    start = _flat(np.asarray(start, dtype=np.uint64), shape)
    out = np.empty(shape, dtype=np.float64)
    draw = _draws_parallel if parallel(out.size) else _draws_serial
    draw(start, *flat, len(words), out.reshape(-1))
    return out


def uniform_by_block(starts: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """One uniform number per citizen of several blocks (the runs of a batch): citizen ``x``
    of block ``b`` draws from ``starts[b]`` keyed by its number in the block, ``x -
    offsets[b]``; the same bits as :func:`uniform_from` given each citizen's start and
    number, without building them.
    """
    starts = np.ascontiguousarray(starts, dtype=np.uint64)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    out = np.empty(int(offsets[-1]), dtype=np.float64)
    draw = _block_draws_parallel if parallel(out.size) else _block_draws_serial
    draw(starts, offsets, out)
    return out

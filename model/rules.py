"""The model's rules as pure functions of scalars or numpy arrays.

Both drivers call these and nothing else to decide what happens: the Mesa agents
(:class:`spiral.agents.citizen.Citizen`, one citizen at a time, with Python scalars) and the
array engine (:class:`spiral.model.engine.ArrayEngine`, everyone at once, with arrays). The
functions use only exactly-rounded arithmetic (``+ - * /``, comparisons, ``rint``, ``clip``),
so a scalar call and an array call give bit-identical results, and scores are whole numbers,
so sums of friends' scores do not depend on summation order. The score rules that run over
every citizen every month are written for one citizen and compiled into numpy ufuncs
(``numba.vectorize``): the same rule for a scalar and for an array, in one pass.

Every random decision takes a uniform number ``u`` in [0, 1) that the caller computes from
the decision's key (see :mod:`spiral.model.draws`). The drivers keep only bookkeeping (who is
whose friend, what happened when) and the order of the phases; every decision (who acts,
who is risky, who catches or sheds stigma, who is listed or delisted, whom a dropper
befriends instead) is a function here.

Example:
    >>> from spiral.model import rules
    >>> float(rules.combine_score(own=650.0, social=800.0, penalty=150.0, network_weight=0.0))
    500.0
    >>> int(rules.grade_of(500.0, (700.0, 650.0, 550.0)))  # 3 is grade D
    3
"""

from __future__ import annotations

import numba
import numpy as np
from spiral.model.params import GRADES

SCORE_MIN = 350.0
SCORE_MAX = 950.0
SCORE_RANGE = SCORE_MAX - SCORE_MIN

NO_LISTING, RIGHTFUL, WRONGFUL = 0, 1, 2


# --- 1. behaviour -------------------------------------------------------------------------
def deed_slices(denied, p):
    """The Suining ledger as consecutive slices of the unit interval.

    Slices, in order: drunk driving, bribery, caring for the elderly, helping the poor
    reported by the media, helping the poor unreported. Good-deed slices shrink by
    ``denied_services_factor`` for citizens who are denied services (grade D or listed) when
    ``denied_services`` is on.

    Args:
        denied: Whether the citizen is denied services (bool or bool array).
        p: The run's :class:`~spiral.model.params.Params`.

    Returns:
        ``(ends, points)``: the slices' upper ends (scalars or arrays, increasing) and the
        points each slice gives.
    """
    good = np.where(np.logical_and(denied, p.denied_services), p.denied_services_factor, 1.0)
    drunk_end = p.drunk_driving_rate
    bribe_end = drunk_end + p.bribery_rate
    elder_end = bribe_end + p.elder_care_rate * good
    help_len = p.help_poor_rate * good
    media_end = elder_end + help_len * p.media_report_share
    help_end = elder_end + help_len
    return ((drunk_end, bribe_end, elder_end, media_end, help_end),
            (p.drunk_driving_points, p.bribery_points, p.elder_care_points,
             p.media_report_points, p.help_poor_points))


def deed_reach(p) -> float:
    """The largest draw that can still mean a deed, for any citizen (draws above do nothing)."""
    return float(max(deed_slices(False, p)[0][-1], deed_slices(True, p)[0][-1]))


def deed_points(u, *, denied, p):
    """Behaviour points a citizen earns or loses this month (at most one deed per month).

    ``u`` falling in a slice of :func:`deed_slices` means that deed happened.

    Args:
        u: Uniform draw(s) in [0, 1).
        denied: Whether the citizen is denied services (bool or bool array).
        p: The run's :class:`~spiral.model.params.Params`.

    Returns:
        Points change (int or int array).
    """
    ends, points = deed_slices(denied, p)
    return np.select([u < end for end in ends], list(points), default=0)


# --- 2. court -------------------------------------------------------------------------------
def new_listing(u, *, listing_rate, wrongful_rate):
    """Court outcome for an unlisted citizen: 0 none, 1 rightful listing, 2 wrongful listing."""
    return np.select([u < listing_rate, u < listing_rate + wrongful_rate],
                     [RIGHTFUL, WRONGFUL], default=NO_LISTING)


def listing_reach(p) -> float:
    """The largest draw that can still mean a new listing (draws above list nobody)."""
    return p.listing_rate + p.wrongful_rate


def court_outcome(u, *, listed, scripted, p):
    """This month's new listing of each citizen: 0 none, 1 rightful, 2 wrongful.

    A scripted listing (code 1 or 2 in ``scripted``, 0 for none) overrides the draw; a
    citizen already on the list is not listed again, scripted or not (the scripted listing is
    ignored).
    """
    drawn = new_listing(u, listing_rate=p.listing_rate, wrongful_rate=p.wrongful_rate)
    outcome = np.where(np.asarray(scripted) != NO_LISTING, scripted, drawn)
    return np.where(listed, NO_LISTING, outcome)


def remembers_listing(friend_listed):
    """Whether a citizen keeps knowing that a friend is listed: only while the friend is.

    On delisting everyone forgets; a later listing must be heard of again.
    """
    return np.asarray(friend_listed, dtype=bool)


def is_delisted(u, *, wrongful, months_listed, term_months, compliance_rate, oversight_rate):
    """Whether a listed citizen leaves the list this month.

    Rightful listings end when the term is served or, earlier, on compliance (chance
    ``compliance_rate`` per month). Wrongful listings end only when oversight notices the
    error (chance ``oversight_rate`` per month): the listed person cannot comply their way out.
    A listing is not reviewed in the month it is made (``months_listed`` 0).
    """
    rightful_ends = np.logical_or(months_listed >= term_months, u < compliance_rate)
    ends = np.where(wrongful, u < oversight_rate, rightful_ends)
    return np.logical_and(np.asarray(months_listed) >= 1, ends)


# --- 3. hearing and stigma ---------------------------------------------------------------------
def hears(u, hearing_prob):
    """Whether a friend hears of a listing this month."""
    return u < hearing_prob


def threshold_reached(marked_friends, degree, threshold):
    """Watts rule: at least a share ``threshold`` of one's friends are marked (degree > 0)."""
    degree = np.asarray(degree)
    return np.logical_and(degree > 0, marked_friends >= threshold * degree)


def can_catch_stigma(marked):
    """Only citizens neither listed nor stigmatised can catch stigma."""
    return np.logical_not(marked)


def catches_stigma_threshold(*, marked, marked_friends, degree, threshold):
    """Watts threshold stigma: an unmarked citizen with enough marked friends is stigmatised."""
    return np.logical_and(can_catch_stigma(marked),
                          threshold_reached(marked_friends, degree, threshold))


def stigma_passes(u, spread):
    """Gross contagion: stigma passes over one tie from a marked friend (per tie, per month)."""
    return u < spread


def stigma_fades(u, *, stigmatised, listed, fade):
    """A stigmatised citizen who is not listed loses the stigma with chance ``fade``."""
    return np.logical_and(np.logical_and(stigmatised, np.logical_not(listed)), u < fade)


# --- 4. unfriending -------------------------------------------------------------------------
def drop_probability(fear, unfriend_rate):
    """Chance per month of dropping one risky friend; grows linearly with fear."""
    return unfriend_rate * fear


def drops(u, *, fear, unfriend_rate):
    """Whether a citizen drops one risky friend this month."""
    return u < drop_probability(fear, unfriend_rate)


def risky_marked(*, observer_marked, friend_stigmatised, friend_listed_heard):
    """Rules ``listed`` and ``threshold``: is the friend risky in the citizen's eyes?

    A friend is risky when stigmatised or known (heard of) to be listed. Citizens who are
    listed or stigmatised themselves have nothing left to protect and judge nobody risky.
    """
    return np.logical_and(np.logical_not(observer_marked),
                          np.logical_or(friend_stigmatised, friend_listed_heard))


def risky_grade(friend_grade, p):
    """Rule ``grade``: a friend at ``risky_grade`` or worse is risky (to anyone, listed or not)."""
    return np.asarray(friend_grade) >= GRADES.index(p.risky_grade)


def threshold_acts(risky_friends, degree, p):
    """Rule ``threshold``: a citizen acts once the share of risky friends reaches the threshold."""
    return threshold_reached(risky_friends, degree, p.unfriend_threshold)


def fear_beta_shape(mean, concentration):
    """Shape parameters (a, b) of the Beta distribution of fear with this mean."""
    return mean * concentration, (1.0 - mean) * concentration


def drop_gain(*, degree, initial_degree, friend_score_sum, friend_score, p):
    """Change in one's own network term from dropping a friend with score ``friend_score``.

    Used by the ``strategic`` rule: positive when a better average of friends outweighs the
    lost contact under the current scoring formula.
    """
    degree = np.asarray(degree)
    with_friend = social_score(degree=degree, initial_degree=initial_degree,
                               friend_score_sum=friend_score_sum, contacts_share=p.contacts_share)
    without = social_score(degree=degree - 1, initial_degree=initial_degree,
                           friend_score_sum=friend_score_sum - friend_score,
                           contacts_share=p.contacts_share)
    return p.network_weight * (without - with_friend)


def risky_strategic(gain):
    """Rule ``strategic``: a friend is risky when dropping them raises one's own score."""
    return np.asarray(gain) > 0


def perceived_cost(*, own_score, contact_score, degree, initial_degree, friend_score_sum, p):
    """What keeping a contact costs, as the citizen perceives it (score points, >= 0).

    ``contamination``: network_weight x the contact's score deficit below one's own score /
    one's number of contacts (an association with a lower-scored contact drags one's own
    score down by its share). ``formula``: the exact gain in one's own score from dropping
    the contact under the current scoring formula (:func:`drop_gain`). Both are exactly zero
    when the network weight is zero, and never fall as the contact's score falls.
    """
    if p.cost_perception == "formula":
        gain = drop_gain(degree=degree, initial_degree=initial_degree,
                         friend_score_sum=friend_score_sum, friend_score=contact_score, p=p)
        return np.maximum(gain, 0.0)
    deficit = np.maximum(np.asarray(own_score) - contact_score, 0.0)
    return p.network_weight * deficit / np.maximum(degree, 1)


def channel_hazard(*, heard, stigma, fear, cost, p):
    """Rule ``channels``: the chance this month of dropping one contact, from two channels.

    ``h = 1 - (1 - a)(1 - b)`` with (a) stigma: ``a = stigma_strength x stigma`` for a
    contact one has heard is listed, and (b) fear for one's own score:
    ``b = fear_strength x fear x min(1, cost / cost_scale)``, for heard-of contacts (or any
    contact when ``fear_gate`` is ``any``). Only exactly-rounded arithmetic, so both drivers
    get the same bits.
    """
    heard = np.asarray(heard, dtype=bool)
    a = np.where(heard, p.stigma_strength * stigma, 0.0)
    weighed = heard if p.fear_gate == "heard" else np.ones_like(heard)
    b = np.where(weighed, p.fear_strength * fear * np.minimum(1.0, cost / p.cost_scale), 0.0)
    return 1.0 - (1.0 - a) * (1.0 - b)


def restores(u, *, contact_listed, p):
    """A tie dropped earlier comes back this month (only once the contact is off the list)."""
    return np.logical_and(np.logical_not(contact_listed), u < p.reconnect_rate)


def turns_over(u, p):
    """A tie decays this month and one end seeks a friend of a friend instead."""
    return u < p.turnover_rate


# --- 5. rewiring ----------------------------------------------------------------------------
def pick_index(u, k):
    """Index in ``range(k)`` chosen by uniform ``u`` (k > 0)."""
    return np.minimum((np.asarray(u) * k).astype(np.int64), np.asarray(k) - 1)


def skip_index(a, skipped):
    """Index ``a`` among the other friends -> index among all friends, skipping ``skipped``.

    Friend of a friend: the intermediary is drawn among the friends other than the dropped
    one (``skipped`` is the dropped friend's position in the sorted friend list).
    """
    return a + (np.asarray(a) >= skipped)


def acceptable_candidate(*, candidate, citizen, dropped, candidate_marked, already_friends):
    """A replacement friend must be someone else, not a friend already, and not marked."""
    return (np.not_equal(candidate, citizen) & np.not_equal(candidate, dropped)
            & np.logical_not(candidate_marked) & np.logical_not(already_friends))


def homophily_distance(candidate_score, own_score, valid):
    """Rewiring ``homophily``: candidates ranked by score distance (invalid ones last)."""
    return np.where(valid, np.abs(np.asarray(candidate_score) - own_score), np.inf)


def resolve_new_ties(citizen, candidates, valid, *, n, preference=None):
    """Which candidate each replacement proposal of a month takes, conserving ties.

    Each proposal (one dropped tie) has a row of candidate slots. Every proposal takes its
    best open slot: the first valid one, or the one with the lowest ``preference`` (ties
    broken by slot). When several proposals pick the same new pair, the first proposal (in
    row order: the canonical order of the dropped ties) gets it and the others fall back to
    their next best slot, in rounds, until every proposal has a tie or no open slot left. A
    pair picked by two proposals is made once, so a tie is lost only when a proposal runs out
    of candidates.

    Args:
        citizen: Proposer of each row, shape (P,).
        candidates: Candidate citizen per slot, shape (P, S).
        valid: Whether each slot's candidate is acceptable, shape (P, S).
        n: Number of citizens (for pair keys).
        preference: Lower is better, shape (P, S); None means slot order.

    Returns:
        Chosen slot per row, -1 where the proposal failed.
    """
    citizen = np.asarray(citizen, dtype=np.int64)
    candidates = np.asarray(candidates, dtype=np.int64)
    open_slots = np.array(valid, dtype=bool)
    rows, slots = open_slots.shape
    chosen = np.full(rows, -1, dtype=np.int64)
    if rows == 0 or slots == 0:
        return chosen
    rank = np.broadcast_to(np.arange(slots), (rows, slots)) if preference is None \
        else np.asarray(preference, dtype=float)
    order = np.argsort(rank, axis=1, kind="stable")
    taken = np.zeros(0, dtype=np.int64)
    pending = np.flatnonzero(open_slots.any(axis=1))
    while pending.size:
        ranked_open = np.take_along_axis(open_slots[pending], order[pending], axis=1)
        best = order[pending, np.argmax(ranked_open, axis=1)]
        friend = candidates[pending, best]
        keys = (np.minimum(citizen[pending], friend) * n + np.maximum(citizen[pending], friend))
        _, first = np.unique(keys, return_index=True)
        wins = np.zeros(pending.size, dtype=bool)
        wins[first] = True
        if taken.size:
            wins &= ~np.isin(keys, taken)
        chosen[pending[wins]] = best[wins]
        taken = np.union1d(taken, keys[wins])
        losers = pending[~wins]
        open_slots[losers, best[~wins]] = False
        pending = losers[open_slots[losers].any(axis=1)]
    return chosen


# --- 6. scoring -----------------------------------------------------------------------------
def own_score(*, history, points, p):
    """Score from the citizen's own record: credit history plus behaviour points since the start."""
    return np.clip(history + (points - p.initial_points) * p.score_per_point, SCORE_MIN, SCORE_MAX)


@numba.vectorize(cache=True)
def contact_factor(degree, initial_degree):
    """Contacts relative to the start, capped at 1 (the algorithm's 'lost contacts' signal)."""
    return min(degree / max(initial_degree, 1), 1.0)


@numba.vectorize(cache=True)
def _social_score(degree, initial_degree, friend_score_sum, contacts_share):
    if degree <= 0:
        return SCORE_MIN  # no friends: the minimum score
    friend_mean = friend_score_sum / degree
    scale = 1.0 - contacts_share * (1.0 - min(degree / max(initial_degree, 1), 1.0))
    return SCORE_MIN + (friend_mean - SCORE_MIN) * scale


def social_score(*, degree, initial_degree, friend_score_sum, contacts_share):
    """Network term: the friends' mean score, scaled down for lost contacts.

    With all starting contacts kept, the term equals the friends' mean score (so the network
    weight alone does not move an average citizen's score). Each lost contact shrinks the part
    above the minimum score: by a share ``contacts_share`` in proportion to the contacts lost
    (:func:`contact_factor`). A citizen without friends gets the minimum score.
    """
    return _social_score(degree, initial_degree, friend_score_sum, contacts_share)


def penalty(*, listed, months_since_delisting, p):
    """Listing penalty: full while listed, then a lingering part fading linearly.

    Args:
        listed: Whether the citizen is listed now.
        months_since_delisting: Months since the last delisting, or -1 if never delisted.
        p: The run's parameters.
    """
    m = np.asarray(months_since_delisting)
    fading = p.lingering_penalty * np.maximum(0.0, 1.0 - m / p.lingering_months)
    lingering = np.where(m >= 0, fading, 0.0)
    return np.where(listed, p.listing_penalty, lingering)


@numba.vectorize(cache=True)
def _combine_score(own, social, penalty, network_weight):
    raw = (1.0 - network_weight) * own + network_weight * social - penalty
    return min(max(np.rint(raw), SCORE_MIN), SCORE_MAX)


def combine_score(*, own, social, penalty, network_weight):
    """Final score: weighted own and network parts minus penalty, whole points in [350, 950]."""
    return _combine_score(own, social, penalty, network_weight)


# --- 7. grades ------------------------------------------------------------------------------
def grade_of(score, cutoffs):
    """Grade index 0..3 (A..D) from the score and the lowest scores of A, B and C."""
    a, b, c = cutoffs
    score = np.asarray(score)
    return (3 - (score >= c).astype(np.int8) - (score >= b).astype(np.int8)
            - (score >= a).astype(np.int8)).astype(np.int8)


def is_denied_services(grade, listed):
    """Grade D citizens and listed citizens are denied licences, permits and some services."""
    return np.logical_or(np.asarray(grade) == 3, listed)

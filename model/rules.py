"""The model's rules as pure functions of scalars or numpy arrays.

Both drivers call these and nothing else to decide what happens: the Mesa agents
(:class:`spiral.agents.citizen.Citizen`, one citizen at a time, with Python scalars) and the
array engine (:class:`spiral.model.engine.ArrayEngine`, everyone at once, with arrays). The
functions use only exactly-rounded arithmetic (``+ - * /``, comparisons, ``rint``, ``clip``),
so a scalar call and an array call give bit-identical results, and scores are whole numbers,
so sums of friends' scores do not depend on summation order.

Every random decision takes a uniform number ``u`` in [0, 1) drawn by the caller from the
stream of its process (see :mod:`spiral.model.streams`).

Example:
    >>> from spiral.model import rules
    >>> float(rules.combine_score(own=650.0, social=800.0, penalty=150.0, network_weight=0.0))
    500.0
    >>> int(rules.grade_of(500.0, (700.0, 650.0, 550.0)))  # 3 is grade D
    3
"""

from __future__ import annotations

import numpy as np

SCORE_MIN = 350.0
SCORE_MAX = 950.0
SCORE_RANGE = SCORE_MAX - SCORE_MIN

NO_LISTING, RIGHTFUL, WRONGFUL = 0, 1, 2


# --- 1. behaviour -------------------------------------------------------------------------
def deed_points(u, *, denied, p):
    """Behaviour points a citizen earns or loses this month (at most one deed per month).

    The unit interval is cut into consecutive slices: drunk driving, bribery, caring for the
    elderly, helping the poor (the first ``media_report_share`` of that slice is reported by
    the media); ``u`` falling in a slice means that deed happened. Good-deed slices shrink by
    ``denied_services_factor`` for citizens who are denied services (grade D or listed).

    Args:
        u: Uniform draw(s) in [0, 1) from the behaviour stream.
        denied: Whether the citizen is denied services (bool or bool array).
        p: The run's :class:`~spiral.model.params.Params`.

    Returns:
        Points change (int or int array).
    """
    good = np.where(np.logical_and(denied, p.denied_services), p.denied_services_factor, 1.0)
    drunk_end = p.drunk_driving_rate
    bribe_end = drunk_end + p.bribery_rate
    elder_end = bribe_end + p.elder_care_rate * good
    help_len = p.help_poor_rate * good
    help_end = elder_end + help_len
    media_end = elder_end + help_len * p.media_report_share
    return np.select(
        [u < drunk_end, u < bribe_end, u < elder_end, u < media_end, u < help_end],
        [p.drunk_driving_points, p.bribery_points, p.elder_care_points,
         p.media_report_points, p.help_poor_points],
        default=0,
    )


# --- 2. court -------------------------------------------------------------------------------
def new_listing(u, *, listing_rate, wrongful_rate):
    """Court outcome for an unlisted citizen: 0 none, 1 rightful listing, 2 wrongful listing."""
    return np.select([u < listing_rate, u < listing_rate + wrongful_rate],
                     [RIGHTFUL, WRONGFUL], default=NO_LISTING)


def is_delisted(u, *, wrongful, months_listed, term_months, compliance_rate, oversight_rate):
    """Whether a listed citizen leaves the list this month.

    Rightful listings end when the term is served or, earlier, on compliance (chance
    ``compliance_rate`` per month). Wrongful listings end only when oversight notices the
    error (chance ``oversight_rate`` per month): the listed person cannot comply their way out.
    """
    rightful_ends = np.logical_or(months_listed >= term_months, u < compliance_rate)
    return np.where(wrongful, u < oversight_rate, rightful_ends)


# --- 3. hearing and stigma ---------------------------------------------------------------------
def hears(u, hearing_prob):
    """Whether a friend hears of a listing this month."""
    return u < hearing_prob


def threshold_reached(marked_friends, degree, threshold):
    """Watts rule: at least a share ``threshold`` of one's friends are marked (degree > 0)."""
    degree = np.asarray(degree)
    return np.logical_and(degree > 0, marked_friends >= threshold * degree)


# --- 4. unfriending -------------------------------------------------------------------------
def drop_probability(fear, unfriend_rate):
    """Chance per month of dropping one risky friend; grows linearly with fear."""
    return unfriend_rate * fear


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


# --- 5. rewiring ----------------------------------------------------------------------------
def pick_index(u, k):
    """Index in ``range(k)`` chosen by uniform ``u`` (k > 0)."""
    return np.minimum((np.asarray(u) * k).astype(np.int64), np.asarray(k) - 1)


# --- 6. scoring -----------------------------------------------------------------------------
def own_score(*, history, points, p):
    """Score from the citizen's own record: credit history plus behaviour points since the start."""
    return np.clip(history + (points - p.initial_points) * p.score_per_point, SCORE_MIN, SCORE_MAX)


def contact_factor(degree, initial_degree):
    """Contacts relative to the start, capped at 1 (the algorithm's 'lost contacts' signal)."""
    return np.minimum(degree / np.maximum(initial_degree, 1), 1.0)


def social_score(*, degree, initial_degree, friend_score_sum, contacts_share):
    """Network term: the friends' mean score, scaled down for lost contacts.

    With all starting contacts kept, the term equals the friends' mean score (so the network
    weight alone does not move an average citizen's score). Each lost contact shrinks the part
    above the minimum score: by a share ``contacts_share`` in proportion to the contacts lost.
    A citizen without friends gets the minimum score.
    """
    degree = np.asarray(degree)
    safe = np.maximum(degree, 1)
    friend_mean = np.where(degree > 0, friend_score_sum / safe, SCORE_MIN)
    scale = 1.0 - contacts_share * (1.0 - contact_factor(degree, initial_degree))
    return SCORE_MIN + (friend_mean - SCORE_MIN) * scale


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


def combine_score(*, own, social, penalty, network_weight):
    """Final score: weighted own and network parts minus penalty, whole points in [350, 950]."""
    raw = (1.0 - network_weight) * own + network_weight * social - penalty
    return np.clip(np.rint(raw), SCORE_MIN, SCORE_MAX)


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

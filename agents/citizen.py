"""The citizen: one Mesa agent per person, with the model's rules spelled out step by step.

A :class:`Citizen` sits on a node of the friendship network. Each month it does (or fails to
do) a good deed, faces the court, hears whether its friends were blacklisted, decides whether
to drop risky friends and whom to befriend instead, and gets a new score and grade. Every
decision calls the shared rule functions of :mod:`spiral.model.rules`, the same ones the
array engine applies to everyone at once.

In ``random`` activation each citizen runs :meth:`Citizen.step` in turn and its choices take
effect at once. In ``synchronous`` activation the model calls the phases for everyone, and
choices that affect others (stigma, tie cuts, new ties, scores) take effect when the phase
ends, so every citizen decides on the same state.
"""

from __future__ import annotations

from mesa.discrete_space import FixedAgent
from spiral.model import rules
from spiral.model.draws import Phase
from spiral.model.params import GRADES


class Citizen(FixedAgent):
    """A citizen with a behaviour ledger, a court record, a score, fear and friends.

    Attributes:
        index: Node of the network (0..n-1), also the citizen's place in draw order.
        points: Behaviour points (Suining ledger; starts at ``initial_points``).
        history: Own credit-history score at the start.
        fear: How strongly the citizen fears for its own score (0..1).
        stigma: How strongly the citizen shuns a contact it knows to be listed (0..1).
        listed: Whether the citizen is on the court blacklist now.
        wrongful: Whether the (last) listing was an error.
        listed_since: Month of the current or last listing (-1 if never listed).
        delisted_at: Month of the last delisting (-1 if never delisted).
        stigmatised: Whether others treat the citizen as risky beyond any listing.
        heard: Friends this citizen knows to be listed.
        score: Credit score, whole points in [350, 950].
        grade: Grade index 0..3 (A..D).
        initial_degree: Number of friends at the start (the algorithm's reference).
    """

    def __init__(self, model, cell, *, index: int, history: float, fear: float,
                 stigmatised: bool, stigma: float = 0.0) -> None:
        super().__init__(model)
        self.cell = cell
        self.index = index
        self.points = model.params.initial_points
        self.history = history
        self.fear = fear
        self.stigma = stigma
        self.listed = False
        self.wrongful = False
        self.listed_since = -1
        self.delisted_at = -1
        self.stigmatised = stigmatised
        self.heard: set[int] = set()
        self.initial_degree = len(cell.connections)
        self.score = float(rules.own_score(history=history, points=self.points, p=model.params))
        self.grade = 0
        # decisions waiting for the end of a synchronous phase
        self.next_stigmatised = stigmatised
        self.next_score = self.score

    # --- who are my friends ---------------------------------------------------------------
    def friends(self) -> list[Citizen]:
        """Current friends, sorted by index (the order in which they are considered)."""
        return [self.model.citizens[i] for i in sorted(self.cell.connections)]

    @property
    def degree(self) -> int:
        """Number of friends now."""
        return len(self.cell.connections)

    @property
    def marked(self) -> bool:
        """Listed or stigmatised: risky in the eyes of the stigma rules."""
        return self.listed or self.stigmatised

    @property
    def grade_letter(self) -> str:
        """Grade as a letter A-D."""
        return GRADES[self.grade]

    # --- one month, for random activation ---------------------------------------------------
    def step(self) -> None:
        """All of this citizen's phases, effects immediate (random activation)."""
        self.do_deeds()
        self.face_court()
        self.hear_news()
        self.catch_stigma()
        self.shake_off_stigma()
        self.settle_stigma()
        cuts = [(self, friend) for friend in self.reconsider_friends()]
        self.model.change_ties(cuts)
        self.model.reconnect(self)
        self.model.turnover([self])
        self.update_score()
        self.settle_score()

    # --- 1. behaviour -------------------------------------------------------------------
    def do_deeds(self) -> None:
        """A good deed or an offence, maybe; fewer chances to do good if denied services."""
        u = self.model.draw(Phase.BEHAVIOUR, self.index)
        denied = bool(rules.is_denied_services(self.grade, self.listed))
        self.points += int(rules.deed_points(u, denied=denied, p=self.model.params))

    # --- 2. court -------------------------------------------------------------------------
    def face_court(self) -> None:
        """Leave the blacklist, or be put on it (rightfully, by error or as scripted)."""
        p, tick = self.model.params, self.model.tick
        u = self.model.draw(Phase.COURT, self.index)
        was_listed = self.listed
        if was_listed and rules.is_delisted(
                u, wrongful=self.wrongful, months_listed=tick - self.listed_since,
                term_months=p.term_months, compliance_rate=p.compliance_rate,
                oversight_rate=p.oversight_rate):
            self.model.delist(self)
        scripted = self.model.scripted_code(self.index)
        outcome = int(rules.court_outcome(u, listed=was_listed, scripted=scripted, p=p))
        if outcome != rules.NO_LISTING:
            self.model.list_citizen(self, wrongful=outcome == rules.WRONGFUL,
                                    scripted=scripted != rules.NO_LISTING)

    # --- 3. hearing and stigma --------------------------------------------------------------
    def hear_news(self) -> None:
        """Friends' listings reach this citizen with some probability each month."""
        for friend in self.friends():
            if friend.listed and friend.index not in self.heard and rules.hears(
                    self.model.draw(Phase.HEARING, self.index, friend.index),
                    self.model.params.hearing_prob):
                self.heard.add(friend.index)
                self.model.recorder.hearings(self.model.tick, [self.index], [friend.index])

    def catch_stigma(self) -> None:
        """Become stigmatised through marked friends (threshold or contagion rule)."""
        p = self.model.params
        self.next_stigmatised = self.stigmatised
        if p.stigma_rule == "none":
            return
        marked_friends = [f for f in self.friends() if f.marked]
        if p.stigma_rule == "threshold":
            if rules.catches_stigma_threshold(marked=self.marked,
                                              marked_friends=len(marked_friends),
                                              degree=self.degree, threshold=p.stigma_threshold):
                self.next_stigmatised = True
            return
        if not rules.can_catch_stigma(self.marked):
            return
        for friend in marked_friends:
            if rules.stigma_passes(self.model.draw(Phase.STIGMA_SPREAD, self.index, friend.index),
                                   p.stigma_spread):
                self.next_stigmatised = True

    def shake_off_stigma(self) -> None:
        """A stigmatised citizen who is not listed may lose the stigma (contagion rule)."""
        p = self.model.params
        if p.stigma_rule == "contagion" and self.stigmatised and rules.stigma_fades(
                self.model.draw(Phase.STIGMA_FADE, self.index), stigmatised=self.stigmatised,
                listed=self.listed, fade=p.stigma_fade):
            self.next_stigmatised = False

    def settle_stigma(self) -> None:
        """Apply this month's stigma change."""
        self.stigmatised = self.next_stigmatised

    # --- 4. unfriending -------------------------------------------------------------------
    def judges_risky(self, friend: Citizen) -> bool:
        """Whether this citizen sees ``friend`` as a risk (rules 'listed' and 'threshold').

        A friend is risky when stigmatised or known to be listed; citizens who are listed or
        stigmatised themselves have nothing left to protect and drop nobody for it.
        """
        return bool(rules.risky_marked(
            observer_marked=self.marked, friend_stigmatised=friend.stigmatised,
            friend_listed_heard=friend.listed and friend.index in self.heard))

    def risky_friends(self) -> list[Citizen]:
        """Friends at risk of being dropped under the selected rule, sorted by index."""
        p = self.model.params
        friends = self.friends()
        if p.unfriend_rule in ("listed", "threshold"):
            risky = [f for f in friends if self.judges_risky(f)]
            if p.unfriend_rule == "threshold" and not rules.threshold_acts(
                    len(risky), self.degree, p):
                return []
            return risky
        if p.unfriend_rule == "grade":
            return [f for f in friends if rules.risky_grade(f.grade, p)]
        if p.unfriend_rule == "strategic":
            friend_sum = 0.0
            for f in friends:
                friend_sum += f.score
            return [f for f in friends if rules.risky_strategic(rules.drop_gain(
                degree=self.degree, initial_degree=self.initial_degree,
                friend_score_sum=friend_sum, friend_score=f.score, p=p))]
        return []

    def drop_hazard(self, friend: Citizen, friend_sum: float) -> float:
        """Rule 'channels': this month's chance of dropping ``friend`` (stigma and fear).

        Stigma counts only for a friend this citizen has heard is listed; fear weighs what
        keeping the friend costs one's own score, as this citizen perceives it.
        """
        p = self.model.params
        heard = friend.listed and friend.index in self.heard
        cost = rules.perceived_cost(own_score=self.score, contact_score=friend.score,
                                    degree=self.degree, initial_degree=self.initial_degree,
                                    friend_score_sum=friend_sum, p=p)
        return float(rules.channel_hazard(heard=heard, stigma=self.stigma, fear=self.fear,
                                          cost=cost, p=p))

    def reconsider_friends(self) -> list[Citizen]:
        """Friends this citizen drops this month."""
        p = self.model.params
        if p.unfriend_rule == "none":
            return []
        if p.unfriend_rule == "channels":
            friends = self.friends()
            friend_sum = 0.0
            for f in friends:
                friend_sum += f.score
            return [f for f in friends
                    if self.model.draw(Phase.UNFRIEND, self.index, f.index)
                    < self.drop_hazard(f, friend_sum)]
        return [f for f in self.risky_friends()
                if rules.drops(self.model.draw(Phase.UNFRIEND, self.index, f.index),
                               fear=self.fear, unfriend_rate=p.unfriend_rate)]

    # --- 5. rewiring ----------------------------------------------------------------------
    def replacement_candidates(self, dropped: Citizen, unmarked: list[Citizen], *,
                               phase: Phase = Phase.REWIRE, how: str | None = None,
                               avoid_marked: bool = True):
        """The candidates for replacing the tie to ``dropped``, one per slot.

        Each of the ``rewire_attempts`` slots uses two keyed draws (friend of a friend: the
        intermediary, then their friend) or one (random and homophily: a citizen among
        ``unmarked``, the citizens neither listed nor stigmatised, by index). Turnover uses
        the same friend-of-friend search (``phase`` CLOSURE, marks ignored).

        Returns:
            ``(candidates, valid, preference)``: candidate index per slot, whether each is
            acceptable, and the homophily ranking (None for other rewiring modes).
        """
        p, model = self.model.params, self.model
        how = how or p.rewire
        draws = [model.draw(phase, self.index, dropped.index, slot)
                 for slot in range(2 * p.rewire_attempts)]
        friends = self.friends()
        candidates: list[int] = []
        exists: list[bool] = []
        for a in range(p.rewire_attempts):
            if how == "friend_of_friend":
                keeps_dropped = dropped.index in self.cell.connections
                others = len(friends) - keeps_dropped
                pos = friends.index(dropped) if keeps_dropped else len(friends)
                via = friends[int(rules.skip_index(rules.pick_index(draws[2 * a], max(others, 1)),
                                                   pos))] if others > 0 else None
                their = via.friends() if via is not None else []
                cand = their[int(rules.pick_index(draws[2 * a + 1], len(their)))] if their \
                    else None
            else:
                cand = unmarked[int(rules.pick_index(draws[a], len(unmarked)))] if unmarked \
                    else None
            candidates.append(self.index if cand is None else cand.index)
            exists.append(cand is not None)
        valid = [ok and bool(rules.acceptable_candidate(
            candidate=c, citizen=self.index, dropped=dropped.index,
            candidate_marked=avoid_marked and model.citizens[c].marked,
            already_friends=c in self.cell.connections)) for c, ok in zip(candidates, exists,
                                                                         strict=True)]
        preference = None
        if how == "homophily":
            preference = [float(rules.homophily_distance(model.citizens[c].score, self.score, ok))
                          for c, ok in zip(candidates, valid, strict=True)]
        return candidates, valid, preference

    # --- 6. scoring -----------------------------------------------------------------------
    def update_score(self) -> None:
        """Compute next month's score.

        It combines the own record, the listing penalty, and what the algorithm reads from the
        network (contacts relative to the start, friends' scores).
        """
        p, tick = self.model.params, self.model.tick
        friend_sum = 0.0
        for f in self.friends():
            friend_sum += f.score
        own = rules.own_score(history=self.history, points=self.points, p=p)
        social = rules.social_score(degree=self.degree, initial_degree=self.initial_degree,
                                    friend_score_sum=friend_sum, contacts_share=p.contacts_share)
        since = tick - self.delisted_at if self.delisted_at >= 0 else -1
        penalty = rules.penalty(listed=self.listed, months_since_delisting=since, p=p)
        self.next_score = float(rules.combine_score(own=own, social=social, penalty=penalty,
                                                    network_weight=p.network_weight))

    def settle_score(self) -> None:
        """Apply the new score and grade (7. grades)."""
        self.score = self.next_score
        self.grade = int(rules.grade_of(self.score, self.model.params.grade_cutoffs()))

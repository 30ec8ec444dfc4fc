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
from spiral.model.params import GRADES


class Citizen(FixedAgent):
    """A citizen with a behaviour ledger, a court record, a score, fear and friends.

    Attributes:
        index: Node of the network (0..n-1), also the citizen's place in draw order.
        points: Behaviour points (Suining ledger; starts at ``initial_points``).
        history: Own credit-history score at the start.
        fear: How strongly the citizen reacts to risky contacts (0..1).
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
                 stigmatised: bool) -> None:
        super().__init__(model)
        self.cell = cell
        self.index = index
        self.points = model.params.initial_points
        self.history = history
        self.fear = fear
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
        for friend in self.reconsider_friends():
            self.model.cut_tie(self, friend)
            if self.model.params.rewire != "none":
                new = self.propose_new_friend(friend, self.model.draw_rewiring(),
                                              self.model.unmarked_citizens())
                if new is not None:
                    self.model.add_tie(self, new)
        self.update_score()
        self.settle_score()

    # --- 1. behaviour -------------------------------------------------------------------
    def do_deeds(self) -> None:
        """A good deed or an offence, maybe; fewer chances to do good if denied services."""
        u = self.model.draw("behaviour")
        denied = bool(rules.is_denied_services(self.grade, self.listed))
        self.points += int(rules.deed_points(u, denied=denied, p=self.model.params))

    # --- 2. court -------------------------------------------------------------------------
    def face_court(self) -> None:
        """Leave the blacklist, or be put on it (rightfully, by error or as scripted)."""
        p, tick = self.model.params, self.model.tick
        u = self.model.draw("court")
        if self.listed:
            if rules.is_delisted(u, wrongful=self.wrongful, months_listed=tick - self.listed_since,
                                 term_months=p.term_months, compliance_rate=p.compliance_rate,
                                 oversight_rate=p.oversight_rate):
                self.model.delist(self)
            return
        outcome = int(rules.new_listing(u, listing_rate=p.listing_rate,
                                        wrongful_rate=p.wrongful_rate))
        scripted = self.model.scripted_listing(self.index)
        if scripted is not None:
            outcome = rules.WRONGFUL if scripted.wrongful else rules.RIGHTFUL
        if outcome != rules.NO_LISTING:
            self.model.list_citizen(self, wrongful=outcome == rules.WRONGFUL)

    # --- 3. hearing and stigma --------------------------------------------------------------
    def hear_news(self) -> None:
        """Friends' listings reach this citizen with some probability each month."""
        for friend in self.friends():
            if friend.listed and friend.index not in self.heard and rules.hears(
                    self.model.draw("hearing"), self.model.params.hearing_prob):
                self.heard.add(friend.index)

    def catch_stigma(self) -> None:
        """Become stigmatised through marked friends (threshold or contagion rule)."""
        p = self.model.params
        self.next_stigmatised = self.stigmatised
        if p.stigma_rule == "none" or self.marked:
            return
        marked_friends = [f for f in self.friends() if f.marked]
        if p.stigma_rule == "threshold":
            if rules.threshold_reached(len(marked_friends), self.degree, p.stigma_threshold):
                self.next_stigmatised = True
            return
        for _ in marked_friends:
            if self.model.draw("stigma") < p.stigma_spread:
                self.next_stigmatised = True

    def shake_off_stigma(self) -> None:
        """A stigmatised citizen who is not listed may lose the stigma (contagion rule)."""
        p = self.model.params
        if (p.stigma_rule == "contagion" and self.stigmatised and not self.listed
                and self.model.draw("stigma") < p.stigma_fade):
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
        if self.marked:
            return False
        return friend.stigmatised or (friend.listed and friend.index in self.heard)

    def risky_friends(self) -> list[Citizen]:
        """Friends at risk of being dropped under the selected rule, sorted by index."""
        p = self.model.params
        friends = self.friends()
        if p.unfriend_rule in ("listed", "threshold"):
            risky = [f for f in friends if self.judges_risky(f)]
            if p.unfriend_rule == "threshold" and not rules.threshold_reached(
                    len(risky), self.degree, p.unfriend_threshold):
                return []
            return risky
        if p.unfriend_rule == "grade":
            worst = GRADES.index(p.risky_grade)
            return [f for f in friends if f.grade >= worst]
        if p.unfriend_rule == "strategic":
            friend_sum = 0.0
            for f in friends:
                friend_sum += f.score
            return [f for f in friends
                    if rules.drop_gain(degree=self.degree, initial_degree=self.initial_degree,
                                       friend_score_sum=friend_sum, friend_score=f.score,
                                       p=p) > 0]
        return []

    def reconsider_friends(self) -> list[Citizen]:
        """Risky friends this citizen drops this month (chance grows with fear)."""
        p = self.model.params
        if p.unfriend_rule == "none":
            return []
        chance = rules.drop_probability(self.fear, p.unfriend_rate)
        return [f for f in self.risky_friends() if self.model.draw("unfriending") < chance]

    # --- 5. rewiring ----------------------------------------------------------------------
    def acceptable_new_friend(self, other: Citizen, dropped: Citizen) -> bool:
        """A new friend must be someone else, not a friend already, and not risky."""
        return (other is not self and other is not dropped and not other.marked
                and other.index not in self.cell.connections)

    def propose_new_friend(self, dropped: Citizen, draws: list[float],
                           unmarked: list[Citizen]) -> Citizen | None:
        """Whom to befriend instead of ``dropped``, from ``2 * rewire_attempts`` draws.

        ``unmarked`` are the citizens neither listed nor stigmatised, by index: the pool a
        random or homophilous replacement is drawn from.
        """
        p = self.model.params
        attempts = p.rewire_attempts
        if p.rewire == "friend_of_friend":
            others = [f for f in self.friends() if f is not dropped]
            for a in range(attempts):
                if not others:
                    return None
                via = others[int(rules.pick_index(draws[2 * a], len(others)))]
                their_friends = via.friends()
                cand = their_friends[int(rules.pick_index(draws[2 * a + 1], len(their_friends)))]
                if self.acceptable_new_friend(cand, dropped):
                    return cand
            return None
        if not unmarked:
            return None
        candidates = [unmarked[int(rules.pick_index(u, len(unmarked)))] for u in draws[:attempts]]
        valid = [c for c in candidates if self.acceptable_new_friend(c, dropped)]
        if not valid:
            return None
        if p.rewire == "homophily":
            return min(valid, key=lambda c: abs(c.score - self.score))
        return valid[0]

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

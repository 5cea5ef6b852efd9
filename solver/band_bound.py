"""A peer group's priced problem bounded with its equity band and whole units kept.

The LP relaxation lets a participant hold 0.3 of a car so that v/need sits exactly at the
band's cap; with whole units nobody can, and when points sit on one expensive favourite the
LP's bound is far above what any allocation reaches. This bound keeps each participant's
units whole and relaxes only what couples them.

For a cap C on every participant's v/need, the band holds exactly when the participants'
ratios sum to at least R(C) = n (C - absolute) / (1 + tolerance) (n participants): then the
highest ratio, at most C, is within the band of the mean. For any multiplier mu >= 0,

    F(C) <= sum over participants of max over their own choices with v/need <= C of
                (satisfaction - priced use + mu v/need)  -  mu R(C),

and the group's priced optimum is the largest F(C) over C. Each participant's choices are
their listed bundles (`solver.bundles`), or, when there are too many to list, every
combination of whole units (exclusive tiers and requirements relaxed; prerequisites may
come alone, adding value), as (employer cost, satisfaction - priced use) points merged by
cost; when there are more than POINTS points, neighbours merge into one optimistic point
(the cheapest cost for what fits, the dearest for the value it adds): a relaxation again.
Over an interval [lo, hi] of C, the choices that fit hi with v capped at what lo allows,
and R(lo) less what the capped ratios may still gain, bound every C in it; the intervals
with the highest bound are split (a work limit, INTERVALS), and the largest interval bound
is the group's. For fixed C each participant's term is a convex piecewise-linear function
of mu (the upper envelope of lines), so the best mu is found
exactly by sweeping the envelopes' breakpoints.

Top-ups: a line's employer cost is its cost minus what the person pays (at most their
top-up limit), so v ranges over [cost - T, cost] (and within the allowance and C need);
the money the person pays saves at most the dearest budget price of their candidates.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from solver.bundles import Bundle, bundle_options
from solver.candidates import GroupRule, Person

POINTS = 64  # per participant: (cost, value) points kept before neighbours merge
EDGES = 16  # the first intervals of the cap C, between breakpoints of the choices
INTERVALS = 256  # per group: evaluations of the cap C at most (a work limit)
# ...and at most this many participant points evaluated in all (a large group's bound costs
# about what a group of a few hundred persons costs: fewer, coarser intervals).
POINT_WORK = 400_000
PRECISION = 1e-3  # stop splitting within this much satisfaction per participant


@dataclass(frozen=True, slots=True)
class _Point:
    low: int  # the employer cost's lower end (what must fit)
    high: int  # its upper end (the value it may add to v)
    value: float  # satisfaction minus the priced use of places and full-cost money


@dataclass(frozen=True, slots=True)
class _Choices:
    """One participant's whole-unit choices and what turns them into lines in mu."""

    points: tuple[_Point, ...]
    need: float
    allowance: float  # inf: none
    top_up: float
    refund: float  # the largest budget price a unit of top-up money can save


Line = tuple[float, float]  # (intercept, slope in mu)


def band_term(
    rule: GroupRule,
    persons: Sequence[Person],
    prices: Mapping[str, tuple[float, float]],
    *,
    intervals: int = INTERVALS,
) -> float | None:
    """An upper bound of the group's priced problem (`prices[benefit]`: price per unit of
    employer money, per place), or None when the group has no band (nothing to add)."""
    if not rule.banded:
        return None
    choices = [
        _choices(person, prices) for person in persons if person.participant and person.candidates
    ]
    if not choices:
        return 0.0
    top = max(_highest_ratio(c) for c in choices)
    factor = float(1 + rule.tolerance)

    def required(cap: float) -> float:
        return rule.participants * (cap - rule.absolute) / factor

    # A participant whose every choice fits lo whole has the same envelope for any C above.
    whole = [_envelope(_lines(c, math.inf, math.inf)[0]) for c in choices]
    fits = [_whole_fit(c) for c in choices]

    def bound(lo: float, hi: float) -> float:
        envelopes: list[list[Line]] = []
        rising = 0
        for c, envelope, fit in zip(choices, whole, fits, strict=True):
            if lo >= fit:
                envelopes.append(envelope)
                continue
            lines, rises = _lines(c, lo, hi)
            envelopes.append(_envelope(lines))
            rising += rises
        # Between lo and hi a rising participant's ratio gains at most hi - lo; R gains
        # n (hi - lo) / (1 + tolerance): only the excess of the first loosens the bound.
        slack = (hi - lo) * max(0.0, rising - rule.participants / factor)
        return _minimise(envelopes, required(lo) - slack)

    points = sum(len(c.points) for c in choices)
    intervals = min(intervals, max(3, POINT_WORK // points))
    edges = _edges(choices, top, max(1, min(EDGES, intervals - 2)))
    heap: list[tuple[float, float, float]] = []  # (-bound, lo, hi)
    for lo, hi in itertools.pairwise(edges):
        heapq.heappush(heap, (-bound(lo, hi), lo, hi))
    reached = bound(top, top)  # every C >= top: no more choices, R only grows
    spent = len(heap) + 1
    # Split the interval with the highest bound until it is within PRECISION of the best
    # single cap evaluated (no interval can then lift the bound by more) or the work is done.
    while spent + 3 <= intervals and heap[0][2] - heap[0][1] > 1.0:
        if -heap[0][0] - reached <= PRECISION * rule.participants:
            break
        _, lo, hi = heapq.heappop(heap)
        middle = (lo + hi) / 2
        reached = max(reached, bound(middle, middle))
        heapq.heappush(heap, (-bound(lo, middle), lo, middle))
        heapq.heappush(heap, (-bound(middle, hi), middle, hi))
        spent += 3
    return max(0.0, reached, -heap[0][0])


def _choices(person: Person, prices: Mapping[str, tuple[float, float]]) -> _Choices:
    refund = max(prices[candidate.benefit][0] for candidate in person.candidates)
    bundles = bundle_options(person)
    if bundles is not None:
        points = _bundle_points(bundles, prices)
    else:
        points = _relaxed_points(person, prices)
    allowance = math.inf if person.allowance is None else float(person.allowance)
    return _Choices(
        tuple(points[key] for key in sorted(points)),
        float(person.need),
        allowance,
        float(person.top_up_limit),
        refund,
    )


def _bundle_points(
    bundles: tuple[Bundle, ...], prices: Mapping[str, tuple[float, float]]
) -> dict[int, _Point]:
    """The listed bundles (every valid choice, exactly), the best at each cost."""
    points: dict[int, _Point] = {}
    for bundle in bundles:
        value = bundle.satisfaction - sum(
            n * (prices[c.benefit][1] + prices[c.benefit][0] * c.cost) for c, n in bundle.units
        )
        found = points.get(bundle.cost)
        if found is None or found.value < value:
            points[bundle.cost] = _Point(bundle.cost, bundle.cost, value)
    return _thinned(points)


def _relaxed_points(person: Person, prices: Mapping[str, tuple[float, float]]) -> dict[int, _Point]:
    """Every combination of whole units, tiers and requirements relaxed, merged by cost."""
    points = {0: _Point(0, 0, 0.0)}
    for candidate in person.candidates:
        money, place = prices[candidate.benefit]
        weight = 0.0
        if candidate.points > 0:
            weight = candidate.points / (candidate.wanted_units * person.total_points)
        options = [
            (units * candidate.cost, weight * min(units, candidate.wanted_units)
             - units * (place + money * candidate.cost))
            for units in range(1, candidate.max_units + 1)
        ]  # fmt: skip
        merged = dict(points)
        for point in points.values():
            for cost, value in options:
                low, high = point.low + cost, point.high + cost
                if person.allowance is not None and low - person.top_up_limit > person.allowance:
                    continue  # can never fit the allowance
                found = merged.get(low, _Point(low, high, -math.inf))
                merged[low] = _Point(
                    low, max(high, found.high), max(point.value + value, found.value)
                )
        points = _thinned(merged)
    return points


def _thinned(points: dict[int, _Point]) -> dict[int, _Point]:
    """At most POINTS points: neighbours by cost merged into optimistic ones."""
    ordered = [points[key] for key in sorted(points)]
    while len(ordered) > POINTS:
        pairs = [
            _Point(a.low, max(a.high, b.high), max(a.value, b.value))
            for a, b in zip(ordered[0::2], ordered[1::2], strict=False)
        ]
        if len(ordered) % 2:
            pairs.append(ordered[-1])
        ordered = pairs
    return {point.low: point for point in ordered}


def _whole_fit(choices: _Choices) -> float:
    """The smallest cap C from which every choice fits with its whole value in v."""
    most = max(point.high for point in choices.points)
    if most > choices.allowance:
        return math.inf
    return most / choices.need


def _highest_ratio(choices: _Choices) -> float:
    most = max(point.high for point in choices.points)
    return min(float(most), choices.allowance) / choices.need


def _edges(choices: Sequence[_Choices], top: float, count: int) -> list[float]:
    """Interval ends in C: where a participant's choices change, at most `count` + 1."""
    found = {0.0, top}
    for c in choices:
        for point in c.points:
            for cost in (point.low - c.top_up, point.low):
                if 0 < cost <= c.allowance:
                    found.add(min(top, cost / c.need))
    edges = sorted(found)
    if len(edges) > count + 1:
        step = (len(edges) - 1) / count
        edges = sorted({edges[round(index * step)] for index in range(count + 1)})
    return edges


def _lines(choices: _Choices, lo: float, hi: float) -> tuple[list[Line], bool]:
    """The participant's options for any cap C in [lo, hi] as lines in mu: value + mu v/need,
    v at either end of its range (the best v for any mu is at an end). A choice counts when
    it fits hi; its v is capped at what lo allows (True: some v could rise with C, by at
    most (C - lo) need)."""
    room_lo = min(choices.allowance, lo * choices.need)
    room_hi = min(choices.allowance, hi * choices.need)
    lines: list[Line] = []
    rises = False
    for point in choices.points:  # by increasing cost
        lowest = max(0.0, point.low - choices.top_up)
        if lowest > room_hi:
            break
        highest = max(lowest, min(float(point.high), room_lo))
        rises = rises or min(float(point.high), room_hi) > highest
        base = point.value + choices.refund * point.high
        for v in {lowest, highest}:
            lines.append((base - choices.refund * v, v / choices.need))
    return lines, rises


def _envelope(lines: list[Line]) -> list[Line]:
    """The upper envelope of lines over mu >= 0, by increasing slope."""
    ordered = sorted(lines, key=lambda line: (line[1], line[0]))
    hull: list[Line] = []
    for line in ordered:
        while hull and hull[-1][1] == line[1]:
            hull.pop()  # same slope: the later one has the larger intercept
        while hull and hull[-1][0] <= line[0]:
            hull.pop()  # dominated on mu >= 0
        while len(hull) >= 2 and _crossing(hull[-2], hull[-1]) >= _crossing(hull[-1], line):
            hull.pop()
        hull.append(line)
    return hull


def _crossing(a: Line, b: Line) -> float:
    """Where line b (steeper) overtakes line a."""
    return (a[0] - b[0]) / (b[1] - a[1])


def _minimise(envelopes: Sequence[list[Line]], required: float) -> float:
    """min over mu >= 0 of (sum of the envelopes at mu) - mu required: the sum starts with each
    envelope's first line and gains slope at each envelope's breakpoints; the minimum is where
    the total slope first reaches `required`."""
    value = sum(envelope[0][0] for envelope in envelopes)
    slope = sum(envelope[0][1] for envelope in envelopes) - required
    if slope >= 0:
        return value
    events: list[tuple[float, float]] = []  # (mu, slope gained)
    for envelope in envelopes:
        for a, b in itertools.pairwise(envelope):
            events.append((_crossing(a, b), b[1] - a[1]))
    events.sort()
    at = 0.0
    for mu, gained in events:
        value += slope * (mu - at)
        at = mu
        slope += gained
        if slope >= 0:
            return value
    return -math.inf  # the ratios can never reach R(C): no allocation has this cap

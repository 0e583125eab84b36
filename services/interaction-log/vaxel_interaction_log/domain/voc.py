"""Voice of the customer: what customers called about, and what they said, per queue and week.

The store counts per ISO week (in the tenant's zone) and queue: interactions begun, of which
wrapped up, each wrap-up disposition and tag, survey answers per score, and the latest survey
comments. :func:`voice_of_customer` turns those tallies into rows, one per queue and week plus
an all-queues row (queue ``""``), with shares and rising topics:

- a topic's *share* is the interactions carrying it over the interactions wrapped up in that
  queue and week (a disposition or tag is given at wrap-up);
- a topic is *rising* when its share this week exceeds its *baseline*, the mean share over the
  previous 4 weeks that had wrapped-up interactions (a week without any tells nothing and is
  left out; without any such week nothing rises). It must count at least ``min_count``
  interactions this week, so that two complaints in a quiet week do not top the list. Rising
  topics are ranked by the rise (share minus baseline), then by count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from vaxel_common.errors import InvalidArgument
from vaxel_interaction_log.domain.calendar import week_start

__all__ = [
    "BASELINE_WEEKS",
    "Comment",
    "RisingTopic",
    "ScoreTally",
    "SurveyStats",
    "TopicKind",
    "TopicShare",
    "TopicTally",
    "VocFacts",
    "VocOptions",
    "VocRow",
    "WeekVolume",
    "options",
    "voice_of_customer",
]

BASELINE_WEEKS = 4
SCORES = range(1, 6)


class TopicKind(Enum):
    DISPOSITION = "disposition"
    TAG = "tag"


@dataclass(frozen=True, slots=True)
class WeekVolume:
    week: int
    queue_id: str
    interactions: int
    wrapped_up: int


@dataclass(frozen=True, slots=True)
class TopicTally:
    week: int
    queue_id: str
    kind: TopicKind
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class ScoreTally:
    week: int
    queue_id: str
    score: int
    count: int


@dataclass(frozen=True, slots=True)
class Comment:
    week: int
    queue_id: str
    interaction_id: str
    started_us: int
    score: int
    text: str


@dataclass(frozen=True, slots=True)
class VocFacts:
    """The store's tallies over the requested weeks and the 4 before them."""

    volumes: tuple[WeekVolume, ...] = ()
    topics: tuple[TopicTally, ...] = ()
    scores: tuple[ScoreTally, ...] = ()
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True, slots=True)
class VocOptions:
    comments_per_row: int = 5
    rising_per_row: int = 5
    min_count: int = 5


@dataclass(frozen=True, slots=True)
class TopicShare:
    kind: TopicKind
    name: str
    count: int
    share: float


@dataclass(frozen=True, slots=True)
class RisingTopic:
    kind: TopicKind
    name: str
    count: int
    share: float
    baseline_share: float

    @property
    def rise(self) -> float:
        return self.share - self.baseline_share


@dataclass(frozen=True, slots=True)
class SurveyStats:
    score_counts: tuple[int, ...] = (0, 0, 0, 0, 0)  # score 1 first

    @property
    def answers(self) -> int:
        return sum(self.score_counts)

    @property
    def average(self) -> float | None:
        if not self.answers:
            return None
        return sum(s * n for s, n in zip(SCORES, self.score_counts, strict=True)) / self.answers


@dataclass(frozen=True, slots=True)
class VocRow:
    queue_id: str
    week: int
    interactions: int = 0
    wrapped_up: int = 0
    dispositions: tuple[TopicShare, ...] = ()
    tags: tuple[TopicShare, ...] = ()
    survey: SurveyStats = field(default_factory=SurveyStats)
    comments: tuple[Comment, ...] = ()
    rising: tuple[RisingTopic, ...] = ()

    @property
    def monday(self) -> date:
        return week_start(self.week)


def _bounded(field_name: str, value: int, default: int, most: int) -> int:
    if value == 0:
        return default
    if not 0 < value <= most:
        raise InvalidArgument(field_name, f"1 to {most} (0: {default})")
    return value


def options(comments_per_row: int, rising_per_row: int, min_count: int) -> VocOptions:
    """Request options, 0 meaning the default."""
    return VocOptions(
        comments_per_row=_bounded("comments_per_row", comments_per_row, 5, 50),
        rising_per_row=_bounded("rising_topics_per_row", rising_per_row, 5, 20),
        min_count=_bounded("rising_min_count", min_count, 5, 1_000_000),
    )


Key = tuple[str, int]  # (queue, week)
TopicKey = tuple[str, str]  # (kind's value, name): plain strings hash fast


class _Tallies:
    """Counts per (queue, week); the all-queues key is queue ``""``."""

    def __init__(self, facts: VocFacts, *, all_queues: bool) -> None:
        self.volumes: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
        self.topics: dict[Key, dict[TopicKey, int]] = defaultdict(lambda: defaultdict(int))
        self.scores: dict[Key, list[int]] = defaultdict(lambda: [0] * len(SCORES))
        self.comments: dict[Key, list[Comment]] = defaultdict(list)

        def keys(queue: str, week: int) -> Iterable[Key]:
            yield (queue, week)
            if all_queues:
                yield ("", week)

        for v in facts.volumes:
            for key in keys(v.queue_id, v.week):
                self.volumes[key][0] += v.interactions
                self.volumes[key][1] += v.wrapped_up
        for t in facts.topics:
            for key in keys(t.queue_id, t.week):
                self.topics[key][(t.kind.value, t.name)] += t.count
        for s in facts.scores:
            if s.score in SCORES:
                for key in keys(s.queue_id, s.week):
                    self.scores[key][s.score - 1] += s.count
        for c in facts.comments:
            for key in keys(c.queue_id, c.week):
                self.comments[key].append(c)

    def wrapped(self, key: Key) -> int:
        held = self.volumes.get(key)
        return held[1] if held else 0


def _shares(tallies: _Tallies, key: Key, kind: TopicKind) -> tuple[TopicShare, ...]:
    counted = tallies.topics.get(key, {})
    wrapped = tallies.wrapped(key)
    wanted = kind.value
    found = [
        TopicShare(kind, name, n, n / wrapped if wrapped else 0.0)
        for (k, name), n in counted.items()
        if k == wanted
    ]
    return tuple(sorted(found, key=lambda t: (-t.count, t.name)))


def _rising(tallies: _Tallies, key: Key, opts: VocOptions) -> tuple[RisingTopic, ...]:
    queue, week = key
    history = [
        (tallies.topics.get((queue, w), {}), tallies.wrapped((queue, w)))
        for w in range(week - BASELINE_WEEKS, week)
        if tallies.wrapped((queue, w)) > 0
    ]
    wrapped = tallies.wrapped(key)
    if not history or not wrapped:
        return ()
    found = []
    for topic, count in tallies.topics.get(key, {}).items():
        if count < opts.min_count:
            continue
        share = count / wrapped
        baseline = sum(counts.get(topic, 0) / base for counts, base in history) / len(history)
        if share > baseline:
            found.append(RisingTopic(TopicKind(topic[0]), topic[1], count, share, baseline))
    found.sort(key=lambda r: (-r.rise, -r.count, r.kind.value, r.name))
    return tuple(found[: opts.rising_per_row])


def _row(tallies: _Tallies, key: Key, opts: VocOptions, *, with_comments: bool) -> VocRow:
    interactions, wrapped = tallies.volumes.get(key, [0, 0])
    comments: tuple[Comment, ...] = ()
    if with_comments:
        latest = sorted(tallies.comments.get(key, []), key=lambda c: (c.started_us, c.interaction_id))
        comments = tuple(reversed(latest[-opts.comments_per_row :]))
    return VocRow(
        queue_id=key[0],
        week=key[1],
        interactions=interactions,
        wrapped_up=wrapped,
        dispositions=_shares(tallies, key, TopicKind.DISPOSITION),
        tags=_shares(tallies, key, TopicKind.TAG),
        survey=SurveyStats(tuple(tallies.scores.get(key, [0] * len(SCORES)))),
        comments=comments,
        rising=_rising(tallies, key, opts),
    )


def voice_of_customer(
    facts: VocFacts,
    weeks: range,
    queue_id: str,
    opts: VocOptions,
    *,
    with_comments: bool,
) -> list[VocRow]:
    """Rows for ``weeks`` (week numbers), by week then queue: with a queue asked for, one row per
    week for it; else an all-queues row per week and a row per queue that had interactions."""
    tallies = _Tallies(facts, all_queues=not queue_id)
    rows: list[VocRow] = []
    for week in weeks:
        if queue_id:
            keys = [(queue_id, week)]
        else:
            queues = sorted({q for q, w in tallies.volumes if w == week and q})
            keys = [("", week)] + [(q, week) for q in queues if tallies.volumes[(q, week)][0] > 0]
        rows.extend(_row(tallies, key, opts, with_comments=with_comments) for key in keys)
    return rows

"""Voice of the customer: shares per queue and week, survey figures, latest comments, rising topics."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from vaxel_common.errors import InvalidArgument
from vaxel_interaction_log.domain.voc import (
    Comment,
    ScoreTally,
    TopicKind,
    TopicTally,
    VocFacts,
    VocOptions,
    WeekVolume,
    options,
    voice_of_customer,
)

W = 2880  # a week number (weeks since Monday 1969-12-29)
DISP, TAG = TopicKind.DISPOSITION, TopicKind.TAG


def baseline_weeks(queue: str, wrapped: int, complaints: int, weeks: range) -> list[object]:
    facts: list[object] = []
    for week in weeks:
        facts.append(WeekVolume(week, queue, wrapped + 5, wrapped))
        facts.append(TopicTally(week, queue, TAG, "complaint", complaints))
        facts.append(TopicTally(week, queue, TAG, "praise", 10))
    return facts


def facts_of(items: Sequence[object]) -> VocFacts:
    return VocFacts(
        volumes=tuple(i for i in items if isinstance(i, WeekVolume)),
        topics=tuple(i for i in items if isinstance(i, TopicTally)),
        scores=tuple(i for i in items if isinstance(i, ScoreTally)),
        comments=tuple(i for i in items if isinstance(i, Comment)),
    )


class TestRows:
    def test_shares_survey_figures_and_the_all_queues_row(self) -> None:
        facts = facts_of(
            [
                WeekVolume(W, "billing", 12, 10),
                WeekVolume(W, "support", 8, 5),
                TopicTally(W, "billing", DISP, "solved", 6),
                TopicTally(W, "billing", DISP, "escalated", 4),
                TopicTally(W, "support", DISP, "solved", 5),
                TopicTally(W, "billing", TAG, "complaint", 3),
                ScoreTally(W, "billing", 5, 2),
                ScoreTally(W, "billing", 2, 1),
                ScoreTally(W, "support", 4, 1),
            ]
        )
        rows = voice_of_customer(facts, range(W, W + 1), "", VocOptions(), with_comments=True)
        assert [r.queue_id for r in rows] == ["", "billing", "support"]
        everyone, billing, _ = rows
        assert (everyone.interactions, everyone.wrapped_up) == (20, 15)
        assert [(t.name, t.count) for t in everyone.dispositions] == [("solved", 11), ("escalated", 4)]
        assert [t.share for t in everyone.dispositions] == pytest.approx([11 / 15, 4 / 15])
        assert [t.name for t in billing.tags] == ["complaint"]
        assert billing.tags[0].share == pytest.approx(0.3)
        assert billing.survey.score_counts == (0, 1, 0, 0, 2)
        assert billing.survey.average == pytest.approx(4.0)
        assert everyone.survey.answers == 4
        assert everyone.survey.average == pytest.approx(16 / 4)

    def test_every_week_has_an_all_queues_row_and_quiet_queues_no_row(self) -> None:
        facts = facts_of([WeekVolume(W + 1, "billing", 3, 3)])
        rows = voice_of_customer(facts, range(W, W + 3), "", VocOptions(), with_comments=True)
        assert [(r.week, r.queue_id) for r in rows] == [(W, ""), (W + 1, ""), (W + 1, "billing"), (W + 2, "")]
        assert rows[0].survey.average is None
        assert rows[0].monday.weekday() == 0

    def test_a_queue_asked_for_gets_a_row_every_week(self) -> None:
        facts = facts_of([WeekVolume(W + 1, "billing", 3, 3)])
        rows = voice_of_customer(facts, range(W, W + 2), "billing", VocOptions(), with_comments=True)
        assert [(r.week, r.queue_id, r.interactions) for r in rows] == [
            (W, "billing", 0),
            (W + 1, "billing", 3),
        ]

    def test_the_latest_comments_latest_first_and_only_when_allowed(self) -> None:
        comments = [Comment(W, q, f"i{n}", n, 3, f"c{n}") for n, q in enumerate(["a", "b", "a", "b", "a"])]
        facts = facts_of([WeekVolume(W, "a", 3, 3), WeekVolume(W, "b", 2, 2), *comments])
        rows = voice_of_customer(
            facts, range(W, W + 1), "", VocOptions(comments_per_row=2), with_comments=True
        )
        assert [[c.text for c in r.comments] for r in rows] == [["c4", "c3"], ["c4", "c2"], ["c3", "c1"]]
        hidden = voice_of_customer(facts, range(W, W + 1), "", VocOptions(), with_comments=False)
        assert all(r.comments == () for r in hidden)


class TestRisingTopics:
    def test_a_topic_whose_share_rose_ranks_first(self) -> None:
        history = baseline_weeks("q", 100, 5, range(W - 4, W))
        now = [
            WeekVolume(W, "q", 110, 100),
            TopicTally(W, "q", TAG, "complaint", 25),  # 5% -> 25%
            TopicTally(W, "q", TAG, "praise", 12),  # 10% -> 12%
            TopicTally(W, "q", DISP, "defect", 8),  # new: 0% -> 8%
            TopicTally(W, "q", TAG, "cancellation", 4),  # new but below the minimum count
        ]
        (row,) = voice_of_customer(
            facts_of(history + now), range(W, W + 1), "q", VocOptions(), with_comments=True
        )
        assert [(r.kind, r.name) for r in row.rising] == [
            (TAG, "complaint"),
            (DISP, "defect"),
            (TAG, "praise"),
        ]
        first = row.rising[0]
        assert [first.share, first.baseline_share, first.rise] == pytest.approx([0.25, 0.05, 0.20])

    def test_weeks_without_wrap_ups_are_left_out_of_the_baseline(self) -> None:
        history = baseline_weeks("q", 100, 20, range(W - 2, W))  # two quiet weeks before, W-4 and W-3
        now = [WeekVolume(W, "q", 100, 100), TopicTally(W, "q", TAG, "complaint", 30)]
        (row,) = voice_of_customer(
            facts_of(history + now), range(W, W + 1), "q", VocOptions(), with_comments=True
        )
        assert row.rising[0].baseline_share == pytest.approx(0.20)

    def test_nothing_rises_without_a_history_or_when_shares_fall(self) -> None:
        now = [WeekVolume(W, "q", 10, 10), TopicTally(W, "q", TAG, "complaint", 9)]
        (row,) = voice_of_customer(facts_of(now), range(W, W + 1), "q", VocOptions(), with_comments=True)
        assert row.rising == ()
        falling = [
            *baseline_weeks("q", 100, 50, range(W - 4, W)),
            WeekVolume(W, "q", 100, 100),
            TopicTally(W, "q", TAG, "complaint", 10),
        ]
        (row,) = voice_of_customer(facts_of(falling), range(W, W + 1), "q", VocOptions(), with_comments=True)
        assert row.rising == ()

    def test_the_number_of_rising_topics_is_bounded(self) -> None:
        history: list[object] = [WeekVolume(w, "q", 100, 100) for w in range(W - 4, W)]
        now: list[object] = [WeekVolume(W, "q", 100, 100)]
        now += [TopicTally(W, "q", TAG, f"t{n}", 5 + n) for n in range(10)]
        (row,) = voice_of_customer(
            facts_of(history + now), range(W, W + 1), "q", VocOptions(rising_per_row=3), with_comments=True
        )
        assert [r.name for r in row.rising] == ["t9", "t8", "t7"]


class TestOptions:
    def test_zero_means_the_default_and_bounds_name_the_field(self) -> None:
        assert options(0, 0, 0) == VocOptions(5, 5, 5)
        for args, field in (((51, 0, 0), "comments_per_row"), ((0, 21, 0), "rising_topics_per_row")):
            with pytest.raises(InvalidArgument) as err:
                options(*args)
            assert err.value.field == field

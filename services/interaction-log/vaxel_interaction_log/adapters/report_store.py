"""SQL for the tenant reports and the surveys, on the interaction store's database.

Reports aggregate in the database (one pass over the tenant's period per constant-offset
segment, served by the ``interactions_reports`` covering index); local days and ISO weeks are
integer arithmetic on the UTC microseconds (see :mod:`vaxel_interaction_log.domain.calendar`),
so SQLite and PostgreSQL group alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from vaxel_common.db import Database
from vaxel_interaction_log.domain.calendar import DAY_US, Segment, day_of
from vaxel_interaction_log.domain.search import from_micros, to_micros
from vaxel_interaction_log.domain.surveys import SurveyRequest
from vaxel_interaction_log.domain.timeline import InteractionRecord, Outcome
from vaxel_interaction_log.domain.usage import DayUsage
from vaxel_interaction_log.domain.voc import (
    Comment,
    ScoreTally,
    TopicKind,
    TopicTally,
    VocFacts,
    WeekVolume,
)

__all__ = ["SqlReports", "SqlSurveyLedger"]

_CHUNK = 500


def _day(column: str = "started_us") -> str:
    """The local day number of ``column`` (one placeholder: the segment's offset)."""
    return f"(({column} + CAST(? AS BIGINT)) / {DAY_US})"


def _week(column: str = "started_us") -> str:
    """The ISO week number (weeks since Monday 1969-12-29) of ``column``."""
    return f"(({_day(column)} + 3) / 7)"


_MINUTE_US = 60_000_000
# Talk plus wrap-up of one handled interaction, rounded up to whole minutes, at least one.
_HANDLED = "(COALESCE(wrapped_up_us, ended_us) - connected_us)"
_MINUTES = (
    f"CASE WHEN {_HANDLED} <= {_MINUTE_US} THEN 1 ELSE ({_HANDLED} + {_MINUTE_US - 1}) / {_MINUTE_US} END"
)


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqlReports:
    """Voice-of-the-customer tallies and usage per local day (the domain's ReportReader)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def _where(
        self, tenant_id: str, segment: Segment, queue_id: str, alias: str = ""
    ) -> tuple[str, list[Any]]:
        p = f"{alias}." if alias else ""
        where = f"{p}tenant_id = ? AND {p}started_us >= ? AND {p}started_us < ?"
        params: list[Any] = [tenant_id, segment.start_us, segment.end_us]
        if queue_id:
            where += f" AND {p}queue_id = ?"
            params.append(queue_id)
        return where, params

    def voc_facts(
        self, tenant_id: str, segments: tuple[Segment, ...], queue_id: str, comments_per_row: int
    ) -> VocFacts:
        volumes: list[WeekVolume] = []
        topics: list[TopicTally] = []
        scores: list[ScoreTally] = []
        comments: list[Comment] = []
        for segment in segments:
            where, params = self._where(tenant_id, segment, queue_id)
            off = segment.offset_us
            # One pass: per week, queue, disposition and score; the domain sums the rest.
            rows = self._db.fetchall(
                f"SELECT {_week()}, queue_id, disposition, survey_score, COUNT(*), COUNT(wrapped_up_us)"  # noqa: S608  (fixed text)
                f" FROM interactions WHERE {where} GROUP BY 1, 2, 3, 4",
                (off, *params),
            )
            per_volume: dict[tuple[int, str], list[int]] = {}
            per_disposition: dict[tuple[int, str, str], int] = defaultdict(int)
            per_score: dict[tuple[int, str, int], int] = defaultdict(int)
            for week, queue, disposition, score, count, wrapped in rows:
                held = per_volume.setdefault((int(week), queue), [0, 0])
                held[0] += int(count)
                held[1] += int(wrapped)
                if disposition:
                    per_disposition[(int(week), queue, disposition)] += int(count)
                if score:
                    per_score[(int(week), queue, int(score))] += int(count)
            volumes.extend(WeekVolume(w, q, n, wrapped) for (w, q), (n, wrapped) in per_volume.items())
            topics.extend(
                TopicTally(w, q, TopicKind.DISPOSITION, d, n) for (w, q, d), n in per_disposition.items()
            )
            scores.extend(ScoreTally(w, q, score, n) for (w, q, score), n in per_score.items())
            where_i, params_i = self._where(tenant_id, segment, queue_id, "i")
            for week, queue, tag, count in self._db.fetchall(
                f"SELECT {_week('i.started_us')}, i.queue_id, t.tag, COUNT(*) FROM interactions i"  # noqa: S608
                " JOIN interaction_tags t ON t.tenant_id = i.tenant_id AND t.interaction_id = i.interaction_id"
                f" WHERE {where_i} GROUP BY 1, 2, 3",
                (off, *params_i),
            ):
                topics.append(TopicTally(int(week), queue, TopicKind.TAG, tag, int(count)))
            for week, queue, interaction_id, started, score, text in self._db.fetchall(
                f"SELECT week, queue_id, interaction_id, started_us, survey_score, survey_comment FROM ("  # noqa: S608
                f" SELECT {_week()} AS week, queue_id, interaction_id, started_us, survey_score, survey_comment,"
                f" ROW_NUMBER() OVER (PARTITION BY queue_id, {_week()}"
                " ORDER BY started_us DESC, interaction_id DESC) AS n"
                f" FROM interactions WHERE {where} AND survey_comment <> '') ranked WHERE n <= ?",
                (off, off, *params, comments_per_row),
            ):
                comments.append(Comment(int(week), queue, interaction_id, int(started), int(score), text))
        return VocFacts(tuple(volumes), tuple(topics), tuple(scores), tuple(comments))

    def usage_by_day(self, tenant_id: str, segments: tuple[Segment, ...]) -> list[DayUsage]:
        found: list[DayUsage] = []
        for segment in segments:
            where, params = self._where(tenant_id, segment, "")
            for day, channel, count, minutes in self._db.fetchall(
                f"SELECT {_day()}, channel, COUNT(*), SUM({_MINUTES}) FROM interactions"  # noqa: S608
                f" WHERE {where} AND outcome = ? AND connected_us IS NOT NULL AND ended_us IS NOT NULL"
                " GROUP BY 1, 2",
                (segment.offset_us, *params, Outcome.ANSWERED.value),
            ):
                found.append(DayUsage(day_of(int(day)), int(channel), int(count), int(minutes)))
        return found


class SqlSurveyLedger:
    """Which surveys went out, and the first answer of each (the domain's SurveyLedger)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def survey_candidates(self, touched: dict[str, set[str]]) -> list[InteractionRecord]:
        """Of the touched interactions: answered, ended, and no survey requested or seen yet."""
        found: list[InteractionRecord] = []
        for tenant_id, ids in touched.items():
            for chunk in _chunks(sorted(ids)):
                marks = ", ".join("?" * len(chunk))
                rows = self._db.fetchall(
                    "SELECT i.interaction_id, i.channel, i.agent_id, i.ended_us FROM interactions i"  # noqa: S608
                    f" WHERE i.tenant_id = ? AND i.interaction_id IN ({marks}) AND i.outcome = ?"
                    " AND i.ended_us IS NOT NULL"
                    " AND NOT EXISTS (SELECT 1 FROM survey_requests r WHERE r.tenant_id = i.tenant_id"
                    " AND r.interaction_id = i.interaction_id)"
                    " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.tenant_id = i.tenant_id"
                    " AND e.interaction_id = i.interaction_id AND e.event_type = 'survey.sent')",
                    (tenant_id, *chunk, Outcome.ANSWERED.value),
                )
                found.extend(
                    InteractionRecord(
                        interaction_id=r[0],
                        tenant_id=tenant_id,
                        channel=int(r[1]),
                        agent_id=r[2],
                        outcome=Outcome.ANSWERED,
                        ended_at=from_micros(int(r[3])),
                    )
                    for r in rows
                )
        return found

    def mark_requested(self, requests: Sequence[SurveyRequest], at: datetime) -> None:
        now = to_micros(at)
        with self._db.transaction():
            self._db.executemany(
                "INSERT INTO survey_requests (tenant_id, interaction_id, requested_us) VALUES (?, ?, ?)"
                " ON CONFLICT (tenant_id, interaction_id) DO NOTHING",
                [(r.tenant_id, r.interaction_id, now) for r in requests],
            )

    def survey_requested(self, tenant_id: str, interaction_id: str) -> bool:
        row = self._db.fetchone(
            "SELECT 1 FROM survey_requests WHERE tenant_id = ? AND interaction_id = ?",
            (tenant_id, interaction_id),
        )
        return row is not None

    def claim_answer(
        self, tenant_id: str, interaction_id: str, score: int, answered_us: int
    ) -> tuple[int, int]:
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO survey_answers (tenant_id, interaction_id, score, answered_us) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (tenant_id, interaction_id) DO NOTHING",
                (tenant_id, interaction_id, score, answered_us),
            )
            row = self._db.fetchone(
                "SELECT score, answered_us FROM survey_answers WHERE tenant_id = ? AND interaction_id = ?",
                (tenant_id, interaction_id),
            )
        assert row is not None  # noqa: S101  (inserted or present inside the transaction)
        return int(row[0]), int(row[1])

"""SQL for the tenant reports and the surveys, on the interaction store's database.

Reports aggregate in the database (one query per tally over the tenant's period, served by the
``interactions_reports`` covering index); local days and ISO weeks are integer arithmetic on the
UTC microseconds plus the zone's offset, a CASE over the period's constant-offset segments (see
:mod:`vaxel_interaction_log.domain.calendar`), so SQLite and PostgreSQL group alike.
"""

from __future__ import annotations

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


class _Local:
    """SQL for the local day and ISO week of a column over constant-offset segments: the offset is a
    CASE over the segment bounds (a year has at most a few), so one query covers the whole period."""

    def __init__(self, segments: tuple[Segment, ...]) -> None:
        self.start_us = segments[0].start_us
        self.end_us = segments[-1].end_us
        self._bounds = [s.end_us for s in segments[:-1]]
        self._offsets = [s.offset_us for s in segments]

    def day(self, column: str = "started_us") -> tuple[str, list[int]]:
        """The local day number of ``column`` and the parameters of its placeholders."""
        if not self._bounds:
            return f"(({column} + CAST(? AS BIGINT)) / {DAY_US})", [self._offsets[0]]
        whens = " ".join(f"WHEN {column} < ? THEN CAST(? AS BIGINT)" for _ in self._bounds)
        params = [v for pair in zip(self._bounds, self._offsets, strict=False) for v in pair]
        return f"(({column} + CASE {whens} ELSE CAST(? AS BIGINT) END) / {DAY_US})", [
            *params,
            self._offsets[-1],
        ]

    def week(self, column: str = "started_us") -> tuple[str, list[int]]:
        """The ISO week number (weeks since Monday 1969-12-29) of ``column``."""
        day, params = self.day(column)
        return f"(({day} + 3) / 7)", params


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

    @staticmethod
    def _where(tenant_id: str, local: _Local, queue_id: str, alias: str = "") -> tuple[str, list[Any]]:
        p = f"{alias}." if alias else ""
        where = f"{p}tenant_id = ? AND {p}started_us >= ? AND {p}started_us < ?"
        params: list[Any] = [tenant_id, local.start_us, local.end_us]
        if queue_id:
            where += f" AND {p}queue_id = ?"
            params.append(queue_id)
        return where, params

    def voc_facts(
        self, tenant_id: str, segments: tuple[Segment, ...], queue_id: str, comments_per_row: int
    ) -> VocFacts:
        local = _Local(segments)
        week, week_params = local.week()
        where, params = self._where(tenant_id, local, queue_id)
        # Per week, queue and disposition (the domain sums the volumes).
        volumes: list[WeekVolume] = []
        topics: list[TopicTally] = []
        for w, queue, disposition, count, wrapped in self._db.fetchall(
            f"SELECT {week}, queue_id, disposition, COUNT(*), COUNT(wrapped_up_us)"  # noqa: S608  (fixed text)
            f" FROM interactions WHERE {where} GROUP BY 1, 2, 3",
            (*week_params, *params),
        ):
            volumes.append(WeekVolume(int(w), queue, int(count), int(wrapped)))
            if disposition:
                topics.append(TopicTally(int(w), queue, TopicKind.DISPOSITION, disposition, int(count)))
        scores = [
            ScoreTally(int(w), queue, int(score), int(count))
            for w, queue, score, count in self._db.fetchall(
                f"SELECT {week}, queue_id, survey_score, COUNT(*) FROM interactions"  # noqa: S608
                f" WHERE {where} AND survey_score > 0 GROUP BY 1, 2, 3",
                (*week_params, *params),
            )
        ]
        week_i, week_i_params = local.week("i.started_us")
        where_i, params_i = self._where(tenant_id, local, queue_id, "i")
        topics.extend(
            TopicTally(int(w), queue, TopicKind.TAG, tag, int(count))
            for w, queue, tag, count in self._db.fetchall(
                f"SELECT {week_i}, i.queue_id, t.tag, COUNT(*) FROM interactions i"  # noqa: S608
                " JOIN interaction_tags t ON t.tenant_id = i.tenant_id AND t.interaction_id = i.interaction_id"
                f" WHERE {where_i} GROUP BY 1, 2, 3",
                (*week_i_params, *params_i),
            )
        )
        comments = [
            Comment(int(w), queue, interaction_id, int(started), int(score), text)
            for w, queue, interaction_id, started, score, text in self._db.fetchall(
                f"SELECT week, queue_id, interaction_id, started_us, survey_score, survey_comment FROM ("  # noqa: S608
                f" SELECT {week} AS week, queue_id, interaction_id, started_us, survey_score, survey_comment,"
                f" ROW_NUMBER() OVER (PARTITION BY queue_id, {week}"
                " ORDER BY started_us DESC, interaction_id DESC) AS n"
                f" FROM interactions WHERE {where} AND survey_comment <> '') ranked WHERE n <= ?",
                (*week_params, *week_params, *params, comments_per_row),
            )
        ]
        return VocFacts(tuple(volumes), tuple(topics), tuple(scores), tuple(comments))

    def usage_by_day(self, tenant_id: str, segments: tuple[Segment, ...]) -> list[DayUsage]:
        local = _Local(segments)
        day, day_params = local.day()
        where, params = self._where(tenant_id, local, "")
        return [
            DayUsage(day_of(int(d)), int(channel), int(count), int(minutes))
            for d, channel, count, minutes in self._db.fetchall(
                f"SELECT {day}, channel, COUNT(*), SUM({_MINUTES}) FROM interactions"  # noqa: S608
                # Connected is answered (the outcome column is left out: its index would win over
                # the covering one).
                f" WHERE {where} AND connected_us IS NOT NULL AND ended_us IS NOT NULL GROUP BY 1, 2",
                (*day_params, *params),
            )
        ]


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

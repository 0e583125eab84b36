"""The interaction log's schema as numbered migrations, applied at start (SQLite and PostgreSQL).

Times are integer microseconds since the epoch (UTC): sortable and the same in both dialects.
``events`` is append-only, keyed by event id; ``interactions`` and ``interaction_tags`` are the
projection, recomputed from an interaction's events whenever a batch touches it;
``survey_requests`` and ``survey_answers`` remember which surveys went out and which answer came first.
``erased_interactions`` and ``purged_interactions`` remember what was erased or purged (ids only).
"""

from __future__ import annotations

from vaxel_common.db import Migration

__all__ = ["migrations"]


def migrations(dialect: str) -> list[Migration]:
    blob = "BYTEA" if dialect == "postgresql" else "BLOB"
    return [
        Migration(
            1,
            "events, interaction records and tags, with the search indexes",
            (
                f"""CREATE TABLE events (
                    event_id TEXT PRIMARY KEY,
                    tenant_id TEXT NOT NULL,
                    interaction_id TEXT NOT NULL,
                    event_type TEXT NOT NULL,
                    occurred_us BIGINT NOT NULL,
                    agent_id TEXT NOT NULL,
                    payload {blob} NOT NULL)""",
                "CREATE INDEX events_by_interaction ON events (tenant_id, interaction_id)",
                """CREATE TABLE interactions (
                    tenant_id TEXT NOT NULL,
                    interaction_id TEXT NOT NULL,
                    started_us BIGINT NOT NULL,
                    queue_id TEXT NOT NULL,
                    channel INTEGER NOT NULL,
                    customer_ref TEXT NOT NULL,
                    language TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    created_us BIGINT,
                    queued_us BIGINT,
                    offered_us BIGINT,
                    connected_us BIGINT,
                    ended_us BIGINT,
                    abandoned_us BIGINT,
                    wrapped_up_us BIGINT,
                    agent_id TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    waiting_seconds DOUBLE PRECISION,
                    talk_seconds DOUBLE PRECISION,
                    handle_seconds DOUBLE PRECISION,
                    disposition TEXT NOT NULL,
                    tags TEXT NOT NULL,
                    notes TEXT NOT NULL,
                    survey_score INTEGER NOT NULL,
                    survey_comment TEXT NOT NULL,
                    PRIMARY KEY (tenant_id, interaction_id))""",
                "CREATE INDEX interactions_by_start ON interactions (tenant_id, started_us, interaction_id)",
                "CREATE INDEX interactions_by_queue ON interactions (tenant_id, queue_id, started_us)",
                "CREATE INDEX interactions_by_agent ON interactions (tenant_id, agent_id, started_us)",
                "CREATE INDEX interactions_by_customer ON interactions (tenant_id, customer_ref, started_us)",
                "CREATE INDEX interactions_by_outcome ON interactions (tenant_id, outcome, started_us)",
                "CREATE INDEX interactions_by_disposition ON interactions (tenant_id, disposition, started_us)",
                """CREATE TABLE interaction_tags (
                    tenant_id TEXT NOT NULL,
                    tag TEXT NOT NULL,
                    interaction_id TEXT NOT NULL,
                    PRIMARY KEY (tenant_id, tag, interaction_id))""",
                "CREATE INDEX interaction_tags_by_interaction ON interaction_tags (tenant_id, interaction_id)",
            ),
        ),
        Migration(
            2,
            "erased interactions: their events are stored without personal data, also when redelivered",
            (
                """CREATE TABLE erased_interactions (
                    tenant_id TEXT NOT NULL,
                    interaction_id TEXT NOT NULL,
                    erased_us BIGINT NOT NULL,
                    PRIMARY KEY (tenant_id, interaction_id))""",
            ),
        ),
        Migration(
            3,
            "voc_and_usage: survey requests and answers, a covering index for the reports",
            (
                # A survey.sent event was published for the interaction (not sent again).
                """CREATE TABLE survey_requests (
                    tenant_id TEXT NOT NULL,
                    interaction_id TEXT NOT NULL,
                    requested_us BIGINT NOT NULL,
                    PRIMARY KEY (tenant_id, interaction_id))""",
                # The first answer's score and time, claimed before its event is published (no
                # comment here: the comment lives in the event and the record, which erasure scrubs).
                """CREATE TABLE survey_answers (
                    tenant_id TEXT NOT NULL,
                    interaction_id TEXT NOT NULL,
                    score INTEGER NOT NULL,
                    answered_us BIGINT NOT NULL,
                    PRIMARY KEY (tenant_id, interaction_id))""",
                # Voice of the customer and usage scan a tenant's period from the index alone (the
                # interaction id for the join with the tags).
                "CREATE INDEX interactions_reports ON interactions (tenant_id, started_us, queue_id, channel,"
                " outcome, disposition, survey_score, connected_us, ended_us, wrapped_up_us, interaction_id)",
                # The latest survey comments: only the commented interactions.
                "CREATE INDEX interactions_commented ON interactions (tenant_id, started_us)"
                " WHERE survey_comment <> ''",
                "CREATE INDEX interaction_tags_with_tag ON interaction_tags (tenant_id, interaction_id, tag)",
            ),
        ),
        Migration(
            4,
            "purged interactions: a late event of an interaction purged by retention is dropped",
            (
                """CREATE TABLE purged_interactions (
                    tenant_id TEXT NOT NULL,
                    interaction_id TEXT NOT NULL,
                    purged_us BIGINT NOT NULL,
                    horizon_us BIGINT NOT NULL,
                    PRIMARY KEY (tenant_id, interaction_id))""",
                "CREATE INDEX purged_interactions_by_time ON purged_interactions (purged_us)",
            ),
        ),
        Migration(
            5,
            "tags carry their interaction's start: a tag search reads only its pages' rows",
            (
                "ALTER TABLE interaction_tags ADD COLUMN started_us BIGINT NOT NULL DEFAULT 0",
                """UPDATE interaction_tags SET started_us = COALESCE((SELECT i.started_us FROM interactions i
                    WHERE i.tenant_id = interaction_tags.tenant_id
                    AND i.interaction_id = interaction_tags.interaction_id), 0)""",
                "CREATE INDEX interaction_tags_by_start ON interaction_tags (tenant_id, tag, started_us, interaction_id)",
            ),
        ),
    ]

"""The interaction log's own instruments. Labels are bounded (event type and dialect); never tenant
content, customer, interaction or agent ids."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

__all__ = ["InteractionLogMetrics"]


@dataclass(frozen=True, slots=True)
class InteractionLogMetrics:
    events_stored: Counter
    events_skipped: Counter
    records_written: Counter
    flush_seconds: Histogram
    surveys_requested: Counter
    survey_answers: Counter
    events_dropped: Counter
    purged: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> InteractionLogMetrics:
        return cls(
            events_stored=Counter(
                "vaxel_interaction_log_events_written_total",
                "Events written to the store (redeliveries included; the store ignores known ids).",
                ["database"],
                registry=registry,
            ),
            events_skipped=Counter(
                "vaxel_interaction_log_events_skipped_total",
                "Consumed events about no interaction (agent events), not kept.",
                [],
                registry=registry,
            ),
            records_written=Counter(
                "vaxel_interaction_log_records_written_total",
                "Interaction records recomputed and written.",
                ["database"],
                registry=registry,
            ),
            flush_seconds=Histogram(
                "vaxel_interaction_log_flush_seconds",
                "Time to write one consumed batch (events and records, one transaction).",
                ["database"],
                buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
                registry=registry,
            ),
            surveys_requested=Counter(
                "vaxel_interaction_log_surveys_requested_total",
                "survey.sent events published for interactions that ended with an agent.",
                ["channel"],
                registry=registry,
            ),
            survey_answers=Counter(
                "vaxel_interaction_log_survey_answers_total",
                "Survey answers accepted through RecordSurveyAnswer and published.",
                [],
                registry=registry,
            ),
            events_dropped=Counter(
                "vaxel_interaction_log_events_dropped_total",
                "Consumed events of interactions already purged by retention, not kept.",
                [],
                registry=registry,
            ),
            purged=Counter(
                "vaxel_interaction_log_purged_total",
                "Interactions and their events purged by the tenants' data retention.",
                ["kind"],  # interactions | events
                registry=registry,
            ),
        )

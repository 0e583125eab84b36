"""Surveys, voice of the customer and usage through the session platform: an interaction that
ended with an agent gets one survey.sent event (also after its events are delivered again), the
answer goes in over the API and shows in the record, the voice-of-the-customer report, the usage
report priced by the tenant's contract, and the SLA service's survey figures."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from tests.fixtures.platform import Metadata, eventually, onboard_tenant, tenant_events
from vaxel.events.v1 import events_pb2
from vaxel.interactions.v1 import interactions_pb2, interactions_pb2_grpc
from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.events import encode_event, new_event
from vaxel_common.kafka import sync_producer
from vaxel_common.provenance import producer_of
from vaxel_common.supervisor import Platform
from vaxel_common.topics import INTERACTION_EVENTS
from vaxel_interaction_log.domain.surveys import survey_answered_id, survey_sent_id

pytestmark = pytest.mark.integration
T = TypeVar("T")
VOICE = types_pb2.CHANNEL_VOICE
START = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
SCOPES = ("config:read", "config:write", "interactions:read", "interactions:write", "reports:read")


def ts(when: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(when)
    return stamp


class Tenant:
    def __init__(self, platform: Platform, channels: dict[str, grpc.Channel]) -> None:
        self.tenant_id, self.key = onboard_tenant(
            platform, channels, f"Survey {uuid.uuid4().hex[:6]}", "SE", "Europe/Stockholm", "sv-SE", SCOPES
        )
        admin = tenant_pb2_grpc.AdminServiceStub(channels["client-tenant"])
        board_key = admin.IssueApiKey(  # the management's key: figures, not survey comments
            tenant_pb2.IssueApiKeyRequest(tenant_id=self.tenant_id, scopes=["reports:read"]),
            metadata=platform.admin_metadata,
        ).api_key
        self.reports_only: Metadata = (("authorization", f"Bearer {board_key}"),)
        self.queue = (
            tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
            .CreateQueue(
                tenant_pb2.CreateQueueRequest(
                    name="Support",
                    channels=[VOICE],
                    language="sv-SE",
                    configuration=tenant_pb2.Queue(
                        time_zone="Europe/Stockholm",
                        service_level_targets=[
                            tenant_pb2.ServiceLevelTarget(
                                channel=VOICE, target_percent=80, threshold=Duration(seconds=20)
                            )
                        ],
                    ),
                ),
                metadata=self.key,
            )
            .queue
        )
        contract = tenant_pb2.ContractVersion(
            effective_from="2020-01-01",
            currency="SEK",
            target_percent=80,
            threshold=Duration(seconds=20),
            rates=[
                tenant_pb2.BillingRate(
                    channel=VOICE, unit=tenant_pb2.BILLING_UNIT_PER_HANDLED_MINUTE, amount_minor=250
                )
            ],
        )
        admin.SetContractVersion(
            tenant_pb2.SetContractVersionRequest(tenant_id=self.tenant_id, version=contract),
            metadata=platform.admin_metadata,
        )
        self.handled = f"sv-{uuid.uuid4().hex[:8]}"
        self.abandoned = f"sv-{uuid.uuid4().hex[:8]}"

    def event(
        self, interaction_id: str, payload: object, seconds: float, agent: str = ""
    ) -> events_pb2.Event:
        return new_event(
            payload,  # type: ignore[arg-type]
            tenant_id=self.tenant_id,
            producer=producer_of(payload),
            interaction_id=interaction_id,
            agent_id=agent,
            occurred_at=START + timedelta(seconds=seconds),
        )

    def history(self) -> list[events_pb2.Event]:
        q = self.queue.queue_id
        handled, abandoned = self.handled, self.abandoned
        return [
            self.event(
                handled, events_pb2.InteractionCreated(queue_id=q, channel=VOICE, customer_ref="c-1"), 0
            ),
            self.event(handled, events_pb2.InteractionQueued(queue_id=q), 1),
            self.event(handled, events_pb2.InteractionOffered(offer_id="o"), 5, "agent-1"),
            self.event(handled, events_pb2.InteractionConnected(offer_id="o"), 15, "agent-1"),
            self.event(handled, events_pb2.InteractionEnded(reason="done"), 135, "agent-1"),
            self.event(
                handled,
                events_pb2.InteractionWrappedUp(disposition="refund", tags=["complaint"]),
                165,
                "agent-1",
            ),
            self.event(
                abandoned, events_pb2.InteractionCreated(queue_id=q, channel=VOICE, customer_ref="c-2"), 60
            ),
            self.event(abandoned, events_pb2.InteractionAbandoned(queue_id=q), 90),
        ]


def publish(platform: Platform, events: list[events_pb2.Event]) -> None:
    producer = sync_producer(platform.kafka_bootstrap, "interaction-log-survey-test")
    for event in events:
        producer.send(INTERACTION_EVENTS.name, key=event.interaction_id.encode(), value=encode_event(event))
    producer.flush()
    producer.close()


def log(channels: dict[str, grpc.Channel]) -> interactions_pb2_grpc.InteractionLogServiceStub:
    return interactions_pb2_grpc.InteractionLogServiceStub(channels["interaction-log"])


def timeline(channels: dict[str, grpc.Channel], t: Tenant) -> interactions_pb2.Interaction:
    return (
        log(channels)
        .GetInteraction(
            interactions_pb2.GetInteractionRequest(interaction_id=t.handled), metadata=t.key, timeout=5
        )
        .interaction
    )


def answer(
    channels: dict[str, grpc.Channel], key: Metadata, interaction_id: str, score: int, comment: str = ""
) -> interactions_pb2.RecordSurveyAnswerResponse:
    return log(channels).RecordSurveyAnswer(
        interactions_pb2.RecordSurveyAnswerRequest(
            interaction_id=interaction_id, score=score, comment=comment
        ),
        metadata=key,
        timeout=10,
    )


def assert_has(record: interactions_pb2.Interaction, event_type: str) -> None:
    assert event_type in [e.event_type for e in record.timeline]


def expect(code: grpc.StatusCode, call: Callable[[], object]) -> None:
    assert status_of(call)[0] == code


def status_of(call: Callable[[], object]) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        call()
    return err.value.code(), err.value.details() or ""


Answered = tuple[Tenant, interactions_pb2.RecordSurveyAnswerResponse]


@pytest.fixture(scope="module")
def answered(platform: Platform, channels: dict[str, grpc.Channel]) -> Answered:
    """A tenant whose handled call got its survey, was delivered again, and was answered (4)."""
    t = Tenant(platform, channels)
    events = t.history()
    publish(platform, events)
    eventually(lambda: assert_has(timeline(channels, t), "survey.sent"))
    # Everything again (a redelivery), then one new event behind it on the same partition.
    late = t.event(t.handled, events_pb2.OfferAccepted(offer_id="o"), 14, "agent-1")
    publish(platform, [*events, late])
    eventually(lambda: assert_has(timeline(channels, t), "offer.accepted"))
    return t, answer(channels, t.key, t.handled, 4, "Quick and friendly")


def test_one_survey_request_per_interaction_even_when_delivered_again(
    platform: Platform, answered: Answered
) -> None:
    t, _ = answered
    on_topic = tenant_events(platform, INTERACTION_EVENTS.name, {t.tenant_id})
    sent = [e for e in on_topic if e.event_type == "survey.sent"]
    assert [(e.interaction_id, e.event_id) for e in sent] == [
        (t.handled, survey_sent_id(t.tenant_id, t.handled))
    ]
    assert sent[0].survey_sent.channel == VOICE
    assert sent[0].producer == "interaction-log"


def test_the_first_answer_counts_and_shows_in_the_record(
    platform: Platform, channels: dict[str, grpc.Channel], answered: Answered
) -> None:
    t, first = answered
    assert first.event_id == survey_answered_id(t.tenant_id, t.handled)
    retry = answer(channels, t.key, t.handled, 4, "Quick and friendly")
    assert (retry.event_id, retry.answered_at) == (first.event_id, first.answered_at)
    assert status_of(lambda: answer(channels, t.key, t.handled, 1))[0] == grpc.StatusCode.ALREADY_EXISTS

    def recorded() -> None:
        record = timeline(channels, t)
        assert (record.survey_score, record.survey_comment) == (4, "Quick and friendly")

    eventually(recorded)
    on_topic = tenant_events(platform, INTERACTION_EVENTS.name, {t.tenant_id})
    replies = [e for e in on_topic if e.event_type == "survey.answered"]
    assert {e.event_id for e in replies} == {first.event_id}
    # On the topic the comment is sealed under the customer's data key at routing (erasure shreds it).
    assert {(e.survey_answered.score, e.survey_answered.comment) for e in replies} == {(4, "")}
    assert all(e.survey_answered.personal.key_id for e in replies)
    assert b"Quick and friendly" not in b"".join(e.SerializeToString() for e in replies)


def test_bad_answers_are_refused(
    platform: Platform, channels: dict[str, grpc.Channel], answered: Answered
) -> None:
    t, _ = answered
    code, details = status_of(lambda: answer(channels, t.key, t.handled, 9))
    assert (code, details.split(":")[0]) == (grpc.StatusCode.INVALID_ARGUMENT, "score")
    code, details = status_of(lambda: answer(channels, t.key, t.handled, 3, "x" * 2001))
    assert (code, details.split(":")[0]) == (grpc.StatusCode.INVALID_ARGUMENT, "comment")
    _, stranger = onboard_tenant(platform, channels, "Stranger", "SE", "Europe/Stockholm", "sv-SE", SCOPES)
    # UNAUTHENTICATED until the new key is replicated; then the interaction is not the stranger's.
    eventually(lambda: expect(grpc.StatusCode.NOT_FOUND, lambda: answer(channels, stranger, t.handled, 4)))
    assert (
        status_of(lambda: answer(channels, t.key, t.abandoned, 4))[0] == grpc.StatusCode.FAILED_PRECONDITION
    )
    eventually(
        lambda: expect(
            grpc.StatusCode.PERMISSION_DENIED, lambda: answer(channels, t.reports_only, t.handled, 4)
        )
    )


def test_voice_of_the_customer(channels: dict[str, grpc.Channel], answered: Answered) -> None:
    t, _ = answered
    request = interactions_pb2.GetVoiceOfCustomerRequest(to=ts(datetime.now(UTC)), queue_id=t.queue.queue_id)
    getattr(request, "from").CopyFrom(ts(START))

    def reported() -> interactions_pb2.GetVoiceOfCustomerResponse:
        voc = log(channels).GetVoiceOfCustomer(request, metadata=t.key, timeout=10)
        assert sum(r.survey.answers for r in voc.rows) == 1
        return voc

    voc = eventually(reported)
    assert voc.time_zone == "Europe/Stockholm"
    assert voc.comments_included
    (row,) = [r for r in voc.rows if r.interactions]
    assert (row.queue_id, row.interactions, row.wrapped_up) == (t.queue.queue_id, 2, 1)
    assert [(d.name, d.count, d.share) for d in row.dispositions] == [("refund", 1, 1.0)]
    assert [(g.name, g.count) for g in row.tags] == [("complaint", 1)]
    assert (row.survey.answers, row.survey.average_score, list(row.survey.score_counts)) == (
        1,
        4.0,
        [0, 0, 0, 1, 0],
    )
    assert [(c.interaction_id, c.score, c.comment) for c in row.latest_comments] == [
        (t.handled, 4, "Quick and friendly")
    ]
    board = eventually(lambda: log(channels).GetVoiceOfCustomer(request, metadata=t.reports_only, timeout=10))
    assert not board.comments_included
    assert [
        (r.interactions, r.survey.answers, len(r.latest_comments)) for r in board.rows if r.interactions
    ] == [(2, 1, 0)]
    request.comments_per_row = 99
    code, details = status_of(lambda: log(channels).GetVoiceOfCustomer(request, metadata=t.key, timeout=5))
    assert (code, details.split(":")[0]) == (grpc.StatusCode.INVALID_ARGUMENT, "comments_per_row")


def test_usage_is_priced_by_the_contract(channels: dict[str, grpc.Channel], answered: Answered) -> None:
    t, _ = answered
    # One handled voice call, 150 s of talk and wrap-up: 3 minutes at 2.50 SEK; the abandoned one is free.
    request = interactions_pb2.GetUsageRequest(
        to=ts(datetime.now(UTC)), granularity=interactions_pb2.USAGE_GRANULARITY_MONTH
    )
    getattr(request, "from").CopyFrom(ts(START - timedelta(days=1)))

    def priced() -> interactions_pb2.GetUsageResponse:
        usage = log(channels).GetUsage(request, metadata=t.key, timeout=10)
        assert [(a.currency, a.amount_minor) for a in usage.amounts] == [("SEK", 750)]
        return usage

    usage = eventually(priced)
    assert [(u.channel, u.handled_interactions, u.handled_minutes) for u in usage.totals] == [(VOICE, 1, 3)]
    (line,) = usage.lines
    assert (line.contract_effective_from, line.unit, line.rate_minor, line.priced) == (
        "2020-01-01",
        tenant_pb2.BILLING_UNIT_PER_HANDLED_MINUTE,
        250,
        True,
    )
    request.granularity = 7  # type: ignore[assignment]
    code, details = status_of(lambda: log(channels).GetUsage(request, metadata=t.key, timeout=5))
    assert (code, details.split(":")[0]) == (grpc.StatusCode.INVALID_ARGUMENT, "granularity")


def test_the_sla_service_counts_the_answer(channels: dict[str, grpc.Channel], answered: Answered) -> None:
    t, _ = answered
    sla = sla_pb2_grpc.SlaServiceStub(channels["sla"])
    request = sla_pb2.ListIntervalsRequest(
        queue_id=t.queue.queue_id, to=ts(datetime.now(UTC) + timedelta(hours=1)), channel=VOICE
    )
    getattr(request, "from").CopyFrom(ts(START - timedelta(hours=1)))

    def counted() -> None:
        figures = sla.ListIntervals(request, metadata=t.key, timeout=5).intervals
        assert sum(f.survey_answers for f in figures) == 1
        assert [f.survey_average for f in figures if f.survey_answers] == [4.0]

    eventually(counted)

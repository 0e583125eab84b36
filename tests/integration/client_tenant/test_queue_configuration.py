"""A queue's routing configuration through the tenant API: create, update by field mask, delete."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import duration_pb2, field_mask_pb2

from tests.fixtures.platform import onboard_tenant
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.supervisor import Platform

pytestmark = pytest.mark.integration
Md = tuple[tuple[str, str], ...]


def seconds(n: int) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=n)


@pytest.fixture
def tenant(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> tuple[tenant_pb2_grpc.TenantServiceStub, Md]:
    _, md = onboard_tenant(platform, channels, "MediaMarkt", "DE", "Europe/Berlin", "de-DE")
    return tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"]), md


def test_configured_queue_round_trip_update_and_delete(
    tenant: tuple[tenant_pb2_grpc.TenantServiceStub, Md],
) -> None:
    stub, md = tenant
    returns = stub.CreateSkill(tenant_pb2.CreateSkillRequest(name="Returns"), metadata=md).skill
    billing = stub.CreateSkill(tenant_pb2.CreateSkillRequest(name="Billing"), metadata=md).skill
    assert [s.name for s in stub.ListSkills(tenant_pb2.ListSkillsRequest(), metadata=md).skills] == [
        "Billing",
        "Returns",
    ]
    overflow = stub.CreateQueue(
        tenant_pb2.CreateQueueRequest(name="Overflow", channels=[types_pb2.CHANNEL_VOICE], language="de-DE"),
        metadata=md,
    ).queue
    config = tenant_pb2.Queue(
        required_skills=[tenant_pb2.SkillRequirement(skill_id=returns.skill_id, min_proficiency=3)],
        service_level_targets=[
            tenant_pb2.ServiceLevelTarget(
                channel=types_pb2.CHANNEL_VOICE, target_percent=80, threshold=seconds(20)
            ),
            tenant_pb2.ServiceLevelTarget(
                channel=types_pb2.CHANNEL_EMAIL,
                target_percent=90,
                threshold=seconds(4 * 3600),
                business_hours_clock=True,
            ),
        ],
        service_level_formula=tenant_pb2.SERVICE_LEVEL_FORMULA_ANSWERED_WITHIN_OVER_OFFERED_EXCLUDING_SHORT_ABANDONS,
        callback_offer_after=seconds(300),
        after_hours=tenant_pb2.AfterHours(
            action=tenant_pb2.AFTER_HOURS_ACTION_OVERFLOW, overflow_queue_id=overflow.queue_id
        ),
        overflow_rules=[
            tenant_pb2.OverflowRule(after=seconds(60), relax_skills=True),
            tenant_pb2.OverflowRule(after=seconds(180), to_queue_id=overflow.queue_id),
        ],
    )
    queue = stub.CreateQueue(
        tenant_pb2.CreateQueueRequest(
            name="Retouren",
            channels=[types_pb2.CHANNEL_VOICE, types_pb2.CHANNEL_EMAIL],
            language="de-DE",
            configuration=config,
        ),
        metadata=md,
    ).queue
    assert queue.version == 1
    assert queue.time_zone == "Europe/Berlin"
    assert queue.short_abandon_threshold.seconds == 5, "default"
    assert list(queue.required_skills) == list(config.required_skills)
    assert list(queue.overflow_rules) == list(config.overflow_rules)
    assert queue.after_hours == config.after_hours
    fetched = stub.GetQueue(tenant_pb2.GetQueueRequest(queue_id=queue.queue_id), metadata=md).queue
    assert fetched == queue

    change = tenant_pb2.Queue(
        queue_id=queue.queue_id,
        priority=10,
        name="ignored: not in the mask",
        required_skills=[tenant_pb2.SkillRequirement(skill_id=billing.skill_id, min_proficiency=2)],
    )
    updated = stub.UpdateQueue(
        tenant_pb2.UpdateQueueRequest(
            queue=change, update_mask=field_mask_pb2.FieldMask(paths=["priority", "required_skills"])
        ),
        metadata=md,
    ).queue
    assert (updated.priority, updated.name, updated.version) == (10, "Retouren", 2)
    assert [r.skill_id for r in updated.required_skills] == [billing.skill_id]

    with pytest.raises(grpc.RpcError) as err:
        stub.DeleteQueue(tenant_pb2.DeleteQueueRequest(queue_id=overflow.queue_id), metadata=md)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    stub.DeleteQueue(tenant_pb2.DeleteQueueRequest(queue_id=queue.queue_id), metadata=md)
    with pytest.raises(grpc.RpcError) as err:
        stub.GetQueue(tenant_pb2.GetQueueRequest(queue_id=queue.queue_id), metadata=md)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    stub.DeleteQueue(tenant_pb2.DeleteQueueRequest(queue_id=overflow.queue_id), metadata=md)


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (
            tenant_pb2.Queue(
                required_skills=[tenant_pb2.SkillRequirement(skill_id="nope", min_proficiency=3)]
            ),
            "required_skills[0].skill_id",
        ),
        (
            tenant_pb2.Queue(
                service_level_targets=[
                    tenant_pb2.ServiceLevelTarget(
                        channel=types_pb2.CHANNEL_VOICE, target_percent=180, threshold=seconds(20)
                    )
                ]
            ),
            "service_level_targets[0].target_percent",
        ),
        (
            tenant_pb2.Queue(
                service_level_targets=[
                    tenant_pb2.ServiceLevelTarget(
                        channel=types_pb2.CHANNEL_CHAT, target_percent=80, threshold=seconds(20)
                    )
                ]
            ),
            "service_level_targets[0].channel",
        ),
        (
            tenant_pb2.Queue(
                after_hours=tenant_pb2.AfterHours(
                    action=tenant_pb2.AFTER_HOURS_ACTION_OVERFLOW, overflow_queue_id="another-tenants"
                )
            ),
            "after_hours_queue_id",
        ),
        (
            tenant_pb2.Queue(overflow_rules=[tenant_pb2.OverflowRule(after=seconds(60))]),
            "overflow_rules[0]",
        ),
    ],
)
def test_bad_configuration_names_the_field_and_writes_nothing(
    tenant: tuple[tenant_pb2_grpc.TenantServiceStub, Md], config: tenant_pb2.Queue, field: str
) -> None:
    stub, md = tenant
    with pytest.raises(grpc.RpcError) as err:
        stub.CreateQueue(
            tenant_pb2.CreateQueueRequest(
                name="Q", channels=[types_pb2.CHANNEL_VOICE], language="de-DE", configuration=config
            ),
            metadata=md,
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (err.value.details() or "").startswith(field + ":"), err.value.details()
    assert list(stub.ListQueues(tenant_pb2.ListQueuesRequest(), metadata=md).queues) == []


def test_update_mask_must_name_known_fields(tenant: tuple[tenant_pb2_grpc.TenantServiceStub, Md]) -> None:
    stub, md = tenant
    queue = stub.CreateQueue(
        tenant_pb2.CreateQueueRequest(name="Q", channels=[types_pb2.CHANNEL_CHAT], language="de-DE"),
        metadata=md,
    ).queue
    for paths in ([], ["tenant_id"], ["version"]):
        with pytest.raises(grpc.RpcError) as err:
            stub.UpdateQueue(
                tenant_pb2.UpdateQueueRequest(
                    queue=tenant_pb2.Queue(queue_id=queue.queue_id),
                    update_mask=field_mask_pb2.FieldMask(paths=paths),
                ),
                metadata=md,
            )
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "update_mask" in (err.value.details() or "")

"""Every client-tenant RPC, called with tenant A's key on tenant B's objects, is refused.

The RPC list is taken from the service descriptors, so a new RPC without a case here fails.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message

from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.supervisor import Platform

pytestmark = pytest.mark.integration
REFUSED = {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED}
Md = tuple[tuple[str, str], ...]


def bearer(key: str) -> Md:
    return (("authorization", f"Bearer {key}"),)


@pytest.fixture(scope="module")
def two_tenants(platform: Platform, channels: dict[str, grpc.Channel]) -> dict[str, str]:
    admin = tenant_pb2_grpc.AdminServiceStub(channels["client-tenant"])
    tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
    ops = platform.admin_metadata
    out: dict[str, str] = {}
    for name in ("a", "b"):
        tenant = admin.CreateTenant(
            tenant_pb2.CreateTenantRequest(
                name=name, country="SE", time_zone="Europe/Stockholm", languages=["sv"]
            ),
            metadata=ops,
        ).tenant
        key = admin.IssueApiKey(
            tenant_pb2.IssueApiKeyRequest(
                tenant_id=tenant.tenant_id, scopes=["config:read", "config:write", "reports:read"]
            ),
            metadata=ops,
        )
        queue = tenants.CreateQueue(
            tenant_pb2.CreateQueueRequest(name="Q", channels=[types_pb2.CHANNEL_CHAT], language="sv"),
            metadata=bearer(key.api_key),
        ).queue
        out |= {f"{name}_tenant": tenant.tenant_id, f"{name}_key": key.api_key, f"{name}_key_id": key.key_id}
        out[f"{name}_queue"] = queue.queue_id
        point = tenants.CreateContactPoint(
            tenant_pb2.CreateContactPointRequest(
                queue_id=queue.queue_id,
                kind=tenant_pb2.CONTACT_KIND_SOCIAL_HANDLE,
                address=f"@vaxel_{name}_{tenant.tenant_id[:8]}",
            ),
            metadata=bearer(key.api_key),
        ).contact_point
        out[f"{name}_contact_point"] = point.contact_point_id
        faq = tenants.CreateFaqEntry(
            tenant_pb2.CreateFaqEntryRequest(
                entry=tenant_pb2.FaqEntry(language="sv", question="Öppettider?", answer="08-17")
            ),
            metadata=bearer(key.api_key),
        ).entry
        out[f"{name}_faq"] = faq.faq_id
    return out


def cross_tenant_calls(
    t: dict[str, str], admin: tenant_pb2_grpc.AdminServiceStub, tenants: tenant_pb2_grpc.TenantServiceStub
) -> dict[str, Callable[[Md], Message]]:
    """Each RPC aimed at tenant b's objects."""
    b = t["b_tenant"]
    return {
        "AdminService/CreateTenant": lambda md: admin.CreateTenant(
            tenant_pb2.CreateTenantRequest(
                name="x", country="SE", time_zone="Europe/Stockholm", languages=["sv"]
            ),
            metadata=md,
        ),
        "AdminService/GetTenant": lambda md: admin.GetTenant(
            tenant_pb2.GetTenantRequest(tenant_id=b), metadata=md
        ),
        "AdminService/SuspendTenant": lambda md: admin.SuspendTenant(
            tenant_pb2.SuspendTenantRequest(tenant_id=b), metadata=md
        ),
        "AdminService/ReactivateTenant": lambda md: admin.ReactivateTenant(
            tenant_pb2.ReactivateTenantRequest(tenant_id=b), metadata=md
        ),
        "AdminService/IssueApiKey": lambda md: admin.IssueApiKey(
            tenant_pb2.IssueApiKeyRequest(tenant_id=b, scopes=["config:read"]), metadata=md
        ),
        "AdminService/RevokeApiKey": lambda md: admin.RevokeApiKey(
            tenant_pb2.RevokeApiKeyRequest(key_id=t["b_key_id"]), metadata=md
        ),
        "TenantService/CreateQueue": lambda md: tenants.CreateQueue(
            tenant_pb2.CreateQueueRequest(
                tenant_id=b, name="intruder", channels=[types_pb2.CHANNEL_CHAT], language="sv"
            ),
            metadata=md,
        ),
        "TenantService/GetQueue": lambda md: tenants.GetQueue(
            tenant_pb2.GetQueueRequest(queue_id=t["b_queue"]), metadata=md
        ),
        "TenantService/ListQueues": lambda md: tenants.ListQueues(
            tenant_pb2.ListQueuesRequest(tenant_id=b), metadata=md
        ),
        "TenantService/UpdateQueue": lambda md: tenants.UpdateQueue(
            tenant_pb2.UpdateQueueRequest(
                queue=tenant_pb2.Queue(queue_id=t["b_queue"], priority=99),
                update_mask=field_mask_pb2.FieldMask(paths=["priority"]),
            ),
            metadata=md,
        ),
        "TenantService/DeleteQueue": lambda md: tenants.DeleteQueue(
            tenant_pb2.DeleteQueueRequest(queue_id=t["b_queue"]), metadata=md
        ),
        "TenantService/CreateSkill": lambda md: tenants.CreateSkill(
            tenant_pb2.CreateSkillRequest(tenant_id=b, name="intrusion"), metadata=md
        ),
        "TenantService/ListSkills": lambda md: tenants.ListSkills(
            tenant_pb2.ListSkillsRequest(tenant_id=b), metadata=md
        ),
        "AdminService/SetContractVersion": lambda md: admin.SetContractVersion(
            tenant_pb2.SetContractVersionRequest(
                tenant_id=b,
                version=tenant_pb2.ContractVersion(
                    effective_from="2026-01-01",
                    currency="SEK",
                    target_percent=80,
                    threshold=Duration(seconds=20),
                ),
            ),
            metadata=md,
        ),
        "TenantService/CreateFaqEntry": lambda md: tenants.CreateFaqEntry(
            tenant_pb2.CreateFaqEntryRequest(
                tenant_id=b, entry=tenant_pb2.FaqEntry(language="sv", question="q?", answer="a")
            ),
            metadata=md,
        ),
        "TenantService/ListFaqEntries": lambda md: tenants.ListFaqEntries(
            tenant_pb2.ListFaqEntriesRequest(tenant_id=b), metadata=md
        ),
        "TenantService/DeleteFaqEntry": lambda md: tenants.DeleteFaqEntry(
            tenant_pb2.DeleteFaqEntryRequest(faq_id=t["b_faq"]), metadata=md
        ),
        "TenantService/SetCallGuidelines": lambda md: tenants.SetCallGuidelines(
            tenant_pb2.SetCallGuidelinesRequest(queue_id=t["b_queue"], text="say hi"), metadata=md
        ),
        "TenantService/GetCallGuidelines": lambda md: tenants.GetCallGuidelines(
            tenant_pb2.GetCallGuidelinesRequest(queue_id=t["b_queue"]), metadata=md
        ),
        "TenantService/ListContractVersions": lambda md: tenants.ListContractVersions(
            tenant_pb2.ListContractVersionsRequest(tenant_id=b), metadata=md
        ),
        "TenantService/GetEffectiveContract": lambda md: tenants.GetEffectiveContract(
            tenant_pb2.GetEffectiveContractRequest(tenant_id=b), metadata=md
        ),
        "TenantService/SetDataRetention": lambda md: tenants.SetDataRetention(
            tenant_pb2.SetDataRetentionRequest(tenant_id=b, days=1), metadata=md
        ),
        "TenantService/GetEffectiveConfiguration": lambda md: tenants.GetEffectiveConfiguration(
            tenant_pb2.GetEffectiveConfigurationRequest(tenant_id=b), metadata=md
        ),
        "TenantService/SetBusinessHours": lambda md: tenants.SetBusinessHours(
            tenant_pb2.SetBusinessHoursRequest(
                business_hours=tenant_pb2.BusinessHours(queue_id=t["b_queue"])
            ),
            metadata=md,
        ),
        "TenantService/GetBusinessHours": lambda md: tenants.GetBusinessHours(
            tenant_pb2.GetBusinessHoursRequest(queue_id=t["b_queue"]), metadata=md
        ),
        "TenantService/GetQueueOpenState": lambda md: tenants.GetQueueOpenState(
            tenant_pb2.GetQueueOpenStateRequest(queue_id=t["b_queue"]), metadata=md
        ),
        "TenantService/CreateContactPoint": lambda md: tenants.CreateContactPoint(
            tenant_pb2.CreateContactPointRequest(
                queue_id=t["b_queue"], kind=tenant_pb2.CONTACT_KIND_HASHTAG, address="#intruder"
            ),
            metadata=md,
        ),
        "TenantService/ListContactPoints": lambda md: tenants.ListContactPoints(
            tenant_pb2.ListContactPointsRequest(queue_id=t["b_queue"]), metadata=md
        ),
        "TenantService/DeleteContactPoint": lambda md: tenants.DeleteContactPoint(
            tenant_pb2.DeleteContactPointRequest(contact_point_id=t["b_contact_point"]), metadata=md
        ),
    }


def test_every_rpc_refuses_another_tenants_objects(
    two_tenants: dict[str, str], channels: dict[str, grpc.Channel]
) -> None:
    admin = tenant_pb2_grpc.AdminServiceStub(channels["client-tenant"])
    tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
    calls = cross_tenant_calls(two_tenants, admin, tenants)
    declared = {
        f"{service.name}/{method.name}"
        for service in tenant_pb2.DESCRIPTOR.services_by_name.values()
        for method in service.methods
    }
    assert set(calls) == declared, "every RPC needs a cross-tenant case"
    for name, call in calls.items():
        with pytest.raises(grpc.RpcError) as err:
            call(bearer(two_tenants["a_key"]))
        assert err.value.code() in REFUSED, f"{name}: {err.value.code()}"
    # b's own key still sees its untouched queue
    own = tenants.ListQueues(tenant_pb2.ListQueuesRequest(), metadata=bearer(two_tenants["b_key"]))
    assert [q.queue_id for q in own.queues] == [two_tenants["b_queue"]]
    assert own.queues[0].priority == 0, "untouched by a's update"
    faqs = tenants.ListFaqEntries(tenant_pb2.ListFaqEntriesRequest(), metadata=bearer(two_tenants["b_key"]))
    assert [e.faq_id for e in faqs.entries] == [two_tenants["b_faq"]]
    guidelines = tenants.GetCallGuidelines(
        tenant_pb2.GetCallGuidelinesRequest(queue_id=two_tenants["b_queue"]),
        metadata=bearer(two_tenants["b_key"]),
    )
    assert guidelines.guidelines.text == ""
    points = tenants.ListContactPoints(
        tenant_pb2.ListContactPointsRequest(), metadata=bearer(two_tenants["b_key"])
    )
    assert [p.contact_point_id for p in points.contact_points] == [two_tenants["b_contact_point"]]


def test_missing_wrong_and_revoked_keys(
    platform: Platform, channels: dict[str, grpc.Channel], two_tenants: dict[str, str]
) -> None:
    admin = tenant_pb2_grpc.AdminServiceStub(channels["client-tenant"])
    tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
    for md in ((), bearer("vx_0000_wrong")):
        with pytest.raises(grpc.RpcError) as err:
            tenants.ListQueues(tenant_pb2.ListQueuesRequest(), metadata=md)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    issued = admin.IssueApiKey(
        tenant_pb2.IssueApiKeyRequest(tenant_id=two_tenants["a_tenant"], scopes=["config:read"]),
        metadata=platform.admin_metadata,
    )
    tenants.ListQueues(tenant_pb2.ListQueuesRequest(), metadata=bearer(issued.api_key))
    with pytest.raises(grpc.RpcError) as err:
        tenants.CreateQueue(
            tenant_pb2.CreateQueueRequest(name="Q2", channels=[types_pb2.CHANNEL_CHAT], language="sv"),
            metadata=bearer(issued.api_key),
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED, "a read-only key cannot write"
    admin.RevokeApiKey(tenant_pb2.RevokeApiKeyRequest(key_id=issued.key_id), metadata=platform.admin_metadata)
    with pytest.raises(grpc.RpcError) as err:
        tenants.ListQueues(tenant_pb2.ListQueuesRequest(), metadata=bearer(issued.api_key))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    log = Path(platform.processes["client-tenant"].log_path).read_text()
    assert issued.api_key.split("_", 2)[2] not in log, "keys never reach the log"
    assert platform.admin_key not in log


def test_suspended_tenant_is_refused(
    platform: Platform, channels: dict[str, grpc.Channel], two_tenants: dict[str, str]
) -> None:
    admin = tenant_pb2_grpc.AdminServiceStub(channels["client-tenant"])
    tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
    ops = platform.admin_metadata
    admin.SuspendTenant(tenant_pb2.SuspendTenantRequest(tenant_id=two_tenants["a_tenant"]), metadata=ops)
    try:
        with pytest.raises(grpc.RpcError) as err:
            tenants.ListQueues(tenant_pb2.ListQueuesRequest(), metadata=bearer(two_tenants["a_key"]))
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    finally:
        admin.ReactivateTenant(
            tenant_pb2.ReactivateTenantRequest(tenant_id=two_tenants["a_tenant"]), metadata=ops
        )
    assert tenants.ListQueues(tenant_pb2.ListQueuesRequest(), metadata=bearer(two_tenants["a_key"])).queues

"""Onboarding one client company through the tenant API, from a :class:`~vaxel_cli.spec.TenantSpec`.

Shared by ``vaxel tenant onboard`` and the simulator (``make run``). The provider's ops key creates
the tenant, issues its API key and records its contract; everything else is done with the new key,
as the client company itself would: skills, queues, business hours, contact points. Queues that
refer to other queues (after-hours overflow, overflow rules) get those references once every queue
exists. It is not a transaction: a refused step raises :class:`~vaxel_cli.errors.OnboardingError`
naming the step and listing what exists already, with the key (which is shown only once).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from google.protobuf.field_mask_pb2 import FieldMask
from grpc import aio

from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel_cli._metadata import Metadata, bearer
from vaxel_cli.errors import OnboardingError
from vaxel_cli.spec import TenantSpec
from vaxel_vocabulary.converters import contract_to_pb, hours_to_pb, queue_to_pb
from vaxel_vocabulary.model import AfterHoursAction, Queue

__all__ = ["Metadata", "Onboarded", "bearer", "onboard"]


@dataclass(frozen=True, slots=True)
class Onboarded:
    """What the platform answered: ids it assigned and the key it issued (the plaintext only here)."""

    tenant: tenant_pb2.Tenant
    key_id: str
    api_key: str
    skills: dict[str, str]  # skill name -> skill id
    queues: dict[str, tenant_pb2.Queue]  # queue name -> the queue as stored
    business_hours: dict[str, tenant_pb2.BusinessHours] = field(default_factory=dict)  # by queue name
    contact_points: list[tenant_pb2.ContactPoint] = field(default_factory=list)
    contract: tenant_pb2.ContractVersion | None = None

    @property
    def tenant_id(self) -> str:
        return self.tenant.tenant_id

    @property
    def metadata(self) -> Metadata:
        """gRPC metadata carrying the tenant's new key."""
        return bearer(self.api_key)


async def onboard(
    channel: aio.Channel, ops: Metadata, spec: TenantSpec, *, timeout: float = 30.0
) -> Onboarded:
    """Create the tenant of ``spec`` and all of its configuration over ``channel`` (client-tenant)."""
    run = _Run(channel, ops, timeout)
    try:
        return await run.onboard(spec)
    except aio.AioRpcError as err:
        raise OnboardingError(run.step, err.code().name, err.details() or "", run.created) from None


class _Run:
    def __init__(self, channel: aio.Channel, ops: Metadata, timeout: float) -> None:
        self.admin = tenant_pb2_grpc.AdminServiceStub(channel)
        self.tenants = tenant_pb2_grpc.TenantServiceStub(channel)
        self.ops = ops
        self.timeout = timeout
        self.step = "tenant"
        self.created: list[str] = []

    async def onboard(self, spec: TenantSpec) -> Onboarded:
        info = spec.tenant
        self.step = "tenant"
        tenant = (
            await self.admin.CreateTenant(
                tenant_pb2.CreateTenantRequest(
                    name=info.name, country=info.country, time_zone=info.time_zone, languages=info.languages
                ),
                metadata=self.ops,
                timeout=self.timeout,
            )
        ).tenant
        self.created.append(f"tenant {tenant.tenant_id} ({tenant.name})")
        self.step = "api_key"
        issued = await self.admin.IssueApiKey(
            tenant_pb2.IssueApiKeyRequest(tenant_id=tenant.tenant_id, scopes=list(spec.api_key.scopes)),
            metadata=self.ops,
            timeout=self.timeout,
        )
        self.created.append(f"API key {issued.api_key} (shown only here; scopes {', '.join(issued.scopes)})")
        key = bearer(issued.api_key)
        contract = None
        if spec.contract is not None:
            self.step = "contract"
            contract = (
                await self.admin.SetContractVersion(
                    tenant_pb2.SetContractVersionRequest(
                        tenant_id=tenant.tenant_id, version=contract_to_pb(spec.contract.to_domain())
                    ),
                    metadata=self.ops,
                    timeout=self.timeout,
                )
            ).version
            self.created.append(f"contract from {contract.effective_from}")
        skills: dict[str, str] = {}
        for i, skill in enumerate(spec.skills):
            self.step = f"skills[{i}] ({skill.name})"
            created = await self.tenants.CreateSkill(
                tenant_pb2.CreateSkillRequest(name=skill.name, description=skill.description),
                metadata=key,
                timeout=self.timeout,
            )
            skills[skill.name] = created.skill.skill_id
            self.created.append(f"skill {skill.name}")
        queues = await self._queues(spec, key, skills)
        result = Onboarded(tenant, issued.key_id, issued.api_key, skills, queues, contract=contract)
        await self._hours_and_contact_points(spec, key, result)
        return result

    async def _queues(
        self, spec: TenantSpec, key: Metadata, skills: dict[str, str]
    ) -> dict[str, tenant_pb2.Queue]:
        drafts = spec.queue_drafts()
        queues: dict[str, tenant_pb2.Queue] = {}
        for i, draft in enumerate(drafts):
            self.step = f"queues[{i}] ({draft.name})"
            config = queue_to_pb(_resolved(draft, skills, None))
            queue = (
                await self.tenants.CreateQueue(
                    tenant_pb2.CreateQueueRequest(
                        name=draft.name,
                        channels=config.channels,
                        language=draft.language,
                        time_zone=draft.time_zone,
                        priority=draft.priority,
                        configuration=config,
                    ),
                    metadata=key,
                    timeout=self.timeout,
                )
            ).queue
            queues[draft.name] = queue
            self.created.append(f"queue {queue.queue_id} ({draft.name})")
        ids = {name: q.queue_id for name, q in queues.items()}
        for i, draft in enumerate(drafts):
            if not _refers_to_queues(draft):
                continue
            self.step = f"queues[{i}] ({draft.name}) after_hours and overflow_rules"
            message = queue_to_pb(_resolved(draft, skills, ids))
            message.queue_id = ids[draft.name]
            queues[draft.name] = (
                await self.tenants.UpdateQueue(
                    tenant_pb2.UpdateQueueRequest(
                        queue=message, update_mask=FieldMask(paths=["after_hours", "overflow_rules"])
                    ),
                    metadata=key,
                    timeout=self.timeout,
                )
            ).queue
        return queues

    async def _hours_and_contact_points(self, spec: TenantSpec, key: Metadata, result: Onboarded) -> None:
        for i, queue_spec in enumerate(spec.queues):
            queue = result.queues[queue_spec.name]
            if queue_spec.business_hours is not None:
                self.step = f"queues[{i}].business_hours"
                hours = hours_to_pb(queue.queue_id, queue_spec.business_hours.to_domain(queue.time_zone))
                result.business_hours[queue_spec.name] = (
                    await self.tenants.SetBusinessHours(
                        tenant_pb2.SetBusinessHoursRequest(business_hours=hours),
                        metadata=key,
                        timeout=self.timeout,
                    )
                ).business_hours
                self.created.append(f"business hours of {queue_spec.name}")
            for j, point in enumerate(queue_spec.contact_points):
                self.step = f"queues[{i}].contact_points[{j}]"
                created = await self.tenants.CreateContactPoint(
                    tenant_pb2.CreateContactPointRequest(
                        queue_id=queue.queue_id,
                        kind=tenant_pb2.ContactKind.Value(f"CONTACT_KIND_{point.kind.name}"),
                        address=point.address,
                        country_hint=point.country,
                    ),
                    metadata=key,
                    timeout=self.timeout,
                )
                result.contact_points.append(created.contact_point)
                self.created.append(f"contact point {created.contact_point.address} -> {queue_spec.name}")


def _refers_to_queues(queue: Queue) -> bool:
    return bool(queue.after_hours_queue_id) or any(r.to_queue_id for r in queue.overflow_rules)


def _resolved(queue: Queue, skills: dict[str, str], queues: dict[str, str] | None) -> Queue:
    """``queue`` with skill and queue names replaced by ids; ``queues`` None: before the queues
    exist, so references to them are left out (set by an update once they do)."""
    required = tuple(replace(r, skill_id=skills[r.skill_id]) for r in queue.required_skills)
    if queues is None:
        if not _refers_to_queues(queue):
            return replace(queue, queue_id="", required_skills=required)
        action = queue.after_hours_action
        return replace(
            queue,
            queue_id="",
            required_skills=required,
            after_hours_action=AfterHoursAction.CLOSED_MESSAGE
            if action is AfterHoursAction.OVERFLOW
            else action,
            after_hours_queue_id="",
            overflow_rules=(),
        )
    return replace(
        queue,
        queue_id="",
        required_skills=required,
        after_hours_queue_id=queues.get(queue.after_hours_queue_id, ""),
        overflow_rules=tuple(
            replace(r, to_queue_id=queues[r.to_queue_id] if r.to_queue_id else "")
            for r in queue.overflow_rules
        ),
    )

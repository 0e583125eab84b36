"""gRPC servicers: check the caller's scope, convert the request, call the domain, publish, convert back.

Every write RPC runs under ``@write_rpc`` (adapters/writes.py): strings checked first, then one
transaction for the change, its outbox rows and its idempotency record; the relay publishes after commit.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel_client_tenant.adapters.config_publisher import ConfigPublisher
from vaxel_client_tenant.adapters.writes import Writes, write_rpc
from vaxel_client_tenant.domain import Queue, Tenant, TenantDirectory, TenantStatus
from vaxel_client_tenant.domain.keys import ApiKey, ApiKeys
from vaxel_common.auth import caller_tenant, current_principal
from vaxel_common.errors import NotFound
from vaxel_common.grpc_server import Context
from vaxel_vocabulary.content import FaqEntry, effective_contract
from vaxel_vocabulary.converters import (
    channels_from_pb,
    contact_kind_from_pb,
    contact_point_to_pb,
    contract_from_pb,
    contract_to_pb,
    faq_to_pb,
    guidelines_to_pb,
    hours_from_pb,
    hours_to_pb,
    parse_date,
    queue_from_pb,
    queue_mask_fields,
    queue_to_pb,
    skill_to_pb,
    tenant_to_pb,
)
from vaxel_vocabulary.entities import ConfigEntity
from vaxel_vocabulary.scopes import ADMIN, CONFIG_READ, CONFIG_WRITE, REPORTS_READ


class AdminServicer(tenant_pb2_grpc.AdminServiceServicer):
    """Provider ops: onboarding client companies, their status and their keys."""

    def __init__(
        self, directory: TenantDirectory, keys: ApiKeys, config: ConfigPublisher, writes: Writes
    ) -> None:
        self._directory = directory
        self._keys = keys
        self._config = config
        self._writes = writes

    def _published(self, tenant: Tenant) -> tenant_pb2.Tenant:
        message = tenant_to_pb(tenant)
        self._config.changed(tenant.tenant_id, ConfigEntity.TENANT, tenant.tenant_id, tenant.version, message)
        return message

    def _published_key(self, key: ApiKey) -> None:
        state = tenant_pb2.ApiKeyState(
            key_id=key.key_id,
            tenant_id=key.tenant_id,
            scopes=sorted(key.scopes),
            secret_sha256=key.secret_sha256,
            revoked=key.revoked_at is not None,
        )
        self._config.changed(
            key.tenant_id, ConfigEntity.API_KEY, key.key_id, 2 if state.revoked else 1, state
        )

    @write_rpc
    async def CreateTenant(  # noqa: N802  (gRPC method name)
        self, request: tenant_pb2.CreateTenantRequest, context: Context
    ) -> tenant_pb2.CreateTenantResponse:
        current_principal().require(ADMIN)
        tenant = self._directory.create_tenant(
            request.name, request.country, request.time_zone, list(request.languages)
        )
        return tenant_pb2.CreateTenantResponse(tenant=self._published(tenant))

    async def GetTenant(  # noqa: N802
        self, request: tenant_pb2.GetTenantRequest, context: Context
    ) -> tenant_pb2.GetTenantResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_READ)
        return tenant_pb2.GetTenantResponse(tenant=tenant_to_pb(self._directory.tenant(tenant_id)))

    @write_rpc
    async def SuspendTenant(  # noqa: N802
        self, request: tenant_pb2.SuspendTenantRequest, context: Context
    ) -> tenant_pb2.SuspendTenantResponse:
        current_principal().require(ADMIN)
        tenant = self._directory.set_status(request.tenant_id, TenantStatus.SUSPENDED)
        self._keys.forget()
        return tenant_pb2.SuspendTenantResponse(tenant=self._published(tenant))

    @write_rpc
    async def ReactivateTenant(  # noqa: N802
        self, request: tenant_pb2.ReactivateTenantRequest, context: Context
    ) -> tenant_pb2.ReactivateTenantResponse:
        current_principal().require(ADMIN)
        tenant = self._directory.set_status(request.tenant_id, TenantStatus.ACTIVE)
        self._keys.forget()
        return tenant_pb2.ReactivateTenantResponse(tenant=self._published(tenant))

    @write_rpc
    async def IssueApiKey(  # noqa: N802
        self, request: tenant_pb2.IssueApiKeyRequest, context: Context
    ) -> tenant_pb2.IssueApiKeyResponse:
        current_principal().require(ADMIN)
        key, plaintext = self._keys.issue(request.tenant_id, request.scopes)
        self._published_key(key)
        return tenant_pb2.IssueApiKeyResponse(key_id=key.key_id, api_key=plaintext, scopes=sorted(key.scopes))

    @write_rpc
    async def RevokeApiKey(  # noqa: N802
        self, request: tenant_pb2.RevokeApiKeyRequest, context: Context
    ) -> tenant_pb2.RevokeApiKeyResponse:
        current_principal().require(ADMIN)
        key = self._keys.revoke(request.key_id)
        self._published_key(key)
        reply = tenant_pb2.RevokeApiKeyResponse(key_id=key.key_id)
        if key.revoked_at is not None:
            reply.revoked_at.FromDatetime(key.revoked_at)
        return reply

    @write_rpc
    async def SetContractVersion(  # noqa: N802
        self, request: tenant_pb2.SetContractVersionRequest, context: Context
    ) -> tenant_pb2.SetContractVersionResponse:
        current_principal().require(ADMIN)
        contract = self._directory.add_contract_version(contract_from_pb(request.tenant_id, request.version))
        message = contract_to_pb(contract)
        entity = f"{contract.tenant_id}/{contract.effective_from.isoformat()}"
        self._config.changed(contract.tenant_id, ConfigEntity.CONTRACT_VERSION, entity, 1, message)
        return tenant_pb2.SetContractVersionResponse(version=message)


class TenantServicer(tenant_pb2_grpc.TenantServiceServicer):
    """A client company's own setup."""

    def __init__(self, directory: TenantDirectory, config: ConfigPublisher, writes: Writes) -> None:
        self._directory = directory
        self._config = config
        self._writes = writes

    @write_rpc
    async def CreateQueue(  # noqa: N802
        self, request: tenant_pb2.CreateQueueRequest, context: Context
    ) -> tenant_pb2.CreateQueueResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_WRITE)
        draft = replace(
            queue_from_pb(request.configuration, "configuration"),
            name=request.name,
            channels=tuple(channels_from_pb("channels", list(request.channels))),
            language=request.language,
            time_zone=request.time_zone,
            priority=request.priority,
        )
        queue = self._directory.create_configured_queue(tenant_id, draft)
        return tenant_pb2.CreateQueueResponse(queue=self._published_queue(queue))

    @write_rpc
    async def UpdateQueue(  # noqa: N802
        self, request: tenant_pb2.UpdateQueueRequest, context: Context
    ) -> tenant_pb2.UpdateQueueResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_WRITE)
        fields = queue_mask_fields(list(request.update_mask.paths))
        queue = self._directory.update_queue(
            tenant_id, request.queue.queue_id, queue_from_pb(request.queue), fields
        )
        return tenant_pb2.UpdateQueueResponse(queue=self._published_queue(queue))

    @write_rpc
    async def DeleteQueue(  # noqa: N802
        self, request: tenant_pb2.DeleteQueueRequest, context: Context
    ) -> tenant_pb2.DeleteQueueResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_WRITE)
        points = self._directory.contact_points(tenant_id, request.queue_id)
        queue = self._directory.delete_queue(tenant_id, request.queue_id)
        self._config.deleted(tenant_id, ConfigEntity.QUEUE, queue.queue_id, queue.version + 1)
        for point in points:
            self._config.deleted(tenant_id, ConfigEntity.CONTACT_POINT, point.contact_point_id, 2)
        return tenant_pb2.DeleteQueueResponse()

    @write_rpc
    async def CreateSkill(  # noqa: N802
        self, request: tenant_pb2.CreateSkillRequest, context: Context
    ) -> tenant_pb2.CreateSkillResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_WRITE)
        skill = self._directory.create_skill(tenant_id, request.name, request.description)
        message = skill_to_pb(skill)
        self._config.changed(tenant_id, ConfigEntity.SKILL, skill.skill_id, 1, message)
        return tenant_pb2.CreateSkillResponse(skill=message)

    async def ListSkills(  # noqa: N802
        self, request: tenant_pb2.ListSkillsRequest, context: Context
    ) -> tenant_pb2.ListSkillsResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_READ)
        skills, token = self._directory.skill_page(tenant_id, request.page_size, request.page_token)
        return tenant_pb2.ListSkillsResponse(skills=[skill_to_pb(s) for s in skills], next_page_token=token)

    def _published_queue(self, queue: Queue) -> tenant_pb2.Queue:
        message = queue_to_pb(queue)
        self._config.changed(queue.tenant_id, ConfigEntity.QUEUE, queue.queue_id, queue.version, message)
        return message

    async def GetQueue(  # noqa: N802
        self, request: tenant_pb2.GetQueueRequest, context: Context
    ) -> tenant_pb2.GetQueueResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_READ)
        return tenant_pb2.GetQueueResponse(
            queue=queue_to_pb(self._directory.queue(tenant_id, request.queue_id))
        )

    async def ListQueues(  # noqa: N802
        self, request: tenant_pb2.ListQueuesRequest, context: Context
    ) -> tenant_pb2.ListQueuesResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_READ)
        queues, cursor = self._directory.queues(tenant_id, request.page_size, request.page_token)
        return tenant_pb2.ListQueuesResponse(queues=[queue_to_pb(q) for q in queues], next_page_token=cursor)

    @write_rpc
    async def SetBusinessHours(  # noqa: N802
        self, request: tenant_pb2.SetBusinessHoursRequest, context: Context
    ) -> tenant_pb2.SetBusinessHoursResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_WRITE)
        queue = self._directory.queue(tenant_id, request.business_hours.queue_id)
        hours, version = self._directory.set_business_hours(
            tenant_id, queue.queue_id, hours_from_pb(request.business_hours, queue.time_zone)
        )
        message = hours_to_pb(queue.queue_id, hours)
        self._config.changed(tenant_id, ConfigEntity.BUSINESS_HOURS, queue.queue_id, version, message)
        return tenant_pb2.SetBusinessHoursResponse(business_hours=message)

    async def GetBusinessHours(  # noqa: N802
        self, request: tenant_pb2.GetBusinessHoursRequest, context: Context
    ) -> tenant_pb2.GetBusinessHoursResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_READ)
        hours = self._directory.business_hours(tenant_id, request.queue_id)
        if hours is None:
            raise NotFound(f"queue {request.queue_id!r} has no business hours (it is always open)")
        return tenant_pb2.GetBusinessHoursResponse(business_hours=hours_to_pb(request.queue_id, hours))

    async def GetQueueOpenState(  # noqa: N802
        self, request: tenant_pb2.GetQueueOpenStateRequest, context: Context
    ) -> tenant_pb2.GetQueueOpenStateResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_READ)
        at = request.at.ToDatetime(UTC) if request.HasField("at") else datetime.now(UTC)
        is_open, opening, closing = self._directory.open_state(tenant_id, request.queue_id, at)
        reply = tenant_pb2.GetQueueOpenStateResponse(open=is_open)
        if opening is not None:
            reply.next_opening.FromDatetime(opening)
        if closing is not None:
            reply.next_closing.FromDatetime(closing)
        return reply

    @write_rpc
    async def CreateContactPoint(  # noqa: N802
        self, request: tenant_pb2.CreateContactPointRequest, context: Context
    ) -> tenant_pb2.CreateContactPointResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_WRITE)
        point = self._directory.add_contact_point(
            tenant_id,
            request.queue_id,
            contact_kind_from_pb("kind", request.kind),
            request.address,
            request.country_hint,
        )
        message = contact_point_to_pb(point)
        self._config.changed(tenant_id, ConfigEntity.CONTACT_POINT, point.contact_point_id, 1, message)
        return tenant_pb2.CreateContactPointResponse(contact_point=message)

    async def ListContactPoints(  # noqa: N802
        self, request: tenant_pb2.ListContactPointsRequest, context: Context
    ) -> tenant_pb2.ListContactPointsResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_READ)
        points, token = self._directory.contact_point_page(
            tenant_id, request.queue_id, request.page_size, request.page_token
        )
        return tenant_pb2.ListContactPointsResponse(
            contact_points=[contact_point_to_pb(p) for p in points], next_page_token=token
        )

    @write_rpc
    async def DeleteContactPoint(  # noqa: N802
        self, request: tenant_pb2.DeleteContactPointRequest, context: Context
    ) -> tenant_pb2.DeleteContactPointResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_WRITE)
        point = self._directory.delete_contact_point(tenant_id, request.contact_point_id)
        self._config.deleted(tenant_id, ConfigEntity.CONTACT_POINT, point.contact_point_id, 2)
        return tenant_pb2.DeleteContactPointResponse()

    @write_rpc
    async def CreateFaqEntry(  # noqa: N802
        self, request: tenant_pb2.CreateFaqEntryRequest, context: Context
    ) -> tenant_pb2.CreateFaqEntryResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_WRITE)
        e = request.entry
        entry = self._directory.add_faq(
            FaqEntry("", tenant_id, e.language, e.question, e.answer, tuple(e.keywords))
        )
        message = faq_to_pb(entry)
        self._config.changed(tenant_id, ConfigEntity.FAQ_ENTRY, entry.faq_id, 1, message)
        return tenant_pb2.CreateFaqEntryResponse(entry=message)

    async def ListFaqEntries(  # noqa: N802
        self, request: tenant_pb2.ListFaqEntriesRequest, context: Context
    ) -> tenant_pb2.ListFaqEntriesResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_READ)
        entries, token = self._directory.faq_page(
            tenant_id, request.language, request.page_size, request.page_token
        )
        return tenant_pb2.ListFaqEntriesResponse(
            entries=[faq_to_pb(e) for e in entries], next_page_token=token
        )

    @write_rpc
    async def DeleteFaqEntry(  # noqa: N802
        self, request: tenant_pb2.DeleteFaqEntryRequest, context: Context
    ) -> tenant_pb2.DeleteFaqEntryResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_WRITE)
        entry = self._directory.delete_faq(tenant_id, request.faq_id)
        self._config.deleted(tenant_id, ConfigEntity.FAQ_ENTRY, entry.faq_id, 2)
        return tenant_pb2.DeleteFaqEntryResponse()

    @write_rpc
    async def SetCallGuidelines(  # noqa: N802
        self, request: tenant_pb2.SetCallGuidelinesRequest, context: Context
    ) -> tenant_pb2.SetCallGuidelinesResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_WRITE)
        guidelines = self._directory.set_guidelines(tenant_id, request.queue_id, request.text)
        message = guidelines_to_pb(guidelines)
        self._config.changed(
            tenant_id, ConfigEntity.CALL_GUIDELINES, guidelines.queue_id, guidelines.version, message
        )
        return tenant_pb2.SetCallGuidelinesResponse(guidelines=message)

    async def GetCallGuidelines(  # noqa: N802
        self, request: tenant_pb2.GetCallGuidelinesRequest, context: Context
    ) -> tenant_pb2.GetCallGuidelinesResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_READ)
        guidelines = self._directory.guidelines(tenant_id, request.queue_id)
        return tenant_pb2.GetCallGuidelinesResponse(guidelines=guidelines_to_pb(guidelines))

    async def ListContractVersions(  # noqa: N802
        self, request: tenant_pb2.ListContractVersionsRequest, context: Context
    ) -> tenant_pb2.ListContractVersionsResponse:
        tenant_id = caller_tenant(request.tenant_id, REPORTS_READ)
        history = self._directory.contract_history(tenant_id)
        return tenant_pb2.ListContractVersionsResponse(versions=[contract_to_pb(c) for c in history])

    async def GetEffectiveContract(  # noqa: N802
        self, request: tenant_pb2.GetEffectiveContractRequest, context: Context
    ) -> tenant_pb2.GetEffectiveContractResponse:
        tenant_id = caller_tenant(request.tenant_id, REPORTS_READ)
        if request.date:
            on = parse_date("date", request.date)
        else:
            on = datetime.now(ZoneInfo(self._directory.tenant(tenant_id).time_zone)).date()
        contract = self._directory.contract_on(tenant_id, on)
        return tenant_pb2.GetEffectiveContractResponse(contract=contract_to_pb(contract))

    @write_rpc
    async def SetDataRetention(  # noqa: N802
        self, request: tenant_pb2.SetDataRetentionRequest, context: Context
    ) -> tenant_pb2.SetDataRetentionResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_WRITE)
        tenant = self._directory.set_data_retention(tenant_id, request.days)
        message = tenant_to_pb(tenant)
        # The tenant's full state, as for suspension: interaction-log reads it from the configuration topic.
        self._config.changed(tenant.tenant_id, ConfigEntity.TENANT, tenant.tenant_id, tenant.version, message)
        return tenant_pb2.SetDataRetentionResponse(tenant=message)

    async def GetEffectiveConfiguration(  # noqa: N802
        self, request: tenant_pb2.GetEffectiveConfigurationRequest, context: Context
    ) -> tenant_pb2.GetEffectiveConfigurationResponse:
        tenant_id = caller_tenant(request.tenant_id, CONFIG_READ)
        tenant = self._directory.tenant(tenant_id)
        now = datetime.now(UTC)
        reply = tenant_pb2.GetEffectiveConfigurationResponse(
            tenant=tenant_to_pb(tenant),
            skills=[skill_to_pb(s) for s in self._directory.skills(tenant_id)],
            faq_entries=len(self._directory.faq(tenant_id)),
        )
        points = self._directory.contact_points(tenant_id)
        for queue in self._directory.all_queues(tenant_id):
            hours = self._directory.business_hours(tenant_id, queue.queue_id)
            effective = reply.queues.add(
                queue=queue_to_pb(queue),
                open_now=self._directory.open_state(tenant_id, queue.queue_id, now)[0],
                guidelines=guidelines_to_pb(self._directory.guidelines(tenant_id, queue.queue_id)),
                contact_points=[contact_point_to_pb(p) for p in points if p.queue_id == queue.queue_id],
            )
            if hours is not None:
                effective.business_hours.CopyFrom(hours_to_pb(queue.queue_id, hours))
        today = now.astimezone(ZoneInfo(tenant.time_zone)).date()
        contract = effective_contract(self._directory.contract_history(tenant_id), today)
        if contract is not None:
            reply.contract.CopyFrom(contract_to_pb(contract))
            principal = current_principal()
            if principal.tenant_id is not None and not principal.holds(REPORTS_READ):
                # Money terms are for whoever reads contracts (reports:read, as ListContractVersions)
                # or the provider: a config:read key sees the service-level terms only.
                del reply.contract.rates[:]
                del reply.contract.credits[:]
        return reply

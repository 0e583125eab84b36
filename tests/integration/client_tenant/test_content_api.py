"""FAQ entries, call guidelines and contract versions through the tenant API."""

from __future__ import annotations

import time

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration

from tests.fixtures.platform import onboard_tenant, tenant_events
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.supervisor import Platform
from vaxel_common.topics import TENANT_CONFIG

pytestmark = pytest.mark.integration


def _voice_contract(
    effective_from: str, rate_minor: int, credits: list[tenant_pb2.ServiceCreditRule] | None = None
) -> tenant_pb2.ContractVersion:
    """A SEK contract: 80 % in 20 s, voice billed per handled minute at ``rate_minor``."""
    return tenant_pb2.ContractVersion(
        effective_from=effective_from,
        currency="SEK",
        target_percent=80,
        threshold=Duration(seconds=20),
        rates=[
            tenant_pb2.BillingRate(
                channel=types_pb2.CHANNEL_VOICE,
                unit=tenant_pb2.BILLING_UNIT_PER_HANDLED_MINUTE,
                amount_minor=rate_minor,
            )
        ],
        credits=credits or [],
    )


Md = tuple[tuple[str, str], ...]


@pytest.fixture
def tenant(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> tuple[str, tenant_pb2_grpc.AdminServiceStub, tenant_pb2_grpc.TenantServiceStub, Md]:
    tenant_id, md = onboard_tenant(
        platform,
        channels,
        "Tele2",
        "SE",
        "Europe/Stockholm",
        "sv-SE",
        ("config:read", "config:write", "reports:read"),
    )
    admin = tenant_pb2_grpc.AdminServiceStub(channels["client-tenant"])
    return tenant_id, admin, tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"]), md


def test_faq_by_language(
    tenant: tuple[str, tenant_pb2_grpc.AdminServiceStub, tenant_pb2_grpc.TenantServiceStub, Md],
) -> None:
    _, _, stub, md = tenant
    for language, question in (("sv-SE", "Hur byter jag abonnemang?"), ("en-GB", "How do I change plan?")):
        stub.CreateFaqEntry(
            tenant_pb2.CreateFaqEntryRequest(
                entry=tenant_pb2.FaqEntry(
                    language=language, question=question, answer="I appen.", keywords=["Plan"]
                )
            ),
            metadata=md,
        )
    swedish = stub.ListFaqEntries(tenant_pb2.ListFaqEntriesRequest(language="sv-SE"), metadata=md).entries
    assert [e.question for e in swedish] == ["Hur byter jag abonnemang?"]
    assert list(swedish[0].keywords) == ["plan"]
    assert len(stub.ListFaqEntries(tenant_pb2.ListFaqEntriesRequest(), metadata=md).entries) == 2
    with pytest.raises(grpc.RpcError) as err:
        stub.CreateFaqEntry(
            tenant_pb2.CreateFaqEntryRequest(
                entry=tenant_pb2.FaqEntry(language="sv-SE", question="?", answer="")
            ),
            metadata=md,
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (err.value.details() or "").startswith("answer:")
    stub.DeleteFaqEntry(tenant_pb2.DeleteFaqEntryRequest(faq_id=swedish[0].faq_id), metadata=md)
    assert len(stub.ListFaqEntries(tenant_pb2.ListFaqEntriesRequest(), metadata=md).entries) == 1


def test_guidelines_are_versioned(
    tenant: tuple[str, tenant_pb2_grpc.AdminServiceStub, tenant_pb2_grpc.TenantServiceStub, Md],
) -> None:
    _, _, stub, md = tenant
    queue = stub.CreateQueue(
        tenant_pb2.CreateQueueRequest(name="Mobil", channels=[types_pb2.CHANNEL_VOICE], language="sv-SE"),
        metadata=md,
    ).queue
    first = stub.SetCallGuidelines(
        tenant_pb2.SetCallGuidelinesRequest(queue_id=queue.queue_id, text="Hälsa med namn."), metadata=md
    ).guidelines
    second = stub.SetCallGuidelines(
        tenant_pb2.SetCallGuidelinesRequest(queue_id=queue.queue_id, text="Hälsa med namn. Erbjud 5G."),
        metadata=md,
    ).guidelines
    assert (first.version, second.version) == (1, 2)
    read = stub.GetCallGuidelines(tenant_pb2.GetCallGuidelinesRequest(queue_id=queue.queue_id), metadata=md)
    assert read.guidelines == second


def test_contract_history_and_effective_version(
    platform: Platform,
    tenant: tuple[str, tenant_pb2_grpc.AdminServiceStub, tenant_pb2_grpc.TenantServiceStub, Md],
) -> None:
    tenant_id, admin, stub, md = tenant
    with pytest.raises(grpc.RpcError) as err:
        stub.GetEffectiveContract(tenant_pb2.GetEffectiveContractRequest(date="2026-01-01"), metadata=md)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    for effective, rate in (("2026-01-01", 950), ("2026-07-01", 990)):
        admin.SetContractVersion(
            tenant_pb2.SetContractVersionRequest(
                tenant_id=tenant_id,
                version=tenant_pb2.ContractVersion(
                    effective_from=effective,
                    currency="SEK",
                    service_level_formula=tenant_pb2.SERVICE_LEVEL_FORMULA_ANSWERED_WITHIN_OVER_ANSWERED,
                    target_percent=80,
                    threshold=Duration(seconds=20),
                    rates=[
                        tenant_pb2.BillingRate(
                            channel=types_pb2.CHANNEL_VOICE,
                            unit=tenant_pb2.BILLING_UNIT_PER_HANDLED_MINUTE,
                            amount_minor=rate,
                        )
                    ],
                    credits=[
                        tenant_pb2.ServiceCreditRule(below_percent=80, credit_percent=5),
                        tenant_pb2.ServiceCreditRule(
                            channel=types_pb2.CHANNEL_VOICE,
                            below_percent=70,
                            credit_percent=10,
                            amount_minor=50_000,
                        ),
                    ],
                ),
            ),
            metadata=platform.admin_metadata,
        )
    history = stub.ListContractVersions(tenant_pb2.ListContractVersionsRequest(), metadata=md).versions
    assert [v.effective_from for v in history] == ["2026-01-01", "2026-07-01"]
    credits = history[1].credits
    assert [(c.channel, c.below_percent, c.credit_percent, c.amount_minor) for c in credits] == [
        (types_pb2.CHANNEL_UNSPECIFIED, 80, 5, 0),
        (types_pb2.CHANNEL_VOICE, 70, 10, 50_000),
    ]
    june = stub.GetEffectiveContract(tenant_pb2.GetEffectiveContractRequest(date="2026-06-30"), metadata=md)
    assert june.contract.rates[0].amount_minor == 950
    july = stub.GetEffectiveContract(tenant_pb2.GetEffectiveContractRequest(date="2026-07-01"), metadata=md)
    assert july.contract.rates[0].amount_minor == 990
    with pytest.raises(grpc.RpcError) as err:
        admin.SetContractVersion(
            tenant_pb2.SetContractVersionRequest(
                tenant_id=tenant_id,
                version=tenant_pb2.ContractVersion(
                    effective_from="2027-01-01",
                    currency="kronor",
                    target_percent=80,
                    threshold=Duration(seconds=20),
                ),
            ),
            metadata=platform.admin_metadata,
        )
    assert (err.value.details() or "").startswith("currency:")
    with pytest.raises(grpc.RpcError) as err:
        admin.SetContractVersion(
            tenant_pb2.SetContractVersionRequest(
                tenant_id=tenant_id,
                version=tenant_pb2.ContractVersion(
                    effective_from="2027-01-01",
                    currency="SEK",
                    target_percent=80,
                    threshold=Duration(seconds=20),
                    credits=[tenant_pb2.ServiceCreditRule(below_percent=120, credit_percent=5)],
                ),
            ),
            metadata=platform.admin_metadata,
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (err.value.details() or "").startswith("credits[0].below_percent:")


def test_effective_configuration_gathers_what_applies_now(
    platform: Platform,
    tenant: tuple[str, tenant_pb2_grpc.AdminServiceStub, tenant_pb2_grpc.TenantServiceStub, Md],
) -> None:
    tenant_id, admin, stub, md = tenant
    queue = stub.CreateQueue(
        tenant_pb2.CreateQueueRequest(name="Mobil", channels=[types_pb2.CHANNEL_VOICE], language="sv-SE"),
        metadata=md,
    ).queue
    stub.SetCallGuidelines(
        tenant_pb2.SetCallGuidelinesRequest(queue_id=queue.queue_id, text="Hej!"), metadata=md
    )
    stub.CreateContactPoint(
        tenant_pb2.CreateContactPointRequest(
            queue_id=queue.queue_id,
            kind=tenant_pb2.CONTACT_KIND_EMAIL_ADDRESS,
            address=f"kund-{tenant_id}@tele2.se",
        ),
        metadata=md,
    )
    admin.SetContractVersion(
        tenant_pb2.SetContractVersionRequest(
            tenant_id=tenant_id,
            version=tenant_pb2.ContractVersion(
                effective_from="2020-01-01", currency="SEK", target_percent=80, threshold=Duration(seconds=20)
            ),
        ),
        metadata=platform.admin_metadata,
    )
    config = stub.GetEffectiveConfiguration(tenant_pb2.GetEffectiveConfigurationRequest(), metadata=md)
    assert config.tenant.tenant_id == tenant_id
    assert [q.queue.queue_id for q in config.queues] == [queue.queue_id]
    only = config.queues[0]
    assert only.open_now, "no business hours: always open"
    assert not only.HasField("business_hours")
    assert only.guidelines.text == "Hej!"
    assert [p.kind for p in only.contact_points] == [tenant_pb2.CONTACT_KIND_EMAIL_ADDRESS]
    assert config.contract.currency == "SEK"


def test_every_list_pages_with_a_cursor(
    tenant: tuple[str, tenant_pb2_grpc.AdminServiceStub, tenant_pb2_grpc.TenantServiceStub, Md],
) -> None:
    _, _, stub, md = tenant
    queue = stub.CreateQueue(
        tenant_pb2.CreateQueueRequest(name="Support", channels=[types_pb2.CHANNEL_CHAT], language="sv-SE"),
        metadata=md,
    ).queue
    for i in range(5):
        stub.CreateSkill(tenant_pb2.CreateSkillRequest(name=f"Skill {i}"), metadata=md)
        stub.CreateFaqEntry(
            tenant_pb2.CreateFaqEntryRequest(
                entry=tenant_pb2.FaqEntry(language="sv-SE", question=f"Fråga {i}?", answer="Svar.")
            ),
            metadata=md,
        )
        stub.CreateContactPoint(
            tenant_pb2.CreateContactPointRequest(
                queue_id=queue.queue_id,
                kind=tenant_pb2.CONTACT_KIND_CHAT_WIDGET,
                address=f"widget-{queue.queue_id[:8]}-{i}",
            ),
            metadata=md,
        )
        stub.CreateQueue(
            tenant_pb2.CreateQueueRequest(name=f"Q{i}", channels=[types_pb2.CHANNEL_EMAIL], language="sv-SE"),
            metadata=md,
        )

    def walk(call, request_type, field: str, name_of, **extra: str) -> list[str]:  # type: ignore[no-untyped-def]
        names: list[str] = []
        token = ""
        pages = 0
        while True:
            response = call(request_type(page_size=2, page_token=token, **extra), metadata=md)
            items = list(getattr(response, field))
            assert len(items) <= 2
            names += [name_of(i) for i in items]
            pages += 1
            token = response.next_page_token
            if not token:
                return names
            assert pages < 10

    skills = walk(stub.ListSkills, tenant_pb2.ListSkillsRequest, "skills", lambda s: s.name)
    assert skills == [f"Skill {i}" for i in range(5)]
    faq = walk(stub.ListFaqEntries, tenant_pb2.ListFaqEntriesRequest, "entries", lambda e: e.question)
    assert faq == [f"Fråga {i}?" for i in range(5)]
    points = walk(
        stub.ListContactPoints,
        tenant_pb2.ListContactPointsRequest,
        "contact_points",
        lambda p: p.address,
        queue_id=queue.queue_id,
    )
    assert points == [f"widget-{queue.queue_id[:8]}-{i}" for i in range(5)]
    queues = walk(stub.ListQueues, tenant_pb2.ListQueuesRequest, "queues", lambda q: q.queue_id)
    assert len(queues) == 6
    assert queues == sorted(queues)
    forged = tenant_pb2.ListSkillsRequest(page_token="not-a-token")  # noqa: S106
    with pytest.raises(grpc.RpcError) as err:
        stub.ListSkills(forged, metadata=md)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (err.value.details() or "").startswith("page_token:")


def test_a_contract_version_set_again_travels_as_a_new_event(
    platform: Platform,
    tenant: tuple[str, tenant_pb2_grpc.AdminServiceStub, tenant_pb2_grpc.TenantServiceStub, Md],
) -> None:
    """Replacing the version of a date publishes its new state with an id of its own (a consumer that
    drops known ids would otherwise keep the old rates), and setting the same state again the same id."""
    tenant_id, admin, _, _ = tenant
    for rate in (950, 990, 990):
        admin.SetContractVersion(
            tenant_pb2.SetContractVersionRequest(
                tenant_id=tenant_id,
                version=_voice_contract("2026-01-01", rate),
            ),
            metadata=platform.admin_metadata,
        )
    deadline = time.monotonic() + 20
    while True:
        changes = [
            e
            for e in tenant_events(platform, TENANT_CONFIG.name, {tenant_id})
            if e.tenant_config_changed.entity_type == "contract_version"
        ]
        if len(changes) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    rates = []
    for event in changes:
        contract = tenant_pb2.ContractVersion()
        event.tenant_config_changed.state.Unpack(contract)
        rates.append((event.event_id, contract.rates[0].amount_minor))
    assert [rate for _, rate in rates] == [950, 990, 990]
    assert rates[0][0] != rates[1][0]
    assert rates[1][0] == rates[2][0]


def test_a_config_read_key_does_not_read_billing_rates(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    """GetEffectiveConfiguration gives the contract's money terms (rates, credits) only to a key that reads
    contracts (reports:read) and to the provider; a config:read key gets the service-level terms."""
    tenant_id, config_only = onboard_tenant(
        platform, channels, "Rates", "SE", "Europe/Stockholm", "sv-SE", ("config:read",)
    )
    admin = tenant_pb2_grpc.AdminServiceStub(channels["client-tenant"])
    stub = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
    reporting_key = admin.IssueApiKey(
        tenant_pb2.IssueApiKeyRequest(tenant_id=tenant_id, scopes=["config:read", "reports:read"]),
        metadata=platform.admin_metadata,
    ).api_key
    reporting = (("authorization", f"Bearer {reporting_key}"),)
    admin.SetContractVersion(
        tenant_pb2.SetContractVersionRequest(
            tenant_id=tenant_id,
            version=_voice_contract(
                "2020-01-01",
                950,
                credits=[
                    tenant_pb2.ServiceCreditRule(below_percent=80, credit_percent=5, amount_minor=1_000)
                ],
            ),
        ),
        metadata=platform.admin_metadata,
    )

    def contract(md: Md, requested: str = "") -> tenant_pb2.ContractVersion:
        request = tenant_pb2.GetEffectiveConfigurationRequest(tenant_id=requested)
        return stub.GetEffectiveConfiguration(request, metadata=md, timeout=5).contract

    seen = contract(config_only)
    assert (seen.currency, seen.target_percent, seen.threshold.seconds) == ("SEK", 80, 20)
    assert list(seen.rates) == []
    assert list(seen.credits) == []
    for md, requested in ((reporting, ""), (platform.admin_metadata, tenant_id)):
        full = contract(md, requested)
        assert [r.amount_minor for r in full.rates] == [950]
        assert [c.amount_minor for c in full.credits] == [1_000]

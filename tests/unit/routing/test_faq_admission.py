"""FAQ deflection in routing's admission: the replica's per-tenant index follows the FAQ entries."""

from __future__ import annotations

from vaxel_routing.domain.admission import match_faq
from vaxel_routing.domain.replica import ConfigReplica
from vaxel_vocabulary.content import FaqEntry
from vaxel_vocabulary.faq_matching import FaqOutcome

CANCEL = FaqEntry(
    "f1", "t1", "sv-SE", "Hur säger jag upp mitt abonnemang?", "Under Mina sidor.", ("säga upp",)
)
OTHER_TENANT = FaqEntry("f2", "t2", "sv-SE", "Hur byter jag abonnemang?", "I appen.", ("byta abonnemang",))


class TestReplicaIndex:
    def test_an_entry_answers_once_applied_and_not_after_removal(self) -> None:
        replica = ConfigReplica()
        assert match_faq(replica.faq_index("t1"), "sv-SE", "jag vill säga upp").outcome is FaqOutcome.NO_MATCH
        replica.apply_faq(CANCEL)
        decision = match_faq(replica.faq_index("t1"), "sv-SE", "jag vill säga upp abonnemanget")
        assert decision.entry == CANCEL
        replica.remove_faq("f1")
        assert match_faq(replica.faq_index("t1"), "sv-SE", "jag vill säga upp").entry is None

    def test_an_edited_entry_is_matched_as_edited(self) -> None:
        replica = ConfigReplica()
        replica.apply_faq(CANCEL)
        assert replica.faq_index("t1") is replica.faq_index("t1")  # built once per change
        edited = FaqEntry("f1", "t1", "sv-SE", "Hur spärrar jag mitt SIM-kort?", "Ring oss.", ("spärra",))
        replica.apply_faq(edited)
        assert match_faq(replica.faq_index("t1"), "sv-SE", "spärra kortet").entry == edited
        assert match_faq(replica.faq_index("t1"), "sv-SE", "säga upp abonnemanget").entry is None

    def test_a_tenant_is_answered_from_its_own_faq_only(self) -> None:
        replica = ConfigReplica()
        replica.apply_faq(CANCEL)
        replica.apply_faq(OTHER_TENANT)
        assert match_faq(replica.faq_index("t1"), "sv-SE", "jag vill byta abonnemang").entry is None
        assert match_faq(replica.faq_index("t2"), "sv-SE", "jag vill byta abonnemang").entry == OTHER_TENANT

    def test_negation_and_a_person_request_do_not_deflect(self) -> None:
        replica = ConfigReplica()
        replica.apply_faq(CANCEL)
        index = replica.faq_index("t1")
        assert match_faq(index, "sv-SE", "jag vill inte säga upp").outcome is FaqOutcome.NO_MATCH
        assert (
            match_faq(index, "sv-SE", "säga upp, prata med en människa").outcome
            is FaqOutcome.PERSON_REQUESTED
        )

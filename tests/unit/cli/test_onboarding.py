"""Onboarding's one piece of logic outside the calls: names in the file become the platform's ids,
and references to queues wait until every queue exists."""

from __future__ import annotations

from pathlib import Path

from vaxel_cli.onboarding import _resolved
from vaxel_cli.spec import load_spec
from vaxel_vocabulary.model import AfterHoursAction

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "nordtel.yaml"
SKILLS = {"mobil": "s-1", "bredband": "s-2", "faktura": "s-3", "english": "s-4"}
QUEUES = {"Mobilsupport": "q-1", "Bredband": "q-2", "Fakturor": "q-3", "English Support": "q-4"}


class TestResolved:
    def test_before_the_queues_exist_references_to_them_are_left_out(self) -> None:
        drafts = {q.name: q for q in load_spec(EXAMPLE).queue_drafts()}
        bredband = _resolved(drafts["Bredband"], SKILLS, None)
        assert bredband.after_hours_action is AfterHoursAction.CLOSED_MESSAGE
        assert bredband.after_hours_queue_id == ""
        assert [r.skill_id for r in bredband.required_skills] == ["s-2"]
        mobil = _resolved(drafts["Mobilsupport"], SKILLS, None)
        assert mobil.overflow_rules == ()  # set with the reference once English Support exists
        assert mobil.after_hours_action is AfterHoursAction.CALLBACK  # no reference: kept
        fakturor = _resolved(drafts["Fakturor"], SKILLS, None)
        assert [r.skill_id for r in fakturor.required_skills] == ["s-3"]
        assert fakturor.service_level_targets == drafts["Fakturor"].service_level_targets

    def test_afterwards_names_become_ids(self) -> None:
        drafts = {q.name: q for q in load_spec(EXAMPLE).queue_drafts()}
        bredband = _resolved(drafts["Bredband"], SKILLS, QUEUES)
        assert bredband.after_hours_action is AfterHoursAction.OVERFLOW
        assert bredband.after_hours_queue_id == "q-1"
        mobil = _resolved(drafts["Mobilsupport"], SKILLS, QUEUES)
        assert [(r.after_seconds, r.relax_skills, r.to_queue_id) for r in mobil.overflow_rules] == [
            (120, True, ""),
            (360, False, "q-4"),
        ]
        english = _resolved(drafts["English Support"], SKILLS, QUEUES)
        assert [r.skill_id for r in english.required_skills] == ["s-4", "s-1"]
        assert english.queue_id == ""  # the platform assigns it

"""FAQ matching (vaxel_vocabulary.faq_matching): the labelled sets' precision and recall, and each rule."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.vocabulary.faq_labelled import LANGUAGES, evaluate, load
from vaxel_vocabulary.content import FaqEntry
from vaxel_vocabulary.faq_matching import FaqIndex, FaqOutcome, match_faq

ROOT = Path(__file__).resolve().parents[3]

# Set from the measured figures (make bench prints them) a little below, so that a change that loses
# two or three questions in a language fails here. Measured: sv 0.967 / 0.928, de 0.958 / 0.905,
# en 0.967 / 0.951 (precision / recall).
FLOORS = {"sv": (0.95, 0.91), "de": (0.94, 0.89), "en": (0.95, 0.93)}


def entry(faq_id: str, language: str, question: str, *keywords: str) -> FaqEntry:
    return FaqEntry(faq_id, "t", language, question, f"answer {faq_id}", keywords)


def answered(index: FaqIndex, language: str, text: str) -> str | None:
    decision = index.match(language, text)
    return decision.entry.faq_id if decision.entry is not None else None


TELECOM = FaqIndex(
    [
        entry("cancel", "sv-SE", "Hur säger jag upp mitt abonnemang?", "säga upp", "uppsägning"),
        entry("change", "sv-SE", "Hur byter jag abonnemang?", "byta abonnemang"),
        entry("invoice", "sv-SE", "Varför är fakturan hög?", "faktura"),
    ]
)
RETAIL = FaqIndex(
    [
        entry("address", "de-DE", "Wie ändere ich meine Adresse?", "Adresse ändern"),
        entry("cancel", "de-DE", "Wie kündige ich meine Mitgliedschaft?", "kündigen", "Kündigung"),
        entry("voucher", "de-DE", "Wie löse ich einen Gutschein ein?", "Gutschein"),
    ]
)
AIRLINE = FaqIndex(
    [
        entry("cancel", "en-AU", "How do I cancel my booking?", "cancel", "cancellation"),
        entry("change", "en-AU", "How do I change my flight?", "change flight", "reschedule"),
        entry("checkin", "en-AU", "When does online check-in open?", "check-in", "boarding pass"),
        entry("baggage", "en-AU", "How much baggage can I bring?", "checked bag", "luggage"),
    ]
)


class TestLabelledSets:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_precision_and_recall_stay_above_the_floors(self, language: str) -> None:
        labelled = load(language)
        score = evaluate(labelled)
        assert score.questions >= 100
        assert len(labelled.entries) >= 15
        wanted_precision, wanted_recall = FLOORS[language]
        assert score.precision >= wanted_precision, score.mistakes
        assert score.recall >= wanted_recall, score.mistakes

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_each_set_has_negations_person_requests_and_off_topic(self, language: str) -> None:
        labelled = load(language)
        nones = [text for text, expected in labelled.questions if expected == "none"]
        assert len(nones) >= 25
        index = FaqIndex(labelled.entries)
        people = [
            t for t in nones if index.match(labelled.language, t).outcome is FaqOutcome.PERSON_REQUESTED
        ]
        assert len(people) >= 6

    def test_the_same_answers_whatever_the_hash_seed(self) -> None:
        """Deterministic: no set or dict order leaks into a decision (two interpreters, two seeds)."""
        script = (
            "import json; from tests.unit.vocabulary.faq_labelled import LANGUAGES, load;"
            "from vaxel_vocabulary.faq_matching import FaqIndex\n"
            "out = []\n"
            "for lang in LANGUAGES:\n"
            "    s = load(lang); i = FaqIndex(s.entries)\n"
            "    out += [[t, str(i.match(s.language, t))] for t, _ in s.questions]\n"
            "print(json.dumps(out))"
        )
        runs = [
            subprocess.run(
                [sys.executable, "-c", script],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
                env={**os.environ, "PYTHONHASHSEED": seed},
                timeout=120,
            ).stdout
            for seed in ("1", "4242")
        ]
        assert json.loads(runs[0]) == json.loads(runs[1])
        assert len(json.loads(runs[0])) >= 300

    def test_the_order_of_the_entries_does_not_matter(self) -> None:
        labelled = load("de")
        forwards, backwards = FaqIndex(labelled.entries), FaqIndex(reversed(labelled.entries))
        for text, _ in labelled.questions:
            assert forwards.match(labelled.language, text) == backwards.match(labelled.language, text)


class TestStemsAndCompounds:
    def test_inflections_meet_through_the_stemmer(self) -> None:
        assert answered(TELECOM, "sv-SE", "Jag vill säga upp abonnemanget") == "cancel"
        assert answered(RETAIL, "de-DE", "Kündigung meiner Mitgliedschaft") == "cancel"
        assert answered(AIRLINE, "en-AU", "My booking was cancelled, what now?") == "cancel"

    def test_a_swedish_compound_matches_its_part(self) -> None:
        assert answered(TELECOM, "sv-SE", "Jag vill byta mobilabonnemang") == "change"
        assert answered(TELECOM, "sv-SE", "Varför är mobilfakturan så hög?") == "invoice"

    def test_a_german_compound_matches_its_parts(self) -> None:
        assert answered(RETAIL, "de-DE", "Ich möchte meine Rechnungsadresse ändern") == "address"
        assert answered(RETAIL, "de-DE", "Wo löse ich den Geschenkgutschein ein?") == "voucher"

    def test_a_compound_of_the_faq_meets_its_parts_in_the_message(self) -> None:
        index = FaqIndex([entry("address", "de-DE", "Rechnungsadresse ändern", "Lieferadresse")])
        assert answered(index, "de-DE", "Ich will die Adresse ändern") == "address"

    def test_accents_and_spellings_without_them_meet(self) -> None:
        assert answered(RETAIL, "de-DE", "ich moechte kuendigen") == "cancel"
        assert answered(TELECOM, "sv-SE", "hur sager jag upp mitt abonnemang") == "cancel"

    def test_check_in_written_three_ways(self) -> None:
        for text in ("How do I check in?", "check-in not working", "Where is checkin?"):
            assert answered(AIRLINE, "en-AU", text) == "checkin", text

    def test_a_word_with_an_unknown_head_is_not_its_known_modifier(self) -> None:
        """ "Kaufhaus" (department store) is not about "Kauf" (buying)."""
        index = FaqIndex([entry("pay", "de-DE", "Kauf auf Rechnung", "Kauf")])
        assert answered(index, "de-DE", "Wie alt ist das Kaufhaus?") is None


class TestNegation:
    @pytest.mark.parametrize(
        ("index", "language", "text"),
        [
            (AIRLINE, "en-AU", "I do not want to cancel"),
            (AIRLINE, "en-AU", "I don't want to cancel my booking"),
            (AIRLINE, "en-AU", "please dont cancel"),
            (TELECOM, "sv-SE", "jag vill inte säga upp"),
            (TELECOM, "sv-SE", "Säg inte upp mitt abonnemang"),
            (RETAIL, "de-DE", "ich will nicht kündigen"),
            (RETAIL, "de-DE", "Ich möchte keine Kündigung"),
        ],
    )
    def test_turning_the_entry_down_does_not_deflect(self, index: FaqIndex, language: str, text: str) -> None:
        assert index.match(language, text).outcome is FaqOutcome.NO_MATCH

    def test_what_is_asked_for_after_the_refusal_is_answered(self) -> None:
        assert answered(AIRLINE, "en-AU", "I do not want to cancel, I want to change my flight") == "change"
        assert answered(TELECOM, "sv-SE", "Jag vill inte säga upp, jag vill byta abonnemang") == "change"
        assert answered(RETAIL, "de-DE", "Ich will nicht kündigen, sondern die Adresse ändern") == "address"

    def test_a_problem_report_with_a_negation_is_still_answered(self) -> None:
        assert answered(AIRLINE, "en-AU", "I can't check in") == "checkin"
        assert answered(RETAIL, "de-DE", "Der Gutschein funktioniert nicht") == "voucher"
        assert answered(TELECOM, "sv-SE", "jag har inte fått någon faktura") == "invoice"


class TestAPerson:
    @pytest.mark.parametrize(
        ("index", "language", "text"),
        [
            (AIRLINE, "en-AU", "I want to cancel, let me talk to an agent"),
            (AIRLINE, "en-AU", "cancel booking human please"),
            (TELECOM, "sv-SE", "Jag vill säga upp abonnemanget men prata med en människa först"),
            (TELECOM, "sv-SE", "kan en kundtjänstmedarbetare hjälpa mig byta abonnemang"),
            (RETAIL, "de-DE", "Ich will kündigen, bitte einen Mitarbeiter"),
            (RETAIL, "de-DE", "Kann ich mit jemandem über den Gutschein sprechen?"),
        ],
    )
    def test_a_request_for_a_person_never_deflects(self, index: FaqIndex, language: str, text: str) -> None:
        decision = index.match(language, text)
        assert decision.outcome is FaqOutcome.PERSON_REQUESTED
        assert decision.entry is None

    def test_also_in_a_language_the_faq_does_not_have(self) -> None:
        assert AIRLINE.match("fr-FR", "agent please").outcome is FaqOutcome.PERSON_REQUESTED


class TestLanguagesAndEdges:
    def test_only_entries_of_the_customers_language_answer(self) -> None:
        both = FaqIndex(
            [entry("de", "de-DE", "Gutschein einlösen", "Gutschein"), entry("sv", "sv-SE", "Presentkort")]
        )
        assert answered(both, "de", "Gutschein") == "de"
        assert answered(both, "sv-SE", "Gutschein") is None

    def test_a_language_with_a_snowball_stemmer_but_no_lists_is_stemmed(self) -> None:
        index = FaqIndex([entry("baggage", "nb-NO", "Hvor mye bagasje kan jeg ta med?", "bagasje")])
        assert answered(index, "nb-NO", "bagasjen min") == "baggage"

    def test_a_language_without_a_stemmer_matches_folded_words(self) -> None:
        index = FaqIndex([entry("hours", "is-IS", "Opnunartími verslunar", "opnunartími")])
        assert answered(index, "is", "OPNUNARTIMI") == "hours"

    def test_ties_go_to_the_smaller_faq_id(self) -> None:
        index = FaqIndex(
            [entry("b", "en", "Lost luggage", "luggage"), entry("a", "en", "Lost luggage", "luggage")]
        )
        assert answered(index, "en", "lost luggage") == "a"

    def test_empty_faq_and_empty_text(self) -> None:
        assert FaqIndex([]).match("en", "cancel").outcome is FaqOutcome.NO_MATCH
        assert AIRLINE.match("en", "").outcome is FaqOutcome.NO_MATCH
        assert AIRLINE.match("en", "!!! ... ???").outcome is FaqOutcome.NO_MATCH
        assert len(AIRLINE) == 4

    def test_one_off_match_equals_the_index(self) -> None:
        entries = load("sv").entries
        assert match_faq(entries, "sv-SE", "Hur byter jag abonnemang?") == FaqIndex(entries).match(
            "sv-SE", "Hur byter jag abonnemang?"
        )

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=400), st.sampled_from(["sv-SE", "de-DE", "en-AU", "fr", ""]))
    def test_any_text_gives_a_decision_between_zero_and_one(self, text: str, language: str) -> None:
        decision = RETAIL.match(language, text)
        assert 0.0 <= decision.confidence <= 1.0
        assert (decision.entry is not None) == (decision.outcome is FaqOutcome.ANSWERED)


class TestSuggest:
    def test_the_best_first_and_the_first_is_the_match(self) -> None:
        labelled = load("en")
        index = FaqIndex(labelled.entries)
        text = "My flight was delayed and I want a refund"
        suggested = index.suggest(labelled.language, text)
        assert suggested
        assert suggested[0] == index.match(labelled.language, text)
        assert [s.confidence for s in suggested] == sorted((s.confidence for s in suggested), reverse=True)
        assert {s.entry.faq_id for s in suggested if s.entry} >= {"en-delay", "en-refund"}

    def test_none_for_a_person_request_or_nothing_confident(self) -> None:
        assert AIRLINE.suggest("en", "cancel, and let me talk to a person") == []
        assert AIRLINE.suggest("en", "what is the weather") == []
        assert AIRLINE.suggest("de", "cancel") == []
        assert len(AIRLINE.suggest("en", "cancel my booking and change my flight", limit=1)) == 1


class TestLongText:
    def test_a_huge_text_is_read_only_from_its_start(self) -> None:
        head = "Ich möchte meinen Gutschein einlösen. "
        decision = RETAIL.match("de-DE", head + "x" * 4_000_000)
        assert decision.entry is not None
        assert decision.entry.faq_id == "voucher"
        assert RETAIL.match("de-DE", "x " * 5_000 + head).outcome is FaqOutcome.NO_MATCH


class TestOtherLanguages:
    def test_a_compounding_language_without_lists_splits_compounds(self) -> None:
        index = FaqIndex([entry("baggage", "nb-NO", "Hvor mye bagasje kan jeg ta med?", "bagasje")])
        assert answered(index, "nb-NO", "Håndbagasje?") == "baggage"
        assert index.match("nb-NO", "Jeg vil snakke med en person").outcome is FaqOutcome.PERSON_REQUESTED

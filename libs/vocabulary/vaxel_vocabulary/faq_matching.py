"""Which FAQ entry answers a customer's message, in Swedish, German, English (and, more roughly, others).

Pure and deterministic: the same entries and text give the same answer. Used by routing's front door
(deflection on submit) and by whatever answers from the FAQ while a chat waits. Build a
:class:`FaqIndex` once per set of entries (routing keeps one per tenant in its replica) and call
:meth:`FaqIndex.match`.

How it decides, per message, in the customer's language (entries of other languages are not considered):

1. **Words to keys.** Each word is stemmed with the language's Snowball stemmer (PyStemmer) and folded
   (case, accents): "abonnemanget"/"abonnemang", "Kündigung"/"kundigen" meet. Languages without a
   Snowball stemmer are matched on folded words.
2. **Compounds** (Swedish, German) not in the FAQ's vocabulary are split against it
   (:mod:`vaxel_vocabulary._faq_compounds`): "mobilabonnemang" -> abonnemang, "Rechnungsadresse" ->
   Rechnung + Adresse. The FAQ's own compounds are split the same way, so "Adresse ändern" meets an
   entry about "Rechnungsadresse".
3. **A person first.** A message that asks for a person ("agent", "talk to someone", "människa",
   "prata med", "Mitarbeiter", "kundtjänstmedarbetare") is never answered from the FAQ
   (:attr:`FaqOutcome.PERSON_REQUESTED`).
4. **Negation.** The words of a clause that turns something down ("I do not want to cancel", "jag vill
   inte säga upp", "ich will nicht kündigen") are not evidence, and an entry whose distinctive words
   were turned down (and not asked for elsewhere in the message) is not offered. A clause that reports a
   problem ("I can't log in", "fakturan har inte kommit") keeps its words.
5. **Score.** Keys weigh their inverse document frequency over the language's entries. Confidence is
   the geometric mean of how much of the entry's question the message covers and how much of the
   message the entry explains (the message's words unknown to the FAQ count against it, at
   :data:`UNKNOWN_WEIGHT` of the rarest key's weight). The best entry answers when its confidence is at
   least :data:`CONFIDENCE`; ties go to the smaller faq id.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from vaxel_vocabulary._faq_compounds import CompoundSplitter
from vaxel_vocabulary._faq_language import lexicon
from vaxel_vocabulary._faq_text import asks_for_person, base_language, clauses, fold, folded_lexicon, key_of
from vaxel_vocabulary.content import FaqEntry

__all__ = ["CONFIDENCE", "UNKNOWN_WEIGHT", "FaqDecision", "FaqIndex", "FaqOutcome", "match_faq"]

CONFIDENCE = 0.5
UNKNOWN_WEIGHT = 0.35
# A compound's part found in an entry counts this much of a whole word.
PART_WEIGHT = 0.75
_MIN_WORD = 2


class FaqOutcome(StrEnum):
    ANSWERED = "answered"
    NO_MATCH = "no_match"
    PERSON_REQUESTED = "person_requested"


@dataclass(frozen=True, slots=True)
class FaqDecision:
    """``entry`` and ``confidence`` (0..1) are set when ``outcome`` is ANSWERED."""

    outcome: FaqOutcome
    entry: FaqEntry | None = None
    confidence: float = 0.0


_NO_MATCH = FaqDecision(FaqOutcome.NO_MATCH)
_PERSON = FaqDecision(FaqOutcome.PERSON_REQUESTED)


@dataclass(frozen=True, slots=True)
class _Entry:
    entry: FaqEntry
    terms: dict[str, float]  # key -> weight of the key in this entry (1 whole word, PART_WEIGHT part)
    core: float  # total idf of the question's keys: what "all of the question" weighs
    distinctive: frozenset[str]  # keys few entries share: turning one down rules the entry out


class _LanguageIndex:
    def __init__(self, language: str, entries: list[FaqEntry]) -> None:
        self.language = language
        lex = folded_lexicon(language)
        self._stop = lex.stopwords
        raw: list[tuple[FaqEntry, set[str], set[str]]] = []  # entry, question words, keyword words
        forms: dict[str, str] = {}
        for entry in entries:
            question = set(self._content(_words(language, entry.question)))
            keywords = set(self._content(w for k in entry.keywords for w in _words(language, k)))
            for word in sorted(question | keywords):
                key = key_of(language, word)
                forms.setdefault(word, key)
                forms.setdefault(key, key)
            raw.append((entry, question, keywords))
        self._splitter = CompoundSplitter(forms, lexicon(language).linking, lexicon(language).compounds)
        staged: list[tuple[FaqEntry, dict[str, float], set[str]]] = []
        for entry, question, keywords in raw:
            terms: dict[str, float] = {}
            for word in sorted(question | keywords):
                terms[key_of(language, word)] = 1.0
            for word in sorted(question | keywords):
                for part in self._splitter.parts(word):
                    terms.setdefault(part, PART_WEIGHT)
            core = {key_of(language, w) for w in question} or {key_of(language, w) for w in keywords}
            staged.append((entry, terms, core))
        count = max(1, len(staged))
        df: dict[str, int] = {}
        for _, terms, _ in staged:
            for key in terms:
                df[key] = df.get(key, 0) + 1
        self.idf = {key: math.log(1 + count / n) for key, n in df.items()}
        rare = max(2, count // 8)
        self.unknown = UNKNOWN_WEIGHT * math.log(1 + count)
        self.entries = [
            _Entry(
                entry,
                terms,
                sum(self.idf[k] for k in sorted(core)) or 1.0,
                frozenset(k for k in terms if df[k] <= rare and terms[k] == 1.0),
            )
            for entry, terms, core in staged
        ]
        self.postings: dict[str, list[int]] = {}
        for i, item in enumerate(self.entries):
            for key in item.terms:
                self.postings.setdefault(key, []).append(i)

    def _content(self, words: Iterable[str]) -> Iterable[str]:
        return (w for w in words if len(w) >= _MIN_WORD and w not in self._stop)

    def keys(self, word: str) -> tuple[str, ...] | None:
        """The vocabulary keys a message word stands for; None for a word the FAQ does not know."""
        key = key_of(self.language, word)
        if key in self.idf:
            return (key,)
        parts = self._splitter.split(word)
        return parts or None

    def match(self, text: str) -> FaqDecision:
        found = clauses(self.language, text)
        words = [w for c in found for w in c.words]
        if asks_for_person(self.language, words) or (self.language != "en" and asks_for_person("en", words)):
            return _PERSON
        wanted: set[str] = set()
        rejected: set[str] = set()
        unknown = 0
        for clause in found:
            for word in self._content(clause.words):
                keys = self.keys(word)
                if keys is None:
                    unknown += 0 if clause.rejected else 1
                else:
                    (rejected if clause.rejected else wanted).update(keys)
        if not wanted:
            return _NO_MATCH
        refused = rejected - wanted
        ordered = sorted(wanted)  # sums in one order: the same floats whatever the hash seed
        message = sum(self.idf[k] for k in ordered) + unknown * self.unknown
        best: tuple[float, _Entry] | None = None
        candidates = sorted({i for k in wanted for i in self.postings.get(k, ())})
        for i in candidates:
            item = self.entries[i]
            if refused & item.distinctive:
                continue
            matched = sum(self.idf[k] * item.terms[k] for k in ordered if k in item.terms)
            covered = min(1.0, matched / item.core)
            explained = min(1.0, matched / message)
            confidence = math.sqrt(covered * explained)
            if best is None or confidence > best[0]:  # candidates go by faq id: ties keep the smaller
                best = (confidence, item)
        if best is None or best[0] < CONFIDENCE:
            return _NO_MATCH
        return FaqDecision(FaqOutcome.ANSWERED, best[1].entry, round(best[0], 4))


def _words(language: str, text: str) -> list[str]:
    return [w for c in clauses(language, text) for w in c.words]


class FaqIndex:
    """The FAQ of one tenant, indexed per language. Immutable once built; cheap to query."""

    def __init__(self, entries: Iterable[FaqEntry]) -> None:
        by_language: dict[str, list[FaqEntry]] = {}
        for entry in sorted(entries, key=lambda e: e.faq_id):
            by_language.setdefault(base_language(entry.language), []).append(entry)
        self._languages = {lang: _LanguageIndex(lang, items) for lang, items in by_language.items()}

    def __len__(self) -> int:
        return sum(len(index.entries) for index in self._languages.values())

    def match(self, language: str, text: str) -> FaqDecision:
        """The decision for ``text`` written in ``language`` (BCP 47, e.g. "sv-SE")."""
        base = base_language(language)
        index = self._languages.get(base)
        if index is None:
            return _PERSON if asks_for_person("en", [fold(w) for w in text.split()]) else _NO_MATCH
        return index.match(text)


def match_faq(entries: Iterable[FaqEntry], language: str, text: str) -> FaqDecision:
    """One-off match (builds the index each call: keep a :class:`FaqIndex` where it repeats)."""
    return FaqIndex(entries).match(language, text)

"""Which FAQ entry answers a customer's message, in Swedish, German, English (and, more roughly, others).

Pure and deterministic: the same entries and text give the same answer. Used by routing's front door
(deflection on submit) and by whatever answers from the FAQ while a chat waits. Build a
:class:`FaqIndex` once per set of entries (routing keeps one per tenant in its replica) and call
:meth:`FaqIndex.match` (the one answer, or why none) or :meth:`FaqIndex.suggest` (the few best).

How it decides, per message, in the customer's language (entries of other languages are not considered):

1. **Words to keys.** Each word is stemmed with the language's Snowball stemmer (PyStemmer) and folded
   (case, accents): "abonnemanget"/"abonnemang", "Kündigung"/"kundigen" meet. Languages without a
   Snowball stemmer are matched on folded words.
2. **Compounds** (Swedish, German) not in the FAQ's vocabulary are split against it
   (:mod:`vaxel_vocabulary._faq_compounds`): "mobilabonnemang" -> abonnemang, "Rechnungsadresse" ->
   Rechnung + Adresse; a word whose last part is unknown is not split ("Kaufhaus" is not "Kauf"). The
   FAQ's own compounds are split the same way, or give their possible heads, so "Adresse ändern" meets
   an entry about "Rechnungsadresse". Two-word keywords also match as one key ("check in", "checkin").
3. **A person first.** A message that asks for a person ("agent", "talk to someone", "människa",
   "prata med", "Mitarbeiter", "kundtjänstmedarbetare") is never answered from the FAQ
   (:attr:`FaqOutcome.PERSON_REQUESTED`).
4. **Negation.** The words of a clause that turns something down ("I do not want to cancel", "jag vill
   inte säga upp", "ich will nicht kündigen") are not evidence, and an entry the message turns down
   more than it asks for is not offered. A clause that reports a problem ("I can't log in", "fakturan
   har inte kommit", "noch nicht angekommen", "ingen signal") keeps its words
   (:mod:`vaxel_vocabulary._faq_text`).
5. **Score.** Keys weigh their inverse document frequency over the language's entries, times 1 for a
   one-word keyword (or any word of an entry without keywords), :data:`PHRASE_WORD_WEIGHT` for a word of
   a keyword phrase, :data:`QUESTION_WEIGHT` for a word only in the question, :data:`PART_WEIGHT` of that
   for a compound's part. Confidence is the geometric mean of how much of the entry the message covers
   (keys worth :data:`COVERING` of the rarest key's weight cover it all) and how much of the message the
   entry explains (the message's words unknown to the FAQ count against it, at :data:`UNKNOWN_WEIGHT`
   of the rarest key's weight). An entry answers when it is the best, its confidence is at least
   :data:`CONFIDENCE`, and the message has a distinctive keyword of it (one few entries have) or two
   distinctive words; ties go to the smaller faq id. Only the first :data:`MAX_TEXT` characters are read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

from vaxel_vocabulary._faq_compounds import CompoundSplitter
from vaxel_vocabulary._faq_language import lexicon
from vaxel_vocabulary._faq_text import asks_for_person, base_language, clauses, fold, folded_lexicon, key_of
from vaxel_vocabulary.content import FaqEntry

__all__ = ["CONFIDENCE", "MAX_TEXT", "UNKNOWN_WEIGHT", "FaqDecision", "FaqIndex", "FaqOutcome", "match_faq"]

CONFIDENCE = 0.5
# Only the start of a message is read: a question is short, and a long text must not hold up the caller's
# event loop (matching costs about 0.4 µs a character).
MAX_TEXT = 2000
UNKNOWN_WEIGHT = 0.35
# A word of an entry's question that is not one of its keywords counts this much of a keyword.
QUESTION_WEIGHT = 0.6
# A word of a keyword phrase ("change" of "change flight") counts this much of a one-word keyword: it is
# evidence, but "change my seat" is about the seat.
PHRASE_WORD_WEIGHT = 0.85
# A compound's part found in an entry counts this much of the word it is part of.
PART_WEIGHT = 0.75
# Matching keys worth this many of the rarest key cover an entry completely.
COVERING = 1.5
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
    terms: dict[str, float]  # key -> its weight in this entry (idf x keyword/question/part factor)
    needed: float  # the weight of matched keys that covers the entry completely
    distinctive: frozenset[str]  # keys few entries share
    strong: frozenset[str]  # distinctive keywords (question words when it has none): one is evidence


@dataclass(frozen=True, slots=True)
class _Words:
    """An entry's words: of its question, of its keywords, its one-word keywords, its keyword phrases."""

    entry: FaqEntry
    question: frozenset[str]
    keywords: frozenset[str]
    single: frozenset[str]
    phrases: frozenset[str]


class _LanguageIndex:
    def __init__(self, language: str, entries: list[FaqEntry]) -> None:
        self.language = language
        lex = folded_lexicon(language)
        self._stop = lex.stopwords | lex.negators | lex.absence
        self._negators = lex.negators | lex.absence
        read = [self._read(entry) for entry in entries]
        forms: dict[str, str] = {}
        for words in read:
            for word in sorted(words.question | words.keywords):
                key = key_of(language, word)
                forms.setdefault(word, key)
                forms.setdefault(key, key)
        self._splitter = CompoundSplitter(forms, lexicon(language).linking, lexicon(language).compounds)
        # A compound of the vocabulary stands for itself and its known parts.
        self._compounds = {
            key_of(language, w): (key_of(language, w), *self._splitter.parts(w))
            for w in sorted(forms)
            if self._splitter.parts(w)
        }
        self._weigh([(words.entry, *self._factors(words)) for words in read])

    def _read(self, entry: FaqEntry) -> _Words:
        keywords = [_words(self.language, k) for k in entry.keywords]
        return _Words(
            entry,
            frozenset(self._content(_words(self.language, entry.question))),
            frozenset(self._content(w for k in keywords for w in k)),
            frozenset(self._content(k[0] for k in keywords if len(k) == 1)),
            frozenset(p for k in keywords for p in self._phrases(k)),
        )

    def _factors(self, words: _Words) -> tuple[dict[str, float], set[str]]:
        """Each key of the entry with its factor (keyword 1, phrase word, question word, part), and the
        keys of its whole words."""
        factors: dict[str, float] = dict.fromkeys(words.phrases, 1.0)
        whole: set[str] = set()
        for word in sorted(words.question | words.keywords):
            key = key_of(self.language, word)
            if word in words.single or not words.keywords:
                factor = 1.0
            else:
                factor = PHRASE_WORD_WEIGHT if word in words.keywords else QUESTION_WEIGHT
            factors[key] = max(factors.get(key, 0.0), factor)
            whole.add(key)
            parts = self._splitter.parts(word)
            heads = () if parts else (key_of(self.language, h) for h in self._splitter.heads(word))
            for part in (*parts, *heads):
                factors[part] = max(factors.get(part, 0.0), PART_WEIGHT * factor)
        return factors, whole

    def _weigh(self, staged: list[tuple[FaqEntry, dict[str, float], set[str]]]) -> None:
        count = max(1, len(staged))
        df: dict[str, int] = {}
        whole_df: dict[str, int] = {}  # entries that have the key as a word, not only inside a compound
        for _, factors, whole_keys in staged:
            for key in factors:
                df[key] = df.get(key, 0) + 1
            for key in whole_keys:
                whole_df[key] = whole_df.get(key, 0) + 1
        self.idf = {key: math.log(1 + count / n) for key, n in sorted(df.items())}
        rare = max(2, count // 8)
        cap = COVERING * math.log(1 + count)
        self.unknown = UNKNOWN_WEIGHT * math.log(1 + count)
        self.weight: dict[str, float] = {}  # a message key's weight: its largest in any entry
        self.entries: list[_Entry] = []
        for entry, factors, whole in staged:
            terms = {k: self.idf[k] * f for k, f in sorted(factors.items())}
            for k, w in terms.items():
                self.weight[k] = max(self.weight.get(k, 0.0), w)
            total = sum(terms[k] for k in sorted(whole))
            distinctive = frozenset(k for k in terms if whole_df.get(k, df[k]) <= rare)
            strong = frozenset(k for k in distinctive if factors[k] >= PHRASE_WORD_WEIGHT)
            self.entries.append(_Entry(entry, terms, min(total, cap) or 1.0, distinctive, strong))
        self.postings: dict[str, list[int]] = {}
        for i, item in enumerate(self.entries):
            for key in item.terms:
                self.postings.setdefault(key, []).append(i)

    def _content(self, words: Iterable[str]) -> Iterable[str]:
        return (w for w in words if len(w) >= _MIN_WORD and w not in self._stop)

    def _phrases(self, words: list[str]) -> Iterable[str]:
        """Two-word phrases as one key ("check in", "check-in" and "checkin" meet; "säga upp", "log
        in"): the keys of a content word and the word after it, run together."""
        for first, second in pairwise(words):
            if first not in self._stop and second not in self._negators:
                yield key_of(self.language, first) + key_of(self.language, second)

    def keys(self, word: str) -> tuple[str, ...] | None:
        """The vocabulary keys a message word stands for; None for a word the FAQ does not know."""
        key = key_of(self.language, word)
        if key in self.idf:
            return self._compounds.get(key, (key,))
        parts = self._splitter.split(word)
        return parts or None

    def match(self, text: str) -> FaqDecision:
        ranked = self.ranked(text)
        if ranked is None:
            return _PERSON
        return ranked[0] if ranked else _NO_MATCH

    def ranked(self, text: str) -> list[FaqDecision] | None:
        """Every entry that answers ``text`` confidently, best first (ties: the smaller faq id); None
        when the message asks for a person."""
        found = clauses(self.language, text[:MAX_TEXT])
        words = [w for c in found for w in c.words]
        if asks_for_person(self.language, words) or (self.language != "en" and asks_for_person("en", words)):
            return None
        wanted: set[str] = set()
        rejected: set[str] = set()
        unknown: set[str] = set()
        for clause in found:
            into = rejected if clause.rejected else wanted
            for word in self._content(clause.words):
                keys = self.keys(word)
                if keys is None:
                    if not clause.rejected:
                        unknown.add(word)
                else:
                    into.update(keys)
            into.update(p for p in self._phrases(clause.words) if p in self.idf)
        if not wanted:
            return []
        refused = rejected - wanted
        ordered = sorted(wanted)  # sums in one order: the same floats whatever the hash seed
        message = sum(self.weight[k] for k in ordered) + len(unknown) * self.unknown
        scored: list[tuple[float, int]] = []
        for i in sorted({i for k in wanted for i in self.postings.get(k, ())}):
            item = self.entries[i]
            if not wanted & item.strong and len(wanted & item.distinctive) < 2:
                continue  # no evidence: one distinctive keyword, or two distinctive words
            matched = sum(item.terms[k] for k in ordered if k in item.terms)
            if sum(item.terms[k] for k in sorted(refused) if k in item.terms) >= matched:
                continue  # the message turns down more of this entry than it asks for
            covered = min(1.0, matched / item.needed)
            explained = min(1.0, matched / message)
            confidence = math.sqrt(covered * explained)
            if confidence >= CONFIDENCE:
                scored.append((-confidence, i))  # entries are in faq id order: i breaks ties
        scored.sort()
        return [FaqDecision(FaqOutcome.ANSWERED, self.entries[i].entry, round(-c, 4)) for c, i in scored]


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
        index = self._languages.get(base_language(language))
        if index is None:
            return _PERSON if asks_for_person("en", [fold(w) for w in text[:MAX_TEXT].split()]) else _NO_MATCH
        return index.match(text)

    def suggest(self, language: str, text: str, limit: int = 3) -> list[FaqDecision]:
        """Up to ``limit`` entries that answer ``text`` confidently, best first: the answers to show a
        customer while a chat waits. Empty when none does or the message asks for a person; the first is
        what :meth:`match` answers."""
        index = self._languages.get(base_language(language))
        ranked = index.ranked(text) if index is not None else None
        return (ranked or [])[: max(0, limit)]


def match_faq(entries: Iterable[FaqEntry], language: str, text: str) -> FaqDecision:
    """One-off match (builds the index each call: keep a :class:`FaqIndex` where it repeats)."""
    return FaqIndex(entries).match(language, text)

"""Text to matching keys for FAQ matching: words, stems, clauses and what a clause says about them.

A key is a word stemmed by Snowball (PyStemmer) for the language, then case- and accent-folded, so
"Abonnemanget", "abonnemang" and "abonnemangen" meet, and "kündigen"/"kundigen"/"kuendigen" are one.
A clause (between punctuation and the words of :attr:`Lexicon.breaks`, such as "but", "men", "sondern")
with a negator is a *rejection* ("I do not want to cancel", "jag vill inte säga upp", "ich will nicht
kündigen") unless it reports a problem ("I can't log in", "det fungerar inte", "ist nicht angekommen")
without saying what the customer wants; one with a word of absence ("no", "ingen", "keine") is a
rejection only when it says what the customer wants ("ich möchte keine Rücksendung"), else a problem
("ingen signal").
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache

import Stemmer

from vaxel_vocabulary._faq_language import SNOWBALL, Lexicon, lexicon

__all__ = ["Clause", "Folded", "base_language", "clauses", "fold", "folded_lexicon", "key_of"]

_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
_CLAUSE = re.compile('[.,;:!?()\\[\\]\n\r\t"\u201c\u201d\u00ab\u00bb\u2013\u2014]+|\\s-\\s')
_CONTRACTIONS = (
    (re.compile(r"\bcan'?t\b|\bcannot\b"), "can not"),
    (re.compile(r"\bwon'?t\b"), "will not"),
    (
        re.compile(r"\b(do|does|did|is|are|was|were|has|have|had|would|could|should|must|need)n'?t\b"),
        r"\1 not",
    ),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'(?:s|re|ve|d|ll|m)\b"), ""),
)
# PyStemmer keeps its own cache of this many words per stemmer; key_of caches the folded result.
_STEM_CACHE_SIZE = 65_536


def base_language(language: str) -> str:
    """ "sv-SE" -> "sv"; "" stays ""."""
    return language.replace("_", "-").split("-", maxsplit=1)[0].lower()


def fold(text: str) -> str:
    """Lower case without accents: "Kündigung" -> "kundigung", "Människa" -> "manniska", "ß" -> "ss"."""
    lowered = text.casefold()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_LOCAL = threading.local()  # PyStemmer's stemmers are not thread-safe: one set per thread


def _stemmer(language: str) -> Stemmer.Stemmer | None:
    stemmers: dict[str, Stemmer.Stemmer | None] | None = getattr(_LOCAL, "stemmers", None)
    if stemmers is None:
        stemmers = _LOCAL.stemmers = {}
    if language not in stemmers:
        name = SNOWBALL.get(language)
        stemmers[language] = Stemmer.Stemmer(name, _STEM_CACHE_SIZE) if name else None
    return stemmers[language]


@lru_cache(maxsize=_STEM_CACHE_SIZE)
def key_of(language: str, word: str) -> str:
    """The matching key of one word: Snowball stem of the lower-cased word, then folded. Languages
    Snowball has no stemmer for fall back to the folded word itself."""
    lowered = word.casefold()
    stemmer = _stemmer(language)
    return fold(stemmer.stemWord(lowered) if stemmer is not None else lowered)


@dataclass(frozen=True, slots=True)
class Folded:
    """A lexicon with every word folded like the text, so the checks are set look-ups."""

    lexicon: Lexicon
    stopwords: frozenset[str]
    negators: frozenset[str]
    absence: frozenset[str]
    problem_cues: frozenset[str]
    wanting: frozenset[str]
    breaks: frozenset[str]
    person_words: frozenset[str]
    person_heads: tuple[str, ...]
    talk_verbs: frozenset[str]
    talk_links: frozenset[str]


@cache
def folded_lexicon(language: str) -> Folded:
    lex = lexicon(language)

    def f(words: frozenset[str]) -> frozenset[str]:
        return frozenset(fold(w) for w in words)

    return Folded(
        lex,
        f(lex.stopwords),
        f(lex.negators),
        f(lex.absence),
        f(lex.problem_cues),
        f(lex.wanting),
        f(lex.breaks),
        f(lex.person_words),
        tuple(fold(w) for w in lex.person_heads),
        f(lex.talk_verbs),
        f(lex.talk_links),
    )


@dataclass(slots=True)
class Clause:
    """The folded words of one clause; ``rejected``: the clause turns its words down (see the module)."""

    words: list[str] = field(default_factory=list)
    rejected: bool = False


def _tokens(chunk: str) -> list[str]:
    return [t.split("'", maxsplit=1)[0] if "'" in t else t for t in _TOKEN.findall(chunk)]


def clauses(language: str, text: str) -> list[Clause]:
    """The clauses of ``text``, each with its words (folded, function words kept) and whether it rejects."""
    lex = folded_lexicon(language)
    folded = fold(text)
    if "'" in folded or "\u2019" in folded or language == "en":  # "don't", "cant", "I'd"
        folded = folded.replace("\u2019", "'")
        for pattern, replacement in _CONTRACTIONS:
            folded = pattern.sub(replacement, folded)
    found: list[Clause] = []
    for chunk in _CLAUSE.split(folded):
        current = Clause()
        for word in _tokens(chunk):
            if word in lex.breaks and current.words:
                found.append(current)
                current = Clause()
            current.words.append(word)
        found.append(current)
    for clause in found:
        words = set(clause.words)
        wanting = bool(words & lex.wanting)
        if words & lex.negators:
            clause.rejected = wanting or not words & lex.problem_cues
        elif words & lex.absence:
            clause.rejected = wanting
    return [c for c in found if c.words]


def asks_for_person(language: str, words: list[str]) -> bool:
    """An explicit request for a person: "agent", "människa", "Mitarbeiter", "talk to", "prata med",
    a compound ending in a person word ("kundtjänstmedarbetare")."""
    lex = folded_lexicon(language)
    for i, word in enumerate(words):
        if word in lex.person_words or (lex.person_heads and word.endswith(lex.person_heads)):
            return True
        if word in lex.talk_verbs and i + 1 < len(words) and words[i + 1] in lex.talk_links:
            return True
    return False

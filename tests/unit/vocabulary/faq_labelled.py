"""The labelled FAQ sets (``data/faq_<language>.yaml``) and how a matcher scores on them.

Shared by the test that guards precision and recall (test_faq_matching.py) and by ``make bench``
(scripts/bench_faq.py), which prints them.

A question labelled with an entry is a hit when that entry answers it; answering it with another entry
is a false answer (it counts against precision) and a miss (recall), not answering it a miss. A question
labelled "none" (off-topic, asks for a person, turns the entry down) answered with any entry is a false
answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vaxel_vocabulary.content import FaqEntry
from vaxel_vocabulary.faq_matching import FaqIndex

DATA = Path(__file__).parent / "data"
LANGUAGES = ("sv", "de", "en")
NONE = "none"


@dataclass(frozen=True, slots=True)
class LabelledSet:
    language: str  # BCP 47, e.g. "sv-SE"
    entries: tuple[FaqEntry, ...]
    questions: tuple[tuple[str, str], ...]  # text, expected faq id or NONE


@dataclass(slots=True)
class Score:
    language: str
    hits: int = 0
    false_answers: int = 0
    misses: int = 0
    questions: int = 0
    mistakes: list[tuple[str, str, str]] = field(default_factory=list)  # text, expected, answered

    @property
    def precision(self) -> float:
        answered = self.hits + self.false_answers
        return self.hits / answered if answered else 1.0

    @property
    def recall(self) -> float:
        wanted = self.hits + self.misses
        return self.hits / wanted if wanted else 1.0


def load(language: str) -> LabelledSet:
    raw: dict[str, Any] = yaml.safe_load((DATA / f"faq_{language}.yaml").read_text(encoding="utf-8"))
    tag = str(raw["language"])
    entries = tuple(
        FaqEntry(
            str(e["id"]),
            "labelled",
            tag,
            str(e["question"]),
            str(e["answer"]),
            tuple(str(k) for k in e.get("keywords", ())),
        )
        for e in raw["entries"]
    )
    questions = tuple((str(text), str(faq)) for faq, texts in raw["questions"].items() for text in texts)
    return LabelledSet(tag, entries, questions)


def evaluate(labelled: LabelledSet, index: FaqIndex | None = None) -> Score:
    index = index or FaqIndex(labelled.entries)
    score = Score(labelled.language)
    for text, expected in labelled.questions:
        decision = index.match(labelled.language, text)
        answered = decision.entry.faq_id if decision.entry is not None else NONE
        score.questions += 1
        if answered == expected:
            score.hits += expected != NONE
            continue
        score.mistakes.append((text, expected, answered))
        if answered != NONE:
            score.false_answers += 1
        if expected != NONE:
            score.misses += 1
    return score

"""FAQ matching figures for ``make bench``: precision and recall per language on the labelled sets
(tests/unit/vocabulary/data/faq_*.yaml) and the microseconds one match costs with 50 FAQ entries in the
customer's language (routing's submit path runs one per chat or social submission).

The 50 entries are the labelled FAQ (18 per language) and 32 more made from the labelled customer
questions of those entries (near-duplicate entries: denser postings than a real FAQ, so a worse case).
"Cold" is each word met for the first time (caches cleared, a fresh index); "warm" is the steady state
of a running service, where most words have been seen before.

Run alone: ``python -m scripts.bench_faq``.
"""

from __future__ import annotations

import time

from scripts._bench_results import Results
from tests.unit.vocabulary.faq_labelled import LANGUAGES, NONE, LabelledSet, evaluate, load
from vaxel_vocabulary import _faq_text
from vaxel_vocabulary.content import FaqEntry
from vaxel_vocabulary.faq_matching import FaqIndex

ENTRIES = 50


def fifty_entries(labelled: LabelledSet) -> tuple[FaqEntry, ...]:
    extra = [text for text, faq in labelled.questions if faq != NONE]
    made = [
        FaqEntry(f"extra-{i:02d}", "bench", labelled.language, text, "answer", ())
        for i, text in enumerate(extra[: ENTRIES - len(labelled.entries)])
    ]
    return (*labelled.entries, *made)


def bench_matching(labelled: LabelledSet, rounds: int = 20) -> tuple[float, float, float]:
    """(build ms, cold µs per match, warm µs per match) with 50 entries."""
    entries = fifty_entries(labelled)
    texts = [text for text, _ in labelled.questions]
    _faq_text.key_of.cache_clear()
    started = time.perf_counter()
    index = FaqIndex(entries)
    build = (time.perf_counter() - started) * 1e3
    _faq_text.key_of.cache_clear()
    index = FaqIndex(entries)
    _faq_text.key_of.cache_clear()
    started = time.perf_counter()
    for text in texts:
        index.match(labelled.language, text)
    cold = (time.perf_counter() - started) / len(texts) * 1e6
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            index.match(labelled.language, text)
    warm = (time.perf_counter() - started) / (rounds * len(texts)) * 1e6
    return build, cold, warm


def report(results: Results) -> None:
    for language in LANGUAGES:
        labelled = load(language)
        score = evaluate(labelled)
        print(
            f"FAQ matching, {language}: precision {score.precision:.3f}, recall {score.recall:.3f} "
            f"({score.questions} labelled questions, {len(labelled.entries)} entries; "
            f"{score.false_answers} false answers, {score.misses} missed)"
        )
        results.add("faq matching", f"precision, {language}", score.precision, "ratio")
        results.add("faq matching", f"recall, {language}", score.recall, "ratio")
        build, cold, warm = bench_matching(labelled)
        print(
            f"  one match, {ENTRIES} entries: {warm:.0f} µs warm, {cold:.0f} µs cold; "
            f"index of {ENTRIES} built in {build:.1f} ms"
        )
        results.add("faq matching", f"one match, {ENTRIES} entries, {language}, warm", warm, "µs")
        results.add("faq matching", f"one match, {ENTRIES} entries, {language}, cold", cold, "µs")
        results.add("faq matching", f"index of {ENTRIES} entries built, {language}", build, "ms")


if __name__ == "__main__":
    report(Results())

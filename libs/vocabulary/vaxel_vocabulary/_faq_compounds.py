"""Splitting compound words against the FAQ's own vocabulary.

Swedish and German write compounds as one word ("mobilabonnemang", "Rechnungsadresse"). No well-kept
splitter covers both on PyPI (the German ones are unmaintained or new and German-only; none does
Swedish), so this is the common dictionary-driven method with the tenant's FAQ words as the
dictionary: a word is covered, left to right, by known words of at least four letters, with the
language's linking sounds between them ("Rechnung-s-adresse", "abonnemang-s-byte") and up to three
letters of inflection after the last ("abonnemang-et", "storni-ert"). An unknown stretch is allowed
only at the start (an unknown modifier: "Handy|rechnung") or at the end (an unknown head: "Rechnungs|
problem"), never in the middle. English compounds written as one word ("checkin", "login") must be
covered completely. The parts found are what the word contributes to the match.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CompoundSplitter"]

MIN_PART = 4
TAIL = 3
_MAX_WORD = 40
_CACHE = 8192


class CompoundSplitter:
    """``forms``: folded known word forms (surface words and their stems) to their matching key."""

    def __init__(self, forms: Mapping[str, str], linking: tuple[str, ...], open_compounds: bool) -> None:
        self._forms = {f: k for f, k in forms.items() if len(f) >= MIN_PART}
        self._linking = linking
        self._open = open_compounds
        self._cache: dict[str, tuple[str, ...]] = {}

    def split(self, word: str) -> tuple[str, ...]:
        """The keys of the known parts of ``word`` (folded), in order; () when it is not covered."""
        found = self._cache.get(word)
        if found is None:
            found = self._split(word, whole=False) if MIN_PART <= len(word) <= _MAX_WORD else ()
            if len(self._cache) >= _CACHE:
                self._cache.clear()
            self._cache[word] = found
        return found

    def parts(self, word: str) -> tuple[str, ...]:
        """Like :meth:`split`, but never the word itself (or it with a short tail): for a word of the
        dictionary, the smaller known words it is made of."""
        return self._split(word, whole=True) if 2 * MIN_PART <= len(word) <= _MAX_WORD else ()

    def _split(self, word: str, whole: bool) -> tuple[str, ...]:
        n = len(word)
        memo: dict[tuple[int, int], tuple[str, ...] | None] = {}
        starts = range(n - MIN_PART + 1) if self._open else range(1)
        for start in starts:  # an unknown modifier before the known parts
            parts = self._cover(word, start, n, memo, whole)
            if parts:
                return parts
        if self._open:
            for end in range(n - 1, MIN_PART - 1, -1):  # an unknown head after them
                parts = self._cover(word, 0, end, memo, whole)
                if parts:
                    return parts
        return ()

    def _cover(
        self,
        word: str,
        i: int,
        end: int,
        memo: dict[tuple[int, int], tuple[str, ...] | None],
        whole: bool,
    ) -> tuple[str, ...] | None:
        """Known parts that cover ``word[i:end]`` exactly (linking sounds between, a tail at the word's
        end), longest first part first; None if there are none."""
        if i == end:
            return ()
        if (i, end) in memo:
            return memo[(i, end)]
        result: tuple[str, ...] | None = None
        at_word_end = end == len(word)
        longest = end if i > 0 or not whole else min(end, len(word) - TAIL - 1)
        for j in range(longest, i + MIN_PART - 1, -1):
            key = self._forms.get(word[i:j])
            if key is None:
                continue
            if j == end or (at_word_end and end - j <= TAIL):
                result = (key,)
                break
            rest = [j, *(j + len(link) for link in self._linking if word.startswith(link, j))]
            for r in rest:
                if r > end:
                    continue
                sub = self._cover(word, r, end, memo, whole)
                if sub is not None:
                    result = (key, *sub)
                    break
            if result is not None:
                break
        memo[(i, end)] = result
        return result

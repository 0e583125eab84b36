"""Splitting compound words against the FAQ's own vocabulary.

Swedish and German write compounds as one word ("mobilabonnemang", "Rechnungsadresse"). No well-kept
splitter covers both on PyPI (the German ones are unmaintained or new and German-only; none does
Swedish), so this is the common dictionary-driven method with the tenant's FAQ words as the
dictionary: a word is covered, left to right, by known words of at least four letters, with the
language's linking sounds between them ("Rechnung-s-adresse", "abonnemang-s-byte") and up to three
letters of inflection after the last ("abonnemang-et", "storni-ert"). An unknown stretch of four
letters or more is allowed at the start (an unknown modifier: "Handy|rechnung", "mobil|abonnemang"),
nowhere else: the last part (the head) carries a compound's meaning, so a word whose head is unknown
("Kauf|haus") is not about the known part, and three letters or fewer in front are more likely a
prefix ("ver|kauft") than a word. English compounds written as one word ("checkin", "login") must be
covered completely. The parts found are what the word contributes to the match. An FAQ compound whose
parts the FAQ never uses alone contributes its possible heads instead (:meth:`CompoundSplitter.heads`).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CompoundSplitter"]

MIN_PART = 4
TAIL = 3
# An unknown stretch before or after the known parts is a word of its own: at least this long.
MIN_MODIFIER = 4
MIN_HEAD = 5
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
            found = self._split(word, None) if MIN_PART <= len(word) <= _MAX_WORD else ()
            if len(self._cache) >= _CACHE:
                self._cache.clear()
            self._cache[word] = found
        return found

    def parts(self, word: str) -> tuple[str, ...]:
        """Like :meth:`split`, but not starting with the word itself: for a word of the dictionary, the
        smaller known words it is made of ("rechnungsadresse": rechnung, adress) or the shorter form it
        inflects ("kortet": kort, which the Swedish stemmer leaves apart)."""
        own = self._forms.get(word)
        return self._split(word, own) if MIN_PART < len(word) <= _MAX_WORD else ()

    def heads(self, word: str) -> tuple[str, ...]:
        """The possible heads of a dictionary compound whose parts the dictionary does not have:
        every ending of at least :data:`MIN_HEAD` letters after at least :data:`MIN_MODIFIER`
        ("rechnungsadresse": ..., "sadresse", "adresse", "dresse"), so that a message's "Adresse" meets
        an FAQ that only says "Rechnungsadresse". Only for languages that write compounds as one word."""
        if not self._open or len(word) > _MAX_WORD:
            return ()
        return tuple(word[i:] for i in range(MIN_MODIFIER, len(word) - MIN_HEAD + 1))

    def _split(self, word: str, own: str | None) -> tuple[str, ...]:
        n = len(word)
        memo: dict[tuple[int, int], tuple[str, ...] | None] = {}
        starts = [0, *range(MIN_MODIFIER, n - MIN_PART + 1)] if self._open else [0]
        for start in starts:  # an unknown modifier before the known parts
            parts = self._cover(word, start, n, memo, own)
            if parts:
                return parts
        return ()

    def _cover(
        self,
        word: str,
        i: int,
        end: int,
        memo: dict[tuple[int, int], tuple[str, ...] | None],
        own: str | None,
    ) -> tuple[str, ...] | None:
        """Known parts that cover ``word[i:end]`` exactly (linking sounds between, a tail at the word's
        end), longest first part first; None if there are none."""
        if i == end:
            return ()
        if (i, end) in memo:
            return memo[(i, end)]
        result: tuple[str, ...] | None = None
        at_word_end = end == len(word)
        for j in range(end, i + MIN_PART - 1, -1):
            key = self._forms.get(word[i:j])
            if key is None or (i == 0 and own is not None and (key == own or j == len(word))):
                continue
            if j == end or (at_word_end and end - j <= TAIL):
                result = (key,)
                break
            rest = [j, *(j + len(link) for link in self._linking if word.startswith(link, j))]
            for r in rest:
                if r > end:
                    continue
                sub = self._cover(word, r, end, memo, own)
                if sub is not None:
                    result = (key, *sub)
                    break
            if result is not None:
                break
        memo[(i, end)] = result
        return result

"""The small closed word classes FAQ matching needs per language: function words, negators, the cues of
a problem report, wanting, asking for a person, clause breaks, and the linking sounds of compounds.

Stemming is the Snowball project's (PyStemmer); these lists are only the words a stemmer cannot know
the role of. Words are lower case and written as customers type them; they are compared after the same
normalisation as the text (:func:`vaxel_vocabulary._faq_text.fold`), so "kündigen" and "kundigen" are one.
A language without lists here is stemmed when Snowball has it, its compounds are split when it writes
them as one word (Danish, Norwegian, Icelandic, Dutch, Finnish), nothing in it is read as a negation, and
a request for a person is recognised by the English words ("agent", "person", "human").
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LANGUAGES", "Lexicon", "lexicon"]

# Snowball stemmer names by ISO 639-1 code (the subset of PyStemmer's algorithms with a code).
SNOWBALL = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
}


@dataclass(frozen=True, slots=True)
class Lexicon:
    """``negators`` turn a clause down unless it reports a problem (``problem_cues``: "can't", "doesn't
    work", "not yet", "noch nicht", "fungerar inte"); ``absence`` ("no", "ingen",
    "kein") reports a problem ("no signal") unless the clause says what the customer wants ("I want no
    refund"). ``compounds``: the language writes compounds as one word (split them against the FAQ's words).
    ``person_heads``: a word ending in one of these asks for a person ("kundtjänstmedarbetare")."""

    stopwords: frozenset[str] = frozenset()
    negators: frozenset[str] = frozenset()
    absence: frozenset[str] = frozenset()
    problem_cues: frozenset[str] = frozenset()
    wanting: frozenset[str] = frozenset()
    breaks: frozenset[str] = frozenset()
    person_words: frozenset[str] = frozenset()
    person_heads: tuple[str, ...] = ()
    talk_verbs: frozenset[str] = frozenset()
    talk_links: frozenset[str] = frozenset()
    linking: tuple[str, ...] = ()
    compounds: bool = False


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EN = Lexicon(
    stopwords=_words(
        "a an the i me my mine we our us you your it its this that these those is are was were be been "
        "being am do does did doing have has had having to of in on at for from with by about as into "
        "and or if so than then there here what which who whom whose when where why how can could would "
        "should will shall may might must please hi hello hey thanks thank just also any some all "
        "there get got want wanted wants like need needs know tell help im ive id dont cant its "
        "possible way much many one"
    ),
    negators=_words("not never cannot nor neither"),
    absence=_words("no none nothing"),
    problem_cues=_words(
        "can could cannot able unable work works working worked receive received get got getting "
        "arrive arrived arriving load loading open opening connect connecting show showing come came "
        "have has had find found see seen accept accepted go through log yet still"
    ),
    wanting=_words("want wants wanted wish like love intend plan planning going"),
    breaks=_words("but however instead rather only just although though"),
    person_words=_words(
        "agent agents person human humans representative rep operator someone somebody staff employee "
        "advisor adviser people manager supervisor consultant"
    ),
    talk_verbs=_words("talk speak chat"),
    talk_links=_words("to with"),
)

_SV = Lexicon(
    stopwords=_words(
        "jag mig min mitt mina vi oss vår vårt våra du dig din ditt dina ni er ert era han hon den det de "
        "dem denna detta dessa är var vara varit blir bli blev har hade ha haft kan kunde ska skulle vill "
        "ville måste får fick och eller men om så att som än av på i till från med för hos under över "
        "vad vilken vilket vilka vem när var varför hur här där hej hallo tack snälla bara också någon "
        "något några alla allt lite mycket göra gör gjort kunna finns fanns få man en ett jo ju nu då "
        "sen igen redan fortfarande"
    ),
    negators=_words("inte ej icke aldrig varken"),
    absence=_words("ingen inget inga"),
    problem_cues=_words(
        "kan kunde går gick fungerar fungerade funkar funkade fått får fick kommit kommer kom laddas "
        "ansluta ansluter hittar hittade ser syns har hade öppnas logga loggar fungera funka än ännu "
        "fortfarande"
    ),
    wanting=_words("vill ville önskar tänker planerar ämnar"),
    breaks=_words("men utan bara fast istället dock"),
    person_words=_words(
        "människa människor person personal handläggare medarbetare agent rådgivare kundtjänstpersonal "
        "operatör"
    ),
    person_heads=("medarbetare", "handläggare", "rådgivare", "människa"),
    talk_verbs=_words("prata tala snacka pratar talar chatta"),
    talk_links=_words("med"),
    linking=("s", "e", "a", "o", "u"),
    compounds=True,
)

_DE = Lexicon(
    stopwords=_words(
        "ich mich mir mein meine meinen meinem meiner meins wir uns unser unsere du dich dir dein deine "
        "sie ihr ihre ihnen er es der die das den dem des ein eine einen einem einer ist sind war waren "
        "bin bist sein gewesen wird werden wurde habe hast hat haben hatte hatten kann können konnte "
        "soll sollte muss müssen möchte möchten will wollen würde darf und oder aber wenn dass als wie "
        "was wer wo wann warum wieso weshalb welche welcher welches von vom zu zum zur mit bei nach aus "
        "für auf an am im in über unter um hallo guten tag danke bitte noch schon auch mal nur so da "
        "hier dort man gibt geben machen mache etwas alle alles viel"
    ),
    negators=_words("nicht nie niemals weder"),
    absence=_words("kein keine keinen keinem keiner keines nichts"),
    problem_cues=_words(
        "kann kannst können konnte geht ging funktioniert funktionierte klappt klappte bekommen bekam "
        "erhalten erhielt angekommen ankommt gekommen kommt kam lädt laden öffnet finde finden gefunden "
        "sehe sehen habe hast hat haben hatte anmelden einloggen funktionieren noch immer"
    ),
    wanting=_words("will willst wollen möchte möchten mag wünsche vorhaben"),
    breaks=_words("aber sondern nur doch jedoch stattdessen sonst"),
    person_words=_words(
        "mitarbeiter mitarbeiterin mitarbeitenden mensch menschen person personal berater beraterin "
        "agent jemand jemandem jemanden sachbearbeiter ansprechpartner kundenberater kundenberaterin "
        "servicemitarbeiter"
    ),
    person_heads=(
        "mitarbeiter",
        "mitarbeiterin",
        "berater",
        "beraterin",
        "sachbearbeiter",
        "ansprechpartner",
    ),
    talk_verbs=_words("sprechen reden telefonieren chatten"),
    talk_links=_words("mit"),
    linking=("s", "es", "n", "en", "e", "er", "ens"),
    compounds=True,
)

# Other languages that write compounds as one word: no word lists, but their compounds are split against
# the FAQ's words like Swedish and German ones.
_DA_NO = Lexicon(linking=("s", "e"), compounds=True)
_NL = Lexicon(linking=("s", "en", "e"), compounds=True)
_FI = Lexicon(compounds=True)

LANGUAGES: dict[str, Lexicon] = {
    "en": _EN,
    "sv": _SV,
    "de": _DE,
    "da": _DA_NO,
    "nb": _DA_NO,
    "nn": _DA_NO,
    "no": _DA_NO,
    "is": _DA_NO,
    "nl": _NL,
    "fi": _FI,
}
_NEUTRAL = Lexicon()


def lexicon(language: str) -> Lexicon:
    """The closed word classes of ``language`` (a BCP 47 tag or its base code); empty when unknown."""
    return LANGUAGES.get(language, _NEUTRAL)

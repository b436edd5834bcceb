"""Who is speaking in a quote: the outlet's own reporting, or a person or body it quotes. Pure.

Rule-based on sentence structure, in the paragraph that holds the quote, with text inside
quotation marks masked so words within a quotation never count as its attribution:

- ``“…,” said Nikolai`` / ``said a local woman in the town`` (verb, then speaker)
- ``Nikolai said …`` / ``he said`` / ``A … commander named Serhiy told Al Jazeera …`` /
  ``The state-run Tass news agency reported …`` (speaker, then verb)
- ``he``/``she`` is the last person named before; a surname alone becomes the full name used
  earlier ("Stratford" -> "Charles Stratford"); "… named X" / "… called X" give X; "Al
  Jazeera’s Charles Stratford" gives the person.

A sentence with no attribution verb outside quotation marks, not itself inside a quotation, is
the outlet's own reporting (speaker "").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text.quotes import DOUBLE_CLOSE as CLOSE
from ..text.quotes import DOUBLE_OPEN as OPEN

VERBS = (
    r"said|says|say|told|tells|tell|added|adds|described|describes|reported|reports|stated|"
    r"states|explained|explains|warned|warns|claimed|claims|announced|announces|insisted|"
    r"noted|wrote|writes|asked|asks|argued|argues|confirmed|confirms|denied|denies"
)
_VERB = re.compile(rf"\b(?:{VERBS})\b")
_AFTER = re.compile(
    rf"\b(?:{VERBS})\s+(?!that\b|the\s+(?:russians|ukrainians)\b)([^,.;:!?\s][^,.;:!?]*)"
)
_BEFORE = re.compile(rf"([^,.;:!?]*?)\s*\b(?:{VERBS})\b")
_NAMED = re.compile(r"\b(?:named|called)\s+((?:[A-Z][\w’'-]+\s?){1,3})")
_POSSESSIVE_NAME = re.compile(r"[A-Z][\w ]*[’']s\s+((?:[A-Z][\w’'-]+\s?){1,3})$")
_PERSON = re.compile(
    r"\b([A-Z][a-z’'-]+(?:\s+[A-Z][a-z’'-]+){0,2})(?=[’']s\b|\s+(?:" + VERBS + r")\b)"
)
_PRONOUNS = {"he", "she", "they", "it", "we", "i"}
_LEAD_CLAUSE = re.compile(r"^.*,\s*")
_STOP_WORDS = {"But", "And", "The", "A", "An", "In", "On", "At", "Another", "However"}


@dataclass(frozen=True, slots=True)
class Attribution:
    """Who speaks in a span: ``speaker`` ("" = the outlet's own reporting) and how."""

    speaker: str
    kind: str  # "direct" (inside quotation marks), "reported" (X said that…), or "reporting"


def _quote_depths(text: str) -> list[int]:
    """Return, per character, whether it lies inside a quotation (1) or not (0).

    Curly quotes open and close; a straight double quote toggles (wire copy mixes both); a
    quotation running on into the next paragraph is reopened there, so each paragraph starts
    outside.
    """
    depths = [0] * len(text)
    depth = 0
    for i, ch in enumerate(text):
        if ch == "\n":
            depth = 0
        elif ch == OPEN or (ch == '"' and depth == 0):
            depth = 1
            continue
        elif ch == CLOSE or ch == '"':
            depth = 0
            continue
        depths[i] = depth
    return depths


# A quotation: its opening mark, what it says (up to a mark or the paragraph's end), and its
# closing mark when it has one. The same reading as ``_quote_depths``, in one regular-expression
# pass: an opening curly quote inside a quotation starts a new match, kept as it is.
_QUOTATION = re.compile(f'([{OPEN}"])([^\n{OPEN}{CLOSE}"]*)([{CLOSE}"]?)')


def _mask_quotations(text: str) -> str:
    """Return text with everything inside quotation marks replaced by spaces (same length)."""
    return _QUOTATION.sub(lambda m: m.group(1) + " " * len(m.group(2)) + m.group(3), text)


def _paragraph(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end == -1 else end


def _inside_quotation(text: str, para_start: int, pos: int, end: int) -> bool:
    if text[pos:end][:1] in (OPEN, '"'):
        return True
    return bool(_quote_depths(text[para_start : pos + 1])[-1]) if pos < len(text) else False


def _people_before(text: str, pos: int) -> list[str]:
    """Return people named before ``pos``, in order (names before a verb or a possessive)."""
    masked = _mask_quotations(text[:pos])
    found = [m.group(1) for m in _NAMED.finditer(masked)]
    found += [
        m.group(1) for m in _PERSON.finditer(masked) if m.group(1).split()[0] not in _STOP_WORDS
    ]
    # keep text order
    ordered = sorted({n.strip(): masked.find(n) for n in found}.items(), key=lambda kv: kv[1])
    return [n for n, _ in ordered]


def _clean(phrase: str, text: str, pos: int) -> str:
    phrase = " ".join(phrase.split())
    phrase = _LEAD_CLAUSE.sub(
        "", phrase
    )  # "Reporting from Bakhmut, Al Jazeera’s X" -> "Al Jazeera’s X"
    if m := _NAMED.search(phrase):
        return m.group(1).strip()
    if m := _POSSESSIVE_NAME.search(phrase):
        return m.group(1).strip()
    if phrase.lower() in _PRONOUNS:
        people = _people_before(text, pos)
        return people[-1] if people else ""
    if re.fullmatch(r"[A-Z][\w’'-]+", phrase):  # a surname alone: the full name used earlier
        for person in reversed(_people_before(text, pos)):
            if person.endswith(" " + phrase):
                return person
    return phrase


# Who speaks without a name: roles and bodies news reports quote.
ROLES = frozenset(
    "official officials police spokesperson spokesman spokeswoman ministry minister governor "
    "mayor president government company agency department authorities authority witnesses "
    "witness residents resident analysts analyst experts expert officer officers commander "
    "military army prosecutors prosecutor lawyer lawyers source sources statement council "
    "court judge researchers scientists doctors team club coach manager chief director "
    "spokespeople representative representatives leader leaders administration woman man women men "
    "chairman chairwoman chair ceo founder owner mother father soldier soldiers".split()
)
MAX_SPEAKER_WORDS = 8
_FUNCTION = frozenset(
    "a an the of in on at for to by with many some most all this that these those".split()
)


def is_speaker(phrase: str) -> bool:
    """Return True when a phrase names a person or a body ("Nikolai", "Al Jazeera's X",
    "a police spokesperson"), not a sentence fragment ("Of the 32 people", "The call to
    stations"): at most a few words, holding a name or a role."""
    words = phrase.replace("’", "'").split()
    if not words or len(words) > MAX_SPEAKER_WORDS or words[0].lower() in {"of", "many", "some"}:
        return False
    names = [w for w in words if w[:1].isupper() and w.lower() not in _FUNCTION]
    roles = [
        w
        for w in words
        if w.lower().strip(".,'s") in ROLES or w.lower() in ROLES or w.endswith("-year-old")
    ]
    return bool(names or roles)


def _find(masked: str, lo: int, hi: int) -> list[tuple[int, str]]:
    """Return (position, speaker phrase) of each attribution in masked[lo:hi], nearest ``lo``
    first."""
    segment = masked[lo:hi]
    found: list[tuple[int, str]] = []
    for m in _AFTER.finditer(segment):
        phrase = m.group(1).strip()
        if phrase and not phrase.startswith(OPEN):
            found.append((lo + m.start(1), phrase))
    for m in _BEFORE.finditer(segment):
        phrase = m.group(1).strip().strip(OPEN + CLOSE + '" ')
        where = lo + m.start(1)
        if not phrase and segment[: m.start()].rstrip().endswith(","):
            # "The 36-year-old, speaking in Mallorca, said …": the subject opens the sentence.
            head = segment.split(",", 1)[0].strip().strip(OPEN + CLOSE + '" ')
            phrase, where = (head, lo) if head and not _VERB.search(head) else ("", where)
        if phrase:
            found.append((where, phrase))
    return sorted(found, key=lambda hit: hit[0])


def attribute(text: str, start: int, end: int) -> Attribution:
    """Return who speaks in ``text[start:end]``."""
    para_start, para_end = _paragraph(text, start)
    masked = _mask_quotations(text)
    direct = _inside_quotation(text, para_start, start, end)
    # The sentence of the span first (reported speech), then the whole paragraph (quotations).
    stop = masked.rfind(". ", para_start, start)
    sentence_start = stop + 2 if stop != -1 and not direct else para_start
    sentence_end = masked.find(". ", max(end - 1, start), para_end)
    sentence_end = para_end if sentence_end == -1 else sentence_end + 1
    for lo, hi in ((sentence_start, sentence_end), (para_start, para_end)):
        if _VERB.search(masked[lo:hi]):
            for where, phrase in _find(masked, lo, hi):  # the nearest that names someone
                speaker = _clean(phrase, text, where)
                if speaker and is_speaker(speaker):
                    return Attribution(speaker, "direct" if direct else "reported")
        if not direct:
            break
    return Attribution("", "reporting")

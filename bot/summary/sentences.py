"""Sentence splitting tuned for trade-press prose.

Summaries quote the review verbatim, so a wrong split shows up as a broken sentence in Discord.
Generic splitters cut ``Hucheng No.7 Films Ltd.``, ``J.Q. Spring`` or a question inside a
parenthesis; these rules keep them whole. Every sentence returned is an exact substring of the
input (only surrounding whitespace is dropped), so callers can check it against the source.

The rules, in order:

* a boundary is ``.``, ``!``, ``?``, ``…`` or ``...``, then any closing quotes or brackets, then
  whitespace, then (after any opening quotes or brackets) a capital letter or a digit;
* no boundary inside a balanced pair of brackets or quotes (a closing quote or bracket right after
  the terminator ends the sentence with it);
* after a title (``Mr.``, ``Dr.``, ``Dir.``) never; after ``No.``/``c.``/``Vol.`` before a number
  never; after ``e.g.``/``i.e.``/``vs.`` never;
* after a word that may end a sentence or not (``Co.``, ``Ltd.``, ``Inc.``, ``U.S.``, an initial
  such as ``J.Q.``) only when the next word is one that commonly opens a sentence (``The``, ``It``,
  ``But`` ...), so ``J.Q. Spring`` stays whole and ``the U.S. The film`` is split;
* a blank line always ends a sentence.
"""

from __future__ import annotations

import re
from bisect import bisect_left


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Titles that precede a name: a full stop after them never ends a sentence.
_TITLES = _words(
    "Mr Mrs Ms Mx Dr Prof Dir Scr Prod Ed St Mt Ft Gen Col Capt Lt Sgt Cmdr Adm Gov Sen Rep Rev Fr Hon Pres Supt "
    "Messrs Mme Mlle Sr Sra Srta Dra Herr Frau"
)
# Abbreviations that never end a sentence in practice.
_NEVER = _words("e.g i.e eg ie vs v cf viz al approx esp incl resp ibid aka a.k.a")
# Abbreviations followed by a number: ``No. 7``, ``c. 2010``, ``Vol. 2``.
_BEFORE_NUMBER = _words("No Nos no nos c ca circa Vol vol Vols pp p Ch ch Op op Fig fig Ep ep Pt pt Nr nr Art art")
# Abbreviations that end a sentence as often as not: split only before a sentence opener.
_AMBIGUOUS = _words(
    "Co Cos Corp Inc Ltd Llc LLC Plc PLC Bros Jr Sr Esq etc Ave Blvd Rd Dept Univ Assn Intl Natl "
    "am pm Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Mon Tue Tues Wed Thu Thurs Fri Sat Sun"
)
# Words that commonly open an English sentence; capitalised names are deliberately absent.
_OPENERS = _words(
    """a an the this that these those it its it’s it's he she they we i you his her their our my your one there here
    but and or yet so nor for if when while whilst although though as since because after before once until unless
    whether where what who whom whose which why how in on at by from with without within into onto of to under over
    between among amid through throughout during despite following like unlike both each every either neither all some
    many most much more few several no not none nothing never only even still also then now however meanwhile instead
    indeed perhaps maybe rather moreover furthermore ultimately finally eventually sadly happily thankfully admittedly
    unfortunately fortunately overall elsewhere later earlier soon again such other another whatever whoever
    everything everyone nobody somebody someone anyone anything just too thus hence besides otherwise nevertheless
    nonetheless regardless"""
)
# Times of day: a capital after them starts a new sentence ("until 4 a.m. Lotte smuggles ...").
_CLOCK = _words("a.m p.m A.M P.M")
_INITIALS = re.compile(r"^(?:[A-Z]\.)*[A-Z]$")
#: Characters of the word before a full stop besides letters and digits (``U.S``, ``Vránová’s``, ``AT&T``).
_TOKEN_MARKS = frozenset("_.’'&-")
_TOKEN_LIMIT = 24  # no abbreviation is longer; the scan back never goes further
# A terminator, closing quotes/brackets, whitespace: a candidate boundary.
_CANDIDATE = re.compile(r"(?:\.\.\.|[.!?…])+[”’\"'»)\]]*(?=\s)")
# An emoji (or other pictograph) before a sentence is skipped: "hard-won. 🎆 Their scene" splits.
_PICTOGRAPHS = "\u2190-\u21ff\u2300-\u23ff\u2460-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff\ufe0f\u200d"
_NEXT_WORD = re.compile(rf"\s*(?:[{_PICTOGRAPHS}]+\s*)?[“‘\"'«(\[¿¡]*(\S*)")
_LEADING_PICTOGRAPHS = re.compile(rf"^[{_PICTOGRAPHS}\s]+(?=[^{_PICTOGRAPHS}\s])")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_PAIR_MARK = re.compile(r"[()\[\]“”«»‘’\"]")
_PAIR_MARK_NO_APOSTROPHE = re.compile(r"[()\[\]“”«»\"]")
_CLOSERS = {")": "(", "]": "[", "”": "“", "»": "«"}
_MAX_SPAN = 600  # a "pair" longer than this is a stray mark, not a quotation or aside


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` in order, each an exact (stripped) substring of it."""
    sentences: list[str] = []
    for block in _PARAGRAPH_BREAK.split(text):
        sentences.extend(_split_block(block))
    return sentences


def _split_block(text: str) -> list[str]:
    opens, closes = _protected_spans(text)
    pieces: list[str] = []
    start = 0
    for match in _CANDIDATE.finditer(text):
        end = match.end()
        inside = bisect_left(opens, end) - 1  # the last protected span opening before ``end``
        if inside >= 0 and end <= closes[inside]:
            continue
        if not _is_boundary(text, match.start(), match.group(), end):
            continue
        piece = _LEADING_PICTOGRAPHS.sub("", text[start:end]).strip()
        if piece:
            pieces.append(piece)
        start = end
    rest = _LEADING_PICTOGRAPHS.sub("", text[start:]).strip()
    if rest:
        pieces.append(rest)
    return pieces


def _is_boundary(text: str, at: int, mark: str, end: int) -> bool:
    word_match = _NEXT_WORD.match(text, end)
    next_word = word_match.group(1) if word_match else ""
    if not next_word:
        return False
    first = next_word[0]
    if not (first.isdigit() or (first.isalpha() and not first.islower())):
        return False
    if mark != ".":
        return True  # "!", "?", an ellipsis, or a full stop closed by a quote or bracket
    word = _token_before(text, at).lstrip("-’'&.")
    if not word:
        return True
    if word in _TITLES:
        return False
    if word.casefold() in _NEVER:
        return False
    if word in _BEFORE_NUMBER and first.isdigit():
        return False
    if word in _CLOCK:
        return True  # the next word starts with a capital (checked above)
    if word in _AMBIGUOUS or _INITIALS.match(word):
        bare = next_word.rstrip(",;:.!?”’\"')]").casefold()
        return bare in _OPENERS
    return True


def _token_before(text: str, at: int) -> str:
    """The word that ends at ``at``, at most ``_TOKEN_LIMIT`` characters.

    A scan back, character by character: the regex it replaces (``[\\w.’'&-]*$`` searched over the
    text before ``at``) retries from every start position and so is quadratic in what it is given;
    only the 24-character slice it was given kept it bounded.
    """
    start = at
    limit = max(0, at - _TOKEN_LIMIT)
    while start > limit and (text[start - 1].isalnum() or text[start - 1] in _TOKEN_MARKS):
        start -= 1
    return text[start:at]


def _protected_spans(text: str) -> tuple[list[int], list[int]]:
    """Balanced brackets and quotations, where no sentence may end, as disjoint sorted intervals.

    A position ``p`` is protected when ``opens[i] < p <= closes[i]`` for some ``i``; merged intervals
    let each candidate boundary be checked by bisection, so even a 2 MB file splits in linear time.
    """
    spans: list[tuple[int, int]] = []
    stacks: dict[str, list[int]] = {"(": [], "[": [], "“": [], "«": [], "‘": []}
    straight: int | None = None
    # A ’ closes only a ‘; without one it is an apostrophe however often it occurs ("it’s", "Li’s").
    marks = _PAIR_MARK if "‘" in text else _PAIR_MARK_NO_APOSTROPHE
    for mark in marks.finditer(text):
        char, index = mark.group(), mark.start()
        if char in stacks:
            stacks[char].append(index)
        elif char in _CLOSERS:
            stack = stacks[_CLOSERS[char]]
            if stack:
                spans.append((stack.pop(), index))
        elif char == "’":
            # An apostrophe inside a word (Li’s) is not a closing quote.
            if stacks["‘"] and not text[index + 1 : index + 2].isalpha():
                spans.append((stacks["‘"].pop(), index))
        elif straight is None:
            straight = index
        else:
            spans.append((straight, index))
            straight = None
    opens: list[int] = []
    closes: list[int] = []
    for open_at, close_at in sorted(span for span in spans if span[1] - span[0] <= _MAX_SPAN):
        if closes and open_at <= closes[-1]:
            closes[-1] = max(closes[-1], close_at)
        else:
            opens.append(open_at)
            closes.append(close_at)
    return opens, closes

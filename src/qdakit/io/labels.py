"""Speaker labels, timestamps, legends and stage directions in transcript lines.

The rules that tell, line by line, what in a transcript is a speaker label, a
timestamp, a legend of speaker codes or a stage direction, as they occur in
real files. :mod:`qdakit.io.text` applies them to a whole text.

Label forms, each optionally preceded by a timestamp ``[00:01:23]``,
``(00:01:23)``, ``00:01:23``, ``1:41`` or ``*0:0 =`` (and an optional dash or
``=``, ``00:01:23 - Ann:``)::

    Interviewer: ...      P3: ...      Dr. Smith: ...      Helen Baxter: ...
    [Ann] ...             [Ann]: ...
    **Ann:** ...          **Ann**: ...
    1:41<TAB>Y<TAB>...    Y<TAB>1:41<TAB>...      (tab-separated lines, Word tables)

A name is at most five words and 40 characters of letters, digits, spaces and
``.'-``, with at least one letter. The colon or closing bracket must be
followed by whitespace or the end of the line, so ``https://`` and ``12:30``
are not labels; a full-width colon (``李明：你好``) needs no space, nor does the
colon after a short speaker code (``O:Hvor``). ``[?]:`` marks a speaker the
transcriber could not tell: a turn with no speaker. Bracketed annotations such
as ``[inaudible]``, ``[Alle griner]`` (any ``[...]`` without a colon that is not
a known speaker) are stage directions, never labels.

False labels
------------
A line such as ``Note: the recording stopped here`` inside a turn looks like a
label. A candidate label is accepted as a speaker only if

1. the same name labels at least two lines of the file; or
2. it occurs once but resembles a repeated label: the same name with digits
   ignored (``P7`` next to a repeated ``P3``, ``Speaker 12`` next to
   ``Speaker 1``), or the same explicit markup form (``**Bob:**`` or
   ``[Bob]`` where a repeated label uses that form), or names joined by
   ``and``/``og``/``eller``/``&`` that are all speakers (``X eller Y``), or
   a speaker code (``XX``, ``SØN``) where most speakers are codes, or a
   timestamped label where most labels carry a time
   (``02:38 ALL PARTICIPANTS:``), or another speaker's name in other case; or
3. no name repeats at all (a short excerpt), there are at least two distinct
   names not starting in lower case, and every paragraph from the first
   label on starts with a label.

A parenthesised note between name and colon (``X (til I2):``) is part of the
label. A line holding only a timestamp and an accepted speaker's name
(``[47:41] PARTICIPANT 2``, the colon forgotten) is a label too.

A short speaker code that is accepted also labels lines where it is followed
by ``.``, ``;``, ``!:`` or a spaced colon instead of a colon (``X. Ja.``,
``M; Nej``, ``I1 :Ja``), or by a space and a capitalised word (``K Nej``; not
for the codes ``A``, ``I`` and ``O``, which are words), common slips.
Pass ``speakers=[...]`` to turn the heuristic off and accept exactly the
listed names.

Known speakers
--------------
Once a file's speakers are known (the accepted names and its legend's
codes), a line that starts with one of them where a transcriber typed the
label differently from the rest of the file starts a turn too (form
``"known"``; see :func:`known_speaker_rule`): a time in any form (``28:32``,
``[20:12]``, ``*2.33 =``, ``* 15:15 =``, ``1.16.30``) then the name and any
of ``: ? ; . - –`` or none (``28:32 PARTICIPANT 33? I think``,
``[20:12] PARTICIPANT 2.``); without a time only a speaker code, and only
where the file's labels mostly carry no time (``K? Nej``). ``A``, ``I`` and
``O`` are words and need a time and a colon (or ``.``/``;``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from qdakit.io.base import parse_timestamp

__all__ = ["Label", "LabelLike", "label_like", "known_speaker_rule", "match_label", "time_of", "researcher_codes",
           "find_speaker_labels", "find_legend",
           "is_timestamp_line", "is_stage_direction", "stage_directions", "is_heading_line"]

_TIME = r"(?:\d{1,3}(?::\d{1,2}){1,2}(?:[.,]\d{1,3})?|\d{1,2}\.\d{2}\.\d{2})"  # 1:41, 00:01:23.5, 1.16.30
_NAME = r"[^\W_](?:[\w.'’ \-]{0,38}[\w.'’])?"
_LABEL = re.compile(
    rf"""^[ \t]*
    (?:(?:\[(?P<t1>{_TIME})\]|\((?P<t2>{_TIME})\)|\*?(?P<t3>{_TIME}))[ \t]*(?:[-–—=][ \t]*)?)?
    (?:\*\*(?P<bold>{_NAME})(?::\*\*|\*\*:)
      |\[(?P<bracket>{_NAME}|\?)\](?P<colon>:)?
      |(?P<plain>{_NAME})(?:[ \t]*\((?P<aside>[^()\n]{{1,30}})\))?(?P<sep>:|：)
    )(?:(?<=：)|(?=\s|$)|(?P<tight>(?<=:)(?=[^\W\d_])))[ \t]*""",
    re.VERBOSE,
)
# time<TAB>speaker<TAB>text or speaker<TAB>time<TAB>text (tab-separated lines and Word table rows)
_TABBED = re.compile(rf"^[ \t]*(?:(?P<ta>{_TIME})\t+(?P<na>{_NAME})|(?P<nb>{_NAME})\t+(?P<tb>{_TIME}))(?:\t+|$)")
_SLIP = re.compile(r"^[ \t]*(?P<code>[A-ZÆØÅ]{1,3}\d{0,2})(?:[.;][ \t]+|!:[ \t]*|[ \t]+:[ \t]*"
                   r"|[ \t]+(?<![AIO] )(?<![AIO]\t)(?=[A-ZÆØÅ][a-zæøå]))(?=\S)")
_BARE = re.compile(rf"^[ \t]*(?P<stamp>\[{_TIME}\]|\({_TIME}\)|{_TIME})[ \t]*(?:[-–—][ \t]*)?(?P<name>{_NAME})[ \t]*$")
_CODE = re.compile(r"^[A-ZÆØÅ]{1,3}\d{0,2}$")
_DIGITS = re.compile(r"\d+")
_JOINERS = re.compile(r"\s+(?:and|og|eller|or|&|und|et|y)\s+|\s*[,/&]\s*", re.I)
_TIME_LINE = re.compile(rf"^[ \t]*(?:[\[(*]?{_TIME}[\])]?|\(\d{{1,3}}\.\d{{2}}\))[ \t]*$")
_STAGE_LINE = re.compile(r"^[ \t]*(?:\[[^\]\n]*[\])]|\([^)\n]*\))[ \t.]*$")
_BRACKETED = re.compile(r"\[[^\[\]\n]{1,200}\]")
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}(?:[ \t]|$)")
_NOT_SPEAKERS = frozenset(
    {
        "inaudible", "unclear", "laughs", "laughter", "laughing", "crosstalk",
        "cross-talk", "pause", "long pause", "short pause", "silence", "music",
        "applause", "coughs", "sighs", "overlapping", "overlap", "interruption",
        "interrupted", "redacted", "noise", "background noise", "break", "sic",
        "inaudible speech", "recording ends", "end of recording", "end of interview",
    }
)  # bracketed annotations that are never speakers


@dataclass(frozen=True, slots=True)
class Label:
    """A speaker label found at the start of a line.

    ``content`` is the offset in the line where the turn text begins; ``name``
    is None for a label that marks an unknown speaker (``[?]:``); ``form`` is
    ``"plain"``, ``"bracket"``, ``"bold"``, ``"tab"`` or ``"slip"``;
    ``time_span`` is where a timestamp is in the line, if any.
    """

    name: str | None
    content: int
    time: float | None
    form: str
    time_span: tuple[int, int] | None = None


def match_label(line: str) -> Label | None:
    """Return the label at the start of ``line`` if it has a label's shape.

    This checks the form only; :func:`find_speaker_labels` decides which
    candidates are speakers.

    Examples
    --------
    >>> match_label("[00:01:23] Dr. Smith: So, tell me.")
    Label(name='Dr. Smith', content=22, time=83.0, form='plain', time_span=(0, 10))
    >>> match_label("*0:0 = I1: Hello.").name
    'I1'
    >>> match_label("https://example.org") is None
    True
    """
    if "\t" in line:
        m = _TABBED.match(line)
        if m:
            name = (m["na"] or m["nb"]).strip()
            stamp = m["ta"] or m["tb"]
            t = "ta" if m["ta"] else "tb"
            if any(c.isalpha() for c in name) and len(name.split()) <= 5:
                return Label(name, m.end(), time_of(stamp), "tab", (m.start(t), m.end(t)))
    m = _LABEL.match(line)
    if m is None:
        return None
    # a tight colon ("O:Hvor") depends on what follows the head, so it is not cached
    label = _checked(m) if m["tight"] is not None else _label(m.group(0))
    if label is not None and label.form == "bracket" and not line[label.content:].strip() and not m["colon"]:
        return None  # "[Alle griner]" alone on its line is a stage direction
    return label


@lru_cache(maxsize=4096)
def _label(head: str) -> Label | None:
    """The label of a line that starts with ``head``, a whole match of ``_LABEL``."""
    return _checked(_LABEL.match(head))  # type: ignore[arg-type]


def _checked(m: re.Match[str]) -> Label | None:
    """The label a match of ``_LABEL`` names, unless it is not a speaker's name."""
    if m["bold"]:
        name, form = m["bold"], "bold"
    elif m["bracket"]:
        name, form = m["bracket"], "bracket"
    else:
        name, form = m["plain"], "plain"
    name = name.strip()
    stamp_group = "t1" if m["t1"] else "t2" if m["t2"] else "t3" if m["t3"] else None
    span = None
    if stamp_group:
        span = (m.start(stamp_group) - (stamp_group != "t3"), m.end(stamp_group) + (stamp_group != "t3"))
        if stamp_group == "t3" and m.group(0)[span[0] - 1:span[0]] == "*":
            span = (span[0] - 1, span[1])
    if name == "?" and m["colon"]:
        return Label(None, m.end(), time_of(m[stamp_group]) if stamp_group else None, form, span)
    if (
        len(name.split()) > 5
        or not any(c.isalpha() for c in name)
        or name.lower() in _NOT_SPEAKERS
        or (form == "bracket" and not m["colon"] and name[0].islower())
        or (m["tight"] is not None and not _CODE.match(name))
    ):
        return None
    stamp = m[stamp_group] if stamp_group else None
    return Label(name, m.end(), time_of(stamp) if stamp else None, form, span)


def time_of(stamp: str) -> float | None:
    """Seconds of a timestamp as written in a label or a time line (``[01:49]``, ``*0:0``, ``1.16.30``)."""
    core = stamp.strip().strip("[]()*").strip()
    if core.count(".") == 2 and ":" not in core:
        core = core.replace(".", ":")
    elif re.fullmatch(r"\d{1,3}\.\d{2}", core):
        core = core.replace(".", ":")
    return parse_timestamp(core)


def _shape(name: str) -> str:
    return _DIGITS.sub("#", name)


def find_speaker_labels(
    lines: Sequence[str], speakers: Iterable[str] | None = None, *, skip: Iterable[int] = (),
    legend: Iterable[str] = (),
) -> list[Label | None]:
    """Return the accepted speaker label of each line, or None (see module docs).

    ``lines`` are the lines of a file (or the first lines of a document's
    paragraphs); lines whose index is in ``skip`` (a legend) are never labels.
    With ``speakers`` given, exactly those names are accepted. ``legend`` are
    the speaker codes of the file's legend, known speakers for
    :func:`known_speaker_rule` along with the accepted names.

    Examples
    --------
    >>> lines = ["Ann: Hi.", "Note: quiet room.", "Bob: Hello.", "Ann: Bye.", "Bob: Bye."]
    >>> [lab.name if lab else None for lab in find_speaker_labels(lines)]
    ['Ann', None, 'Bob', 'Ann', 'Bob']
    """
    skipped = set(skip)
    found = [match_label(line) if line and i not in skipped else None for i, line in enumerate(lines)]
    if speakers is not None:
        allowed = {s.strip() for s in speakers}
        out = [lab if lab and (lab.name in allowed or lab.name is None) else None for lab in found]
        return _known_speaker_labels(lines, out, allowed, skipped)
    counts = Counter(lab.name for lab in found if lab and lab.name)
    repeated = {name for name, k in counts.items() if k >= 2}
    canonical: dict[str, str] = {}
    if repeated:
        shapes = {_shape(name) for name in repeated}
        forms = {lab.form for lab in found if lab and lab.name in repeated} - {"plain"}
        folded = {name.casefold(): name for name in repeated}
        coded = sum(bool(_CODE.match(name)) for name in repeated) * 2 > len(repeated)
        timed = [lab.time is not None for lab in found if lab and lab.name in repeated]
        mostly_timed = sum(timed) * 2 > len(timed)
        marked: set[str] = set()  # names with a markup form a repeated label uses, or a time in a timed file
        for lab in found:
            if lab and lab.name and (lab.form in forms or (mostly_timed and lab.time is not None)):
                marked.add(lab.name)
        accepted = set()
        for name in counts:
            if (_shape(name) in shapes or _joined(name, repeated) or name in marked
                    or (coded and _CODE.match(name.upper()))):
                accepted.add(name)
            if name not in repeated and name.casefold() in folded:  # "x:" where "X:" is a speaker
                accepted.add(name)
                canonical[name] = folded[name.casefold()]
    elif len(capital := {n for n in counts if not n[0].islower()}) >= 2 \
            and _labels_start_every_paragraph(lines, found):
        accepted = capital
    else:
        accepted = set()
    out = [lab if lab and (lab.name in accepted or (lab.name is None and accepted)) else None for lab in found]
    out = [Label(canonical[lab.name], lab.content, lab.time, lab.form, lab.time_span)
           if lab and lab.name in canonical else lab for lab in out]
    for i, line in enumerate(lines):  # "[47:41] PARTICIPANT 2" with the colon missing
        if out[i] is None and i not in skipped and line:
            m = _BARE.match(line)
            if m and m["name"].strip() in accepted:
                out[i] = Label(m["name"].strip(), len(line), time_of(m["stamp"]), "bare",
                               m.span("stamp"))
    codes = {name for name in accepted if _CODE.match(name)}
    if codes:  # "X. Ja." where X is a speaker code used with a colon elsewhere
        for i, line in enumerate(lines):
            if out[i] is None and i not in skipped and line:
                m = _SLIP.match(line)
                if m and m["code"] in codes:
                    out[i] = Label(m["code"], m.end(), None, "slip")
    return _known_speaker_labels(lines, out, accepted | set(legend), skipped)


# -- the known-speaker rule: labels by the file's own evidence --------------------------------

_ANY_TIME = rf"(?:{_TIME}|\d{{1,3}}\.\d{{2}})"  # the label times, and m.ss ("*2.33 = I1:")
_STAMP_HEAD = (rf"\[[ \t]*(?P<t1>{_ANY_TIME})[ \t]*\]|\([ \t]*(?P<t2>{_ANY_TIME})[ \t]*\)"
               rf"|\*?[ \t]*(?P<t3>{_ANY_TIME})")
_WORDS = frozenset({"A", "I", "O"})  # speaker codes that are words ("I think", "A lot", Danish "I har")


@dataclass(frozen=True, slots=True)
class LabelLike:
    """A line that starts like a turn of a known speaker: an optional time, the name, a mark.

    ``mark`` is the character after the name (``:``, ``?``, ``;``, ``.``, ``-``,
    ``–``) or ``""`` when the text follows the name directly; ``rest`` is what
    follows on the line.
    """

    name: str
    content: int
    time: float | None
    time_span: tuple[int, int] | None
    mark: str
    rest: str


@lru_cache(maxsize=256)
def _known_pattern(names: frozenset[str]) -> re.Pattern[str]:
    alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(
        rf"^[ \t]*(?:(?P<stamp>{_STAMP_HEAD})[ \t]*(?:[-–—=][ \t]*)?)?(?P<name>{alt})(?!\w)"
        rf"(?:[ \t]*(?P<mark>[:：](?!\d)|[?;.\-–—](?=\s|$))|(?=\s|$))[ \t]*")


def label_like(line: str, names: Iterable[str | None]) -> LabelLike | None:
    """How ``line`` starts like a turn of one of ``names``, or None.

    The name (exact case) at the start of the line, after an optional time in
    any form (``28:32``, ``[20:12]``, ``1:02:03``, ``*2.33 =``, ``* 15:15 =``,
    ``(1.16.30)``), followed by ``:``, ``?``, ``;``, ``.``, ``-``, ``–`` or by
    nothing before the text. :func:`find_speaker_labels` decides which of these
    start a turn; the import audit reports the others inside segments.

    Examples
    --------
    >>> like = label_like("28:32 PARTICIPANT 33? I would say so.", ["PARTICIPANT 33", "RESEARCHER"])
    >>> like.name, like.mark, like.time, like.rest
    ('PARTICIPANT 33', '?', 1712.0, 'I would say so.')
    >>> label_like("PARTICIPANT 3, would you like to start?", ["PARTICIPANT 3"]) is None
    True
    """
    known = frozenset(n for n in names if n)
    if not known:
        return None
    m = _known_pattern(known).match(line)
    if m is None:
        return None
    stamp = m["t1"] or m["t2"] or m["t3"]
    return LabelLike(m["name"], m.end(), time_of(stamp) if stamp else None,
                     m.span("stamp") if m["stamp"] is not None else None, m["mark"] or "", line[m.end():].rstrip())


def known_speaker_rule(like: LabelLike, *, mostly_timed: bool) -> bool:
    """Whether a label-like line of a known speaker starts a turn (the rule of :mod:`qdakit.io.labels`).

    * With a time in any form: any mark, or none, the text on that line or
      the next (``28:32 PARTICIPANT 33?``, ``[20:12] PARTICIPANT 2.``,
      ``* 15:15 = I2:``, ``*2.33 = I1`` alone on its line).
    * Without a time, in a file whose labels mostly carry none: a speaker
      code (``K``, ``I2``, ``SØN``) followed by ``?``, ``;``, ``.``, ``-`` or
      ``–`` (``K? Nej``). A name such as ``PARTICIPANT 3`` at a line start
      without its time is speech ("PARTICIPANT 22? Your turn"): the audit
      reports it, the rule does not split.
    * ``A``, ``I`` and ``O`` are words: only with a time and a ``:``, ``.``
      or ``;``; a known miss is better than a wrong split.
    """
    if like.name in _WORDS:
        return like.time_span is not None and like.mark in {":", "：", ".", ";"}
    if like.time_span is not None:
        return True
    return (not mostly_timed and bool(_CODE.match(like.name)) and like.mark in {"?", ";", ".", "-", "–", "—"})


def _known_speaker_labels(lines: Sequence[str], out: list[Label | None], known: Iterable[str | None],
                          skipped: set[int]) -> list[Label | None]:
    """Add the labels the known-speaker rule finds (form ``"known"``) to ``out``."""
    names = frozenset(n for n in known if n)
    if not names:
        return out
    timed = [lab.time is not None for lab in out if lab and lab.name]
    mostly_timed = sum(timed) * 2 > len(timed)
    for i, line in enumerate(lines):
        if out[i] is None and i not in skipped and line:
            like = label_like(line, names)
            if like is not None and known_speaker_rule(like, mostly_timed=mostly_timed):
                out[i] = Label(like.name, like.content, like.time, "known", like.time_span)
    return out


def _joined(name: str, speakers: set[str]) -> bool:
    """``"X eller Y"``: two or more speakers' names joined by and/or/&/comma."""
    parts = [p for p in _JOINERS.split(name) if p]
    return len(parts) >= 2 and all(p in speakers for p in parts)


def _labels_start_every_paragraph(lines: Sequence[str], found: list[Label | None]) -> bool:
    first = next(i for i, lab in enumerate(found) if lab)
    previous_blank = True
    for line, lab in zip(lines[first:], found[first:], strict=False):
        blank = not line.strip() or bool(_MD_HEADING.match(line))
        if previous_blank and not blank and lab is None:
            return False
        previous_blank = blank
    return True


# -- lines that are not speech -----------------------------------------------------------

def is_timestamp_line(line: str) -> bool:
    """A line holding only a time: ``00:01:15``, ``0:00:00.0``, ``[12:03]``."""
    return bool(_TIME_LINE.match(line))


def is_stage_direction(line: str) -> bool:
    """A line that is only a bracketed or parenthesised note: ``[Alle griner]``, ``(Går videre)``."""
    return bool(_STAGE_LINE.match(line))


def stage_directions(line: str) -> list[tuple[int, int]]:
    """Where the bracketed notes inside a line are (``[Kort pause]``, ``[bynavn]``)."""
    return [m.span() for m in _BRACKETED.finditer(line)]


def is_heading_line(line: str) -> bool:
    """A Markdown heading, or a short line in capitals (``REVIEW TYPE AND GOAL``)."""
    if _MD_HEADING.match(line):
        return True
    s = line.strip()
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters) and len(s.split()) <= 8 and s[-1] not in ".?!"


# -- legends: "I1: Interviewer 1", "I = Interviewer; X = Informant", "Interviewer (I) Informant (X)" --

_ROLE_WORDS = re.compile(
    r"\b(?:interviewe[re]|intervie?ver|interviewer|informant\w*|participant|respondent|moderator|facilitator"
    r"|researcher|interviewee|kvinde|mand|kvindelig|mandlig|mor|far|woman|man|female|male|deltager\w*"
    r"|forsker|speaker|talker|child|barn)\b", re.I)
_ENTRY_EQ = re.compile(r"^\s*(?P<code>[A-ZÆØÅ][A-ZÆØÅ]?\d{0,2})\s*[:=]\s*(?P<desc>[^:=;]{1,50}?)\s*$")
_ENTRY_PAREN = re.compile(r"(?P<desc>[A-Za-zÆØÅæøå][\w ]{0,30}?)\s*\((?P<code>[A-ZÆØÅ][A-ZÆØÅ]?\d{0,2})\)")


def _legend_entries(line: str) -> dict[str, str] | None:
    s = line.strip().rstrip(".")
    if not s or "?" in s or "!" in s:
        return None
    paren = list(_ENTRY_PAREN.finditer(s))
    if paren and not _ENTRY_PAREN.sub("", s).strip(" ;,"):
        return {m["code"]: m["desc"].strip() for m in paren}
    out: dict[str, str] = {}
    for part in re.split(r"\s*;\s*|,\s+(?=[A-ZÆØÅ][A-ZÆØÅ]?\d{0,2}\s*[:=])", s):
        m = _ENTRY_EQ.match(part)
        if not m or len(m["desc"].split()) > 5:
            return None
        out[m["code"]] = m["desc"].strip(" ,")
    return out or None


def find_legend(lines: Sequence[str], *, limit: int = 12) -> tuple[list[int], dict[str, str]]:
    """Find a legend of speaker codes among the first lines.

    Returns the indices of the legend lines and the codes they describe. A
    legend is a run of lines near the top, each made only of entries ``I1:
    Interviewer 1``, ``I = Interviewer; X = Informant`` or ``Interviewer (I)``,
    each with at least one entry naming a role (interviewer, informant,
    participant, ...).

    Examples
    --------
    >>> find_legend(["Interview 1", "I1: Interviewer 1", "K: Kvinde", "I1: Hello, welcome."])
    ([1, 2], {'I1': 'Interviewer 1', 'K': 'Kvinde'})
    """
    seen = 0
    run: list[int] = []
    codes: dict[str, str] = {}
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        seen += 1
        if seen > limit:
            break
        entries = _legend_entries(line)
        if entries is not None and not any(_ROLE_WORDS.match(desc) for desc in entries.values()):
            entries = None  # every legend line names at least one role
        if entries is None:
            if run:
                break
            continue
        run.append(i)
        codes.update(entries)
    return run, codes


_RESEARCHER_DESC = re.compile(r"^(?:interviewe[rv]|intervie?ver|moderator|facilitator|researcher|forsker|int\.?)\b",
                              re.I)


def researcher_codes(legend: dict[str, str]) -> set[str]:
    """The speaker codes a legend describes as researchers (``O = Interviewer 2`` gives ``{"O"}``).

    Examples
    --------
    >>> sorted(researcher_codes({"I": "Interviewer 1", "O": "Interviewer 2", "X": "Informant"}))
    ['I', 'O']
    """
    return {code for code, desc in legend.items() if _RESEARCHER_DESC.match(desc.strip())}

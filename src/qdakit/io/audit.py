"""The import audit: what a reader made of a file, so that nothing about its quality is silent.

:func:`audit_transcript` checks the coverage invariant (every non-blank
character of the transcript text lies in exactly one segment or in a recorded
non-speech span, and what a reader set aside is listed) and reports, per
file: segments, speakers (flagging those seen in fewer than 3 turns, outside
the file's legend, longer than four words or bracketed, with their segments),
unresolved text (segments with no speaker), every line inside a segment that
starts like a turn of one of the transcript's speakers (suspected merged
turns, with position and text: the audit searches every segment, so "0" means
it looked and found none), the lines the known-speaker rule split, non-speech
text by kind, and the detected language. :class:`ImportAudit` is stored with
each transcript.
"""

from __future__ import annotations

import bisect
import json
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from qdakit.io.base import ParsedTranscript
from qdakit.io.labels import _BARE, label_like, match_label
from qdakit.model import Segment

__all__ = ["ImportAudit", "audit_transcript", "coverage_of", "detect_language", "CoverageError",
           "model_covers", "language_warning"]

_FEW_TURNS = 3  # a speaker seen in fewer turns is flagged
_LISTED = 10  # segments listed per flagged speaker
_MERGE_TIME = re.compile(r"^[ \t]*(?:\[\d{1,3}(?::\d{1,2}){1,2}\]|\*?\d{1,3}(?::\d{1,2}){1,2}[ \t]*=)")


class CoverageError(AssertionError):
    """A reader lost or double-counted text: a bug in qdakit, never the user's input."""


@dataclass
class ImportAudit:
    """What an import made of one transcript file (JSON-serialisable, stored in the project)."""

    transcript: str
    source: str | None
    characters: int  # non-blank characters of the transcript text plus what was set aside
    in_segments: int
    unresolved: int  # in segments with no speaker
    non_speech: dict[str, int]  # non-blank characters outside segments, by kind (set-aside included)
    inside_segments: dict[str, int]  # stage directions and bracketed notes kept inside segments
    segments: int
    speakers: dict[str, int]  # speaker -> segments
    flagged_speakers: dict[str, str]  # speaker -> why
    merged_turns: list[str]  # ids of segments with a label-like line inside
    legend: dict[str, str] = field(default_factory=dict)
    language: str | None = None
    language_score: float | None = None
    warnings: list[str] = field(default_factory=list)
    # each suspected merge: {"segment", "offset", "line", "speaker", "text"} (the label-like line)
    merges: list[dict[str, Any]] = field(default_factory=list)
    # each line the known-speaker rule split: {"offset", "line", "speaker", "text"}
    known_splits: list[dict[str, Any]] = field(default_factory=list)
    flagged_turns: dict[str, list[str]] = field(default_factory=dict)  # flagged speaker -> its segments

    @property
    def coverage(self) -> float:
        return (self.in_segments + sum(self.non_speech.values())) / self.characters if self.characters else 1.0

    @property
    def unresolved_share(self) -> float:
        return self.unresolved / self.characters if self.characters else 0.0

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> ImportAudit:
        return cls(**json.loads(raw))

    def summary(self) -> str:
        """One line: segments, speakers, unresolved share, merged turns, language, warnings."""
        ns = ", ".join(f"{k} {v}" for k, v in sorted(self.non_speech.items()) if v)
        return (f"{self.transcript}: {self.segments} segments, {len(self.speakers)} speakers, "
                f"unresolved {self.unresolved_share:.1%}, {len(self.merges or self.merged_turns)} suspected merged "
                f"turns, {len(self.known_splits)} split by the known-speaker rule, "
                f"non-speech chars: {ns or 'none'}, language {self.language or '?'}"
                + (f"; {len(self.warnings)} warning(s)" if self.warnings else ""))

    def report(self) -> str:
        """The full audit, several lines, as ``qdakit import --check`` prints it."""
        out = [f"{self.transcript} ({self.source})",
               f"  characters {self.characters}, in segments {self.in_segments / max(self.characters, 1):.1%}, "
               f"coverage {self.coverage:.4f}",
               f"  segments {self.segments}, unresolved {self.unresolved} chars ({self.unresolved_share:.1%})",
               "  speakers: " + (", ".join(f"{s} ({n})" for s, n in sorted(self.speakers.items())) or "none")]
        if self.legend:
            out.append("  legend: " + "; ".join(f"{k} = {v}" for k, v in self.legend.items()))
        for kind, n in sorted(self.non_speech.items()):
            out.append(f"  non-speech {kind}: {n} chars")
        for kind, n in sorted(self.inside_segments.items()):
            out.append(f"  inside segments, marked {kind}: {n} chars")
        out.append(f"  language: {self.language or 'unknown'}"
                   + (f" (score {self.language_score:.2f})" if self.language_score is not None else ""))
        out.append(f"  suspected merged turns: {len(self.merges)}"
                   + ("" if self.merges else " (every segment searched for label-like lines of "
                      + (", ".join(sorted(set(self.speakers) | set(self.legend))) or "no speaker") + ")"))
        out += [f"    {m['segment']}, line {m['line']} (character {m['offset']}): {m['text']!r}" for m in self.merges]
        out.append(f"  split by the known-speaker rule: {len(self.known_splits)}")
        out += [f"    line {k['line']} (character {k['offset']}), {k['speaker']}: {k['text']!r}"
                for k in self.known_splits]
        for name, why in sorted(self.flagged_speakers.items()):
            turns = self.flagged_turns.get(name, [])
            out.append(f"  flagged speaker {name!r}: {why}" + (f"; segments {', '.join(turns)}" if turns else ""))
        out += [f"  WARNING: {w}" for w in self.warnings]
        return "\n".join(out)


def _mask(n: int, ranges: Sequence[tuple[int, int]]) -> np.ndarray:
    """Count, per character, how many of ``ranges`` cover it."""
    delta = np.zeros(n + 1, dtype=np.int32)
    for a, b in ranges:
        delta[a] += 1
        delta[b] -= 1
    return np.cumsum(delta[:-1])


def coverage_of(parsed: ParsedTranscript, segments: Sequence[Segment]) -> dict[str, np.ndarray]:
    """Per-character masks of the transcript text: ``segment`` (how many segments cover it),
    ``span`` (covered by a non-speech span) and ``blank`` (whitespace).

    Raises :class:`CoverageError` if a segment's offsets do not give its text or
    two segments overlap.
    """
    text = parsed.text
    for s in segments:
        if text[s.start:s.end] != s.text:
            raise CoverageError(f"{parsed.source}: segment {s.id} offsets {s.start}:{s.end} do not give its text")
    seg = _mask(len(text), [(s.start, s.end) for s in segments])
    if len(text) and seg.max(initial=0) > 1:
        at = int(np.argmax(seg > 1))
        raise CoverageError(f"{parsed.source}: two segments overlap at character {at}")
    span = _mask(len(text), [(s.start, s.end) for s in parsed.spans]) > 0
    blank = np.fromiter((c.isspace() for c in text), dtype=bool, count=len(text))
    return {"segment": seg, "span": span, "blank": blank}


def audit_transcript(parsed: ParsedTranscript, segments: Sequence[Segment], *,
                     language: bool = True) -> ImportAudit:
    """Audit one parsed transcript and its segments; raises :class:`CoverageError` if text was lost.

    Examples
    --------
    >>> from qdakit.io.text import parse_text
    >>> from qdakit.io.segment import segment
    >>> p = parse_text("Interview 3\\n\\nField notes first.\\n\\nI: Hi?\\nP: Hello.\\nI: Bye.\\nP: Bye.", "int3")
    >>> a = audit_transcript(p, segment(p)[1], language=False)
    >>> a.coverage, a.segments, sorted(a.speakers), a.unresolved
    (1.0, 5, ['I', 'P'], 16)
    """
    masks = coverage_of(parsed, segments)
    text = parsed.text
    seg, span, blank = masks["segment"] > 0, masks["span"], masks["blank"]
    lost = ~blank & ~seg & ~span
    if lost.any():
        at = int(np.argmax(lost))
        line = text.count("\n", 0, at) + 1
        raise CoverageError(f"{parsed.source}, line {line}: text {text[at:at + 40]!r} is in no segment "
                            "and no non-speech span (a reader bug; please report it with the file)")
    non_speech: Counter[str] = Counter()
    inside: Counter[str] = Counter()
    claimed = np.zeros(len(text), dtype=bool)
    for s in parsed.spans:
        part = slice(s.start, s.end)
        free = ~blank[part] & ~claimed[part]
        outside = free & ~seg[part]
        non_speech[s.kind] += int(outside.sum())
        inside[s.kind] += int((free & seg[part]).sum())
        claimed[part] = True
    for item in parsed.set_aside:
        non_speech[item.kind] += sum(not c.isspace() for c in item.text)
    set_aside_chars = sum(sum(not c.isspace() for c in i.text) for i in parsed.set_aside)
    in_segments = int((seg & ~blank).sum())
    unresolved = sum(sum(not c.isspace() for c in s.text) for s in segments if s.speaker is None)
    speakers = Counter(s.speaker for s in segments if s.speaker)
    turns = Counter(t.speaker for t in parsed.turns if t.speaker)
    flagged = flag_speakers(turns, _bracketed(parsed, segments), legend=parsed.legend)
    merges = suspected_merges(text, segments, set(speakers) | set(parsed.legend),
                              turn_starts={t.start for t in parsed.turns})
    audit = ImportAudit(
        transcript=parsed.name, source=parsed.source,
        characters=int((~blank).sum()) + set_aside_chars, in_segments=in_segments, unresolved=unresolved,
        non_speech={k: v for k, v in non_speech.items() if v}, inside_segments={k: v for k, v in inside.items() if v},
        segments=len(segments), speakers=dict(speakers), flagged_speakers=flagged,
        merged_turns=list(dict.fromkeys(m["segment"] for m in merges)), legend=dict(parsed.legend),
        merges=merges, known_splits=[_split_record(text, offset, segments) for offset in parsed.known_splits],
        flagged_turns={name: [s.id for s in segments if s.speaker == name][:_LISTED] for name in flagged},
    )
    if language:
        audit.language, audit.language_score = detect_language(" ".join(s.text for s in segments))
    audit.warnings = _warnings(audit)
    return audit


def flag_speakers(turns: Counter[str], bracketed: Collection[str] = (), *,
                  legend: Collection[str] = ()) -> dict[str, str]:
    """Speakers worth a look: seen in fewer than 3 turns, not in the file's legend (when it has one),
    longer than four words, or labelled in brackets (``[Ann] ...``, where a stage direction such as
    ``[Alle griner] Ja`` can pass for a speaker)."""
    out = {}
    for name, n in turns.items():
        why = [w for w, bad in (("seen once" if n == 1 else f"seen in {n} turns", n < _FEW_TURNS),
                                ("not in the legend", bool(legend) and name not in legend),
                                ("longer than four words", len(name.split()) > 4),
                                ("bracketed", name[:1] in "[(" or name in bracketed)) if bad]
        if why:
            out[name] = ", ".join(why)
    return out


def _bracketed(parsed: ParsedTranscript, segments: Sequence[Segment]) -> set[str]:
    """Speakers whose label, just before one of their segments, is written in brackets."""
    labels = sorted((s.end, s.start) for s in parsed.spans if s.kind == "speaker_label")
    ends = [end for end, _ in labels]
    out = set()
    for seg in segments:
        k = bisect.bisect_right(ends, seg.start) - 1
        if seg.speaker and k >= 0 and not parsed.text[labels[k][0]:seg.start].strip() \
                and parsed.text[labels[k][1]] in "[(":
            out.add(seg.speaker)
    return out


def suspected_merges(text: str, segments: Sequence[Segment], speakers: Collection[str], *,
                     turn_starts: Collection[int] | None = None) -> list[dict[str, Any]]:
    """Every line inside a segment (at a line start, not the first line) that starts like a turn.

    With ``turn_starts`` (where each turn's text starts), the first line of a
    segment that does not start a turn (a paragraph segment, ``--by paragraph``)
    is searched too: a label after a paragraph break is inside its turn.

    A turn of any of ``speakers`` (the transcript's speakers and legend codes)
    in any form :func:`~qdakit.io.labels.label_like` knows, with a mark after the
    name (``PARTICIPANT 33?``, ``I1.``), or a time before it, or nothing else on
    the line; or a timestamp followed by any label (an unknown speaker's turn).
    Each is ``{"segment", "offset", "line", "speaker", "text"}``: the segment id,
    where the line starts in the transcript text (character and 1-based line),
    the speaker it names and the line (80 characters at most).
    """
    known = frozenset(speakers)
    out: list[dict[str, Any]] = []
    for s in segments:
        pos = s.start
        for k, line in enumerate(s.text.split("\n")):
            offset, pos = pos, pos + len(line) + 1
            if k == 0 and (turn_starts is None or s.start in turn_starts):
                continue
            name = _label_like_name(line, known)
            if name is not None:
                out.append({"segment": s.id, "offset": offset, "line": text.count("\n", 0, offset) + 1,
                            "speaker": name, "text": line.strip()[:80]})
    return out


def _label_like_name(line: str, known: frozenset[str]) -> str | None:
    """The speaker a line inside a segment starts like a turn of, or None."""
    like = label_like(line, known)
    if like is not None and (like.mark or like.time_span is not None or not like.rest):
        return like.name
    label = match_label(line)
    if label is not None and (label.name in known or label.time is not None):
        return label.name or "?"
    bare = _BARE.match(line)
    if bare and bare["name"].strip() in known:
        return bare["name"].strip()
    if _MERGE_TIME.match(line):
        rest = match_label(_MERGE_TIME.sub("", line, count=1).lstrip() + " ")
        if rest is not None:
            return rest.name or "?"
    return None


def _split_record(text: str, offset: int, segments: Sequence[Segment]) -> dict[str, Any]:
    end = text.find("\n", offset)
    line = text[offset:end if end >= 0 else len(text)]
    k = bisect.bisect_left([s.start for s in segments], offset)  # the segment the split line starts
    speaker = segments[k].speaker if k < len(segments) else None
    return {"offset": offset, "line": text.count("\n", 0, offset) + 1, "speaker": speaker,
            "text": line.strip()[:80]}


def detect_language(text: str) -> tuple[str | None, float | None]:
    """The language of ``text`` as an ISO 639-1 code and a probability (py3langid), or (None, None)."""
    sample = text[:20000]
    if sum(c.isalpha() for c in sample) < 20:
        return None, None
    from py3langid.langid import MODEL_FILE, LanguageIdentifier
    global _IDENTIFIER
    if _IDENTIFIER is None:
        _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    lang, prob = _IDENTIFIER.classify(sample)
    return str(lang), round(float(prob), 3)


_IDENTIFIER = None

# sentence-transformers models by the languages they were trained on, as their model cards say
_MULTILINGUAL = re.compile(r"multilingual|labse|bge-m3|xlm|distiluse|(^|/)e5-.*multi|paraphrase-multi", re.I)
_ENGLISH_ONLY = re.compile(r"all-minilm|all-mpnet|all-distilroberta|msmarco|multi-qa|bge-(small|base|large)-en"
                           r"|gte-(small|base|large)$|nomic-embed-text|paraphrase-minilm|paraphrase-mpnet", re.I)


def model_covers(model: str, language: str) -> bool | None:
    """Whether an embedding model was trained on ``language`` (ISO 639-1); None if qdakit does not know.

    Examples
    --------
    >>> model_covers("sentence-transformers/all-MiniLM-L6-v2", "da")
    False
    >>> model_covers("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2", "da")
    True
    """
    if _MULTILINGUAL.search(model):
        return True
    if _ENGLISH_ONLY.search(model):
        return language == "en"
    return None


def language_warning(language: str | None, model: str | None) -> str | None:
    """A warning when the embedding ``model`` does not cover a transcript's ``language``."""
    if not language or not model or model_covers(model, language) is not False:
        return None
    return (f"the text is in {language!r} but the embedding model {model} covers English only. When most "
            "of a project's transcripts are not in English, qdakit pre-codes and clusters it with the "
            "multilingual multilingual-e5-small (qdakit.embed.E5Embedder, shipped with qdakit); otherwise pass "
            "that embedder yourself for these transcripts")


def _warnings(a: ImportAudit) -> list[str]:
    out = []
    if a.coverage < 1.0:
        out.append(f"only {a.coverage:.2%} of the text is in segments or recognised non-speech")
    if a.unresolved:
        out.append(f"{a.unresolved} characters ({a.unresolved_share:.1%}) are in segments with no speaker "
                   "(text before the first label, or no labels at all)")
    if a.merges:
        shown = "; ".join(f"{m['segment']} line {m['line']} {m['text'][:40]!r}" for m in a.merges[:3])
        out.append(f"{len(a.merges)} suspected merged turn(s): a line inside a segment starts like a turn "
                   f"({shown}{'; ...' if len(a.merges) > 3 else ''}); each is listed by `qdakit import --check`: "
                   "where one is a turn, correct its label in the file before importing it")
    elif a.merged_turns:  # an audit stored before merges were listed
        out.append(f"{len(a.merged_turns)} segment(s) contain a speaker label inside them (merged turns?): "
                   + ", ".join(a.merged_turns[:5]) + ("..." if len(a.merged_turns) > 5 else ""))
    for name, why in sorted(a.flagged_speakers.items()):
        out.append(f"speaker {name!r}: {why}")
    return out

"""From a parsed file to segments: segmentation, focus-group questions.

Applied the same way whatever the source format.

* :func:`segment` cuts a :class:`~qdakit.io.base.ParsedTranscript` into
  :class:`~qdakit.model.Segment` objects, one per speaker turn (default) or one
  per paragraph (blank-line separated) within each turn.
* :func:`assign_questions` finds, for each focus-group question in order, the
  turn that asks it (fuzzy match, the moderator's wording may differ), and marks
  every segment from there to the next question with that question's id.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
from rapidfuzz import fuzz

from qdakit.errors import ImportFormatError
from qdakit.io.base import ParsedTranscript, read_text_file
from qdakit.model import Segment, Transcript, looks_like_researcher

__all__ = ["segment", "slugify", "read_questions", "assign_questions", "QuestionMatch",
           "looks_like_researcher"]

SegmentBy = Literal["turn", "paragraph"]
_PARA = re.compile(r"\n[ \t]*\n\s*")
def slugify(name: str) -> str:
    """A stable id from a file stem: ASCII letters, digits, ``-`` and ``_``."""
    norm = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", norm).strip("-")
    return slug or "transcript"


def segment(
    parsed: ParsedTranscript,
    *,
    by: SegmentBy = "turn",
    transcript_id: str | None = None,
) -> tuple[Transcript, list[Segment]]:
    """Cut a parsed transcript into segments.

    Parameters
    ----------
    parsed : ParsedTranscript
    by : {"turn", "paragraph"}
        One segment per speaker turn, or per paragraph inside each turn.
    transcript_id : str, optional
        Defaults to :func:`slugify` of the transcript name.

    Returns
    -------
    (Transcript, list of Segment)
        Each segment satisfies ``transcript.text[s.start:s.end] == s.text``.
    """
    if by not in ("turn", "paragraph"):
        raise ValueError(f"segment by {by!r}: use 'turn' or 'paragraph'")
    tid = transcript_id or slugify(parsed.name)
    transcript = Transcript(tid, parsed.name, parsed.text, parsed.source, dict(parsed.attributes))
    segments: list[Segment] = []
    text = parsed.text
    for turn in parsed.turns:
        pieces = [(turn.start, turn.end)] if by == "turn" else _paragraphs(text, turn.start, turn.end)
        for start, end in pieces:
            start, end = _trim(text, start, end)
            if end <= start:
                continue
            n = len(segments)
            piece = turn.text if (start, end) == (turn.start, turn.end) else text[start:end]
            segments.append(Segment(id=f"{tid}#{n}", transcript_id=tid, index=n, speaker=turn.speaker,
                                    text=piece, start=start, end=end, start_time=turn.start_time,
                                    end_time=turn.end_time))
    if not segments:
        raise ImportFormatError(f"{parsed.source or parsed.name}: no text found to segment")
    return transcript, segments


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    for m in _PARA.finditer(text, start, end):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, end))
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# -- focus-group questions ------------------------------------------------------------
_QID = re.compile(r"^\s*(?:(Q\s*\d+[a-z]?|\d+[a-z]?)\s*[:.)]\s*)?(.+?)\s*$", re.I)


def read_questions(path: str | Path) -> list[tuple[str, str]]:
    """Read focus-group questions, one per line, optionally ``Q1: text`` or ``1. text``.

    Returns ``[(id, text), ...]`` in order; ids default to ``Q1``, ``Q2``, ...
    """
    text = read_text_file(path)
    out: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _QID.match(line)
        assert m is not None
        raw_id, question = m.groups()
        qid = re.sub(r"\s+", "", raw_id).upper() if raw_id else f"Q{len(out) + 1}"
        if qid[0].isdigit():
            qid = f"Q{qid}"
        if qid in seen:
            raise ImportFormatError(f"{path}, line {lineno}: question id {qid} already used at line "
                                    f"{seen[qid]}; give each question its own id")
        seen[qid] = lineno
        out.append((qid, question))
    if not out:
        raise ImportFormatError(f"{path}: no questions found; write one question per line")
    return out


@dataclass(frozen=True, slots=True)
class QuestionMatch:
    """Where a question was found: the asking segment and the match score (0-100)."""

    question: str
    segment_id: str | None
    score: float


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()


def assign_questions(
    segments: Sequence[Segment],
    questions: Sequence[tuple[str, str]],
    *,
    moderators: Sequence[str] | None = None,
    threshold: float = 60.0,
) -> tuple[list[Segment], list[QuestionMatch]]:
    """Mark each segment with the focus-group question it answers.

    Questions are asked in order. For every candidate turn (those of the
    moderators if given, else those whose speaker looks like a researcher, else
    all turns) a fuzzy score against each question is computed; a monotone
    alignment (dynamic programming) picks one asking turn per question,
    maximising the total score, so a probe that repeats words of an earlier
    question cannot steal a later one. Questions scoring below ``threshold``
    are reported unmatched and their answers stay with the previous question.

    Returns the segments with ``question`` set (None before the first question)
    and one :class:`QuestionMatch` per question.
    """
    segs = list(segments)
    mods = {m.casefold() for m in moderators} if moderators else None
    cand = [i for i, s in enumerate(segs)
            if (mods is not None and (s.speaker or "").casefold() in mods)
            or (mods is None and looks_like_researcher(s.speaker))]
    if not cand:
        cand = list(range(len(segs)))
    qtexts = [_norm(q) for _, q in questions]
    score = np.array([[_question_score(q, _norm(segs[i].text)) for i in cand] for q in qtexts])
    nq, nc = score.shape
    # best[i][j]: best total for the first i questions using candidates before j
    best = np.full((nq + 1, nc + 1), -np.inf)
    best[0, :] = 0.0
    take = np.zeros((nq + 1, nc + 1), dtype=bool)
    for i in range(1, nq + 1):
        for j in range(1, nc + 1):
            skip_cand = best[i, j - 1]
            skip_q = best[i - 1, j]  # question i unmatched
            use = best[i - 1, j - 1] + score[i - 1, j - 1] if score[i - 1, j - 1] >= threshold else -np.inf
            best[i, j] = max(skip_cand, skip_q, use)
            take[i, j] = use >= max(skip_cand, skip_q) and use > -np.inf
    chosen: dict[int, int] = {}
    i, j = nq, nc
    while i > 0 and j > 0:
        if take[i, j]:
            chosen[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif best[i, j] == best[i, j - 1]:
            j -= 1
        else:
            i -= 1
    matches = [QuestionMatch(qid, segs[cand[chosen[k]]].id if k in chosen else None,
                             float(score[k, chosen[k]]) if k in chosen else float(score[k].max(initial=0)))
               for k, (qid, _) in enumerate(questions)]
    starts = sorted((cand[j], questions[k][0]) for k, j in chosen.items())
    out, current, nxt = [], None, 0
    for idx, s in enumerate(segs):
        while nxt < len(starts) and starts[nxt][0] <= idx:
            current = starts[nxt][1]
            nxt += 1
        out.append(replace(s, question=current))
    return out, matches


def _question_score(question: str, turn: str) -> float:
    """How well a turn asks a question: the question's words found, in order, in the turn."""
    if not turn:
        return 0.0
    # partial_ratio finds the question inside a longer spoken turn; token_set_ratio
    # forgives reordering and fillers. Short turns ("thanks") are penalised by the
    # length factor so they cannot match by sharing a few words.
    partial = fuzz.partial_ratio(question, turn)
    tokens = fuzz.token_set_ratio(question, turn)
    coverage = min(1.0, len(turn) / max(1, 0.6 * len(question)))
    return float(max(partial, tokens) * coverage)

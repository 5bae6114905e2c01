"""Helpers shared by the tests (importable as ``support``)."""

from __future__ import annotations

from pathlib import Path

from qdakit import Segment, Transcript
from qdakit.io.base import ParsedTranscript

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "study"
SHARED_DATA = ROOT.parent / "shared" / "data"


def make_transcript(tid: str, turns: list[tuple[str, str]]) -> tuple[Transcript, list[Segment]]:
    """A transcript 'Speaker: text' per turn, with exact segment offsets."""
    parts, segs, pos = [], [], 0
    for i, (speaker, text) in enumerate(turns):
        prefix = ("\n\n" if i else "") + f"{speaker}: "
        parts.append(prefix + text)
        start = pos + len(prefix)
        segs.append(Segment(f"{tid}#{i}", tid, i, speaker, text, start, start + len(text)))
        pos = start + len(text)
    return Transcript(tid, tid, "".join(parts), source=f"{tid}.txt"), segs


def write_file(tmp_path: Path, content: str, name: str) -> Path:
    """Write a UTF-8 fixture file into ``tmp_path``."""
    p = tmp_path / name
    p.write_text(content, encoding="utf-8")
    return p


def turns_of(parsed: ParsedTranscript) -> list[tuple[str | None, str]]:
    """(speaker, text) of every turn, after checking the offsets reproduce the text."""
    parsed.check()
    return [(t.speaker, t.text) for t in parsed.turns]

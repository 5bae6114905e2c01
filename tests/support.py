"""Helpers shared by the tests (importable as ``support``)."""

from __future__ import annotations

from pathlib import Path

from qdakit import Code, Codebook, Project, Segment, Transcript
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


# a small partnership study: 4 transcripts, each an interviewer asking and P<k> answering TALK
TALK = ["we meet every month and email the minutes", "the funding was cut and staff time is short",
        "the council chairs and leads the meetings", "we share news at the monthly meeting",
        "money from the grant pays for a coordinator", "nobody really leads, the chair rotates"]
CODES = ["Communication", "Balance of resources", "Clear leadership"]


def partnership_project(path: Path, n_transcripts: int = 4) -> Project:
    """A new project with the TALK transcripts t0..t<n-1> and a three-code codebook; no codings."""
    p = Project.create(path)
    items = []
    for k in range(n_transcripts):
        turns: list[tuple[str, str]] = []
        for i, text in enumerate(TALK):
            turns += [("Interviewer", f"question {i}?"), (f"P{k}", f"{text} ({k})")]
        items.append(make_transcript(f"t{k}", turns))
    p.add_transcripts(items)
    p.load_codebook(Codebook([Code("Communication", description="meet, email, minutes, news, meeting"),
                              Code("Balance of resources", description="funding, money, staff time, grant"),
                              Code("Clear leadership", description="chair, leads, leadership")]))
    return p


def code_transcripts(p: Project, transcripts: range | tuple[int, ...], coder: str = "JR") -> None:
    """``coder`` codes every participant turn of the given transcripts with its topic's code."""
    for k in transcripts:
        for i, code in enumerate([0, 1, 2, 0, 1, 2]):
            p.code(f"t{k}#{2 * i + 1}", CODES[code], coder)


# -- batch pre-coding (tests/batch) ------------------------------------------------------
#: suggester settings of the batch tests (few examples, two folds)
BATCH_PARAMS = {"min_examples": 3, "zero_shot_min_similarity": 0.0, "cv": 2}


def make_project(path: Path, *, coded: bool = True) -> Project:
    p = partnership_project(path)
    if coded:
        code_transcripts(p, range(4))
    return p


def write_batch(folder: Path, n: int = 8, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for k in range(start, start + n):
        turns = [f"Interviewer: question {i} about your partnership?\n\nR{k}: {text}, said respondent {k}"
                 for i, text in enumerate(TALK)]
        f = folder / f"b{k:03d}.txt"
        f.write_text("\n\n".join(turns) + "\n", encoding="utf-8")
        out.append(f)
    return out


def stored(p: Project, model: str) -> set[tuple[str, str, float]]:
    s = p.suggestions()
    s = s[s["model"] == model]
    return {(r.segment_id, r.code, round(r.score, 6)) for r in s.itertuples()}


# -- anonymiser (tests/analysis) ----------------------------------------------------------
class _Ent:
    def __init__(self, text, start, label):
        self.text, self.start_char, self.end_char, self.label_ = text, start, start + len(text), label


class _Doc:
    def __init__(self, ents):
        self.ents = ents


class FakeNLP:
    """A stand-in spaCy pipeline: tags every occurrence of the given strings with the given label."""

    def __init__(self, names):
        self.names = names

    def __call__(self, text):
        ents = []
        for name, label in self.names.items():
            start = text.find(name)
            while start != -1:
                ents.append(_Ent(name, start, label))
                start = text.find(name, start + len(name))
        return _Doc(sorted(ents, key=lambda e: e.start_char))

    def pipe(self, texts, batch_size=64):
        return (self(t) for t in texts)


_FUNDING = "funding budget grant money cuts council finance pot".split()
_MEETINGS = "meeting steering agenda minutes monthly chair room town".split()


def proposals_study(path: Path) -> Project:
    """Funding and meeting passages: 'budget' and 'money' on the same funding passages (near-duplicates),
    'partnership' on all of them (too broad); ``qdakit themes``' listing with its merge and split proposals saved."""
    import numpy as np

    from qdakit.embed import FakeEmbedder
    from qdakit.themes import fit_project_themes
    from qdakit.themes.project_themes import save_themes, themes_path

    rng = np.random.default_rng(0)
    turns: dict[str, list[tuple[str, str]]] = {}
    topic_of = {}
    for topic, pool in (("funding", _FUNDING), ("meetings", _MEETINGS)):
        for i in range(9):
            text = " ".join(["we", "said", *rng.choice(pool, size=6, replace=False)])
            who = f"P{i % 3}"
            turns.setdefault(who, []).append(("Interviewer", "Tell me more?"))
            turns[who].append((f"Speaker{who}", text))
            topic_of[text] = topic
    p = Project.create(path)
    p.add_transcripts([make_transcript(who, t) for who, t in turns.items()])
    p.load_codebook(Codebook([Code("partnership"), Code("budget"), Code("money"), Code("agenda")]))
    for s in p.iter_segments():
        topic = topic_of.get(s.text)
        if topic is None:
            continue
        p.code(s.id, "partnership", "JR")
        if topic == "funding":
            p.code(s.id, "budget", "JR")
            p.code(s.id, "money", "AB", start=s.start, end=s.start + 2)
        else:
            p.code(s.id, "agenda", "JR")
    tc = fit_project_themes(p, of="codes", embedder=FakeEmbedder(dim=256))
    save_themes(themes_path(p.path), tc, merges=tc.propose_merges(), splits=tc.propose_splits())
    return p

"""What to code next: the orders of qdakit.suggest.active, their reasons, and the project's review queue."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from typer.testing import CliRunner

from qdakit import Code, Codebook
from qdakit.cli import app
from qdakit.embed import FakeEmbedder
from qdakit.suggest import CodeSuggester, SuggesterWarning
from qdakit.suggest.active import DEFAULT_STRATEGY, STRATEGIES, next_segments
from qdakit.suggest.review_queue import READY_KAPPA, review_order
from support import CODES, code_transcripts, partnership_project

WORDS = {"meetings": "meeting agenda minutes monthly", "funding": "money budget grant salary",
         "leadership": "leader vision direction steer"}
CODEBOOK = Codebook([Code(c, description=w) for c, w in WORDS.items()])


def _data(n_transcripts: int = 6, per: int = 12) -> tuple[pd.DataFrame, dict[str, str]]:
    """Segments cycling through the three topics (every third one about leadership), and their topic."""
    segs, topic = [], {}
    names = list(WORDS)
    for t in range(n_transcripts):
        for i in range(per):
            code = names[(t + i) % 3]
            sid = f"t{t}#{i}"
            segs.append({"id": sid, "transcript_id": f"t{t}", "index": i,
                         "text": f"{WORDS[code].split()[i % 4]} we said {i} in {t}"})
            topic[sid] = code
    return pd.DataFrame(segs), topic


def _fit(segs: pd.DataFrame, coded: list[str], topic: dict[str, str], drop: str | None = None) -> CodeSuggester:
    cods = pd.DataFrame([(s, topic[s]) for s in coded if topic[s] != drop], columns=["segment_id", "code"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuggesterWarning)
        return CodeSuggester(FakeEmbedder(), negatives="segment", cv=2).fit(segs, CODEBOOK, cods)


@pytest.fixture(scope="module")
def fitted() -> tuple[CodeSuggester, pd.DataFrame, dict[str, str], list[str]]:
    segs, topic = _data()
    coded = [f"t0#{i}" for i in range(12)] + [f"t1#{i}" for i in range(5)]  # t1 is coded up to its 5th turn
    return _fit(segs, coded, topic), segs, topic, coded


def test_in_order_continues_where_the_coding_stopped(fitted):
    s, segs, _, coded = fitted
    picks = next_segments(s, segs, 10, strategy="in_order")
    assert [p.segment_id for p in picks] == [f"t1#{i}" for i in range(5, 12)] + ["t2#0", "t2#1", "t2#2"]
    assert picks[0].why == "next in transcript t1"


def test_transcript_finishes_the_one_in_progress_then_codes_whole_transcripts_in_order(fitted):
    s, segs, _, coded = fitted
    picks = next_segments(s, segs, 20, strategy="transcript")
    ids = [p.segment_id for p in picks]
    assert ids[:7] == [f"t1#{i}" for i in range(5, 12)] and "continues transcript t1" in picks[0].why
    nxt = picks[7].transcript_id
    assert nxt not in ("t0", "t1") and ids[7:19] == [f"{nxt}#{i}" for i in range(12)]
    assert "least sure" in picks[7].why


def test_uncertain_is_rank_for_coding_with_reasons(fitted):
    s, segs, _, coded = fitted
    picks = next_segments(s, segs, 8, strategy="uncertain")
    assert [p.segment_id for p in picks] == s.rank_for_coding(segs, 8)
    assert not {p.segment_id for p in picks} & set(coded)
    assert all(p.why.startswith("near the threshold of ") and " and " in p.why for p in picks)


def test_rare_looks_first_for_the_code_without_examples():
    segs, topic = _data()
    coded = [f"t0#{i}" for i in range(12)] + [f"t1#{i}" for i in range(12)]
    s = _fit(segs, coded, topic, drop="leadership")  # leadership: no coding at all, zero-shot only
    picks = next_segments(s, segs, 6, strategy="rare")
    about = [topic[p.segment_id] for p in picks]
    assert about.count("leadership") >= 4, about  # a third of the segments are about it
    assert any("may hold leadership (0 examples, needs 3)" == p.why for p in picks)
    assert about.count("leadership") > [topic[i] for i in s.rank_for_coding(segs, 6)].count("leadership")


def test_strategies_validate_and_never_pick_what_is_coded(fitted):
    s, segs, _, coded = fitted
    assert DEFAULT_STRATEGY in STRATEGIES
    for strategy in STRATEGIES:
        picks = next_segments(s, segs, 15, strategy=strategy)
        ids = [p.segment_id for p in picks]
        assert len(ids) == len(set(ids)) == 15 and not set(ids) & set(coded), strategy
        assert all(p.why for p in picks)
        assert next_segments(s, segs, 0, strategy=strategy) == []
    with pytest.raises(ValueError, match="strategy='newest'; use one of 'in_order'"):
        next_segments(s, segs, 3, strategy="newest")


def test_review_order_says_why_and_how_far_the_machine_is(tmp_path):
    p = partnership_project(tmp_path / "p.qdakit")
    code_transcripts(p, (0, 1))
    p.code("t2#1", CODES[0], "JR")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuggesterWarning)
        order = review_order(p, 4, strategy="in_order", embedder=FakeEmbedder(dim=64))
    assert order.strategy == "in_order"
    assert order.segments["id"].tolist() == ["t2#3", "t2#5", "t2#7", "t2#9"]  # participant turns after t2#1
    assert (order.segments["why"] == "next in transcript t2").all()
    assert set(order.agreement.index) == set(CODES) and "cv_kappa" in order.agreement
    assert order.ready[1] == 3 and order.ready[0] == int((order.agreement["cv_kappa"] >= READY_KAPPA).sum())
    assert order.needs[-1].startswith(f"{order.ready[0]} of 3 codes agree with the coders")
    default = review_order(p, 4, embedder=FakeEmbedder(dim=64))
    assert default.strategy == DEFAULT_STRATEGY and len(default.segments) == 4


def test_review_order_names_the_codes_below_their_minimum(tmp_path):
    p = partnership_project(tmp_path / "p.qdakit")
    p.code("t0#1", CODES[0], "JR")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuggesterWarning)
        order = review_order(p, 3, embedder=FakeEmbedder(dim=64))
    assert order.needs[0] == f"3 codes have fewer than 3 examples: {', '.join(CODES)}"
    assert order.agreement["cv_kappa"].isna().all() and order.ready == (0, 3)


def test_cli_next_prints_the_order_the_reasons_and_the_kappa_per_code(tmp_path, monkeypatch):
    from qdakit.suggest import precode as precode_module

    path = tmp_path / "p.qdakit"
    p = partnership_project(path)
    code_transcripts(p, (0, 1))
    p.close()
    monkeypatch.setattr(precode_module, "default_embedder", lambda project, device="cpu": FakeEmbedder(dim=64))
    r = CliRunner().invoke(app, ["next", "-n", "3", "--strategy", "in_order", "-p", str(path)], terminal_width=250)
    assert r.exit_code == 0, r.output
    assert "Code these next (in_order)" in r.output and "next in transcript t2" in r.output
    assert "t2#1" in r.output and "t2#5" in r.output and "t2#7" not in r.output
    assert "How far the machine is from the coders" in r.output
    assert "of 3 codes agree with the coders at kappa >= 0.6 in cross-validation" in r.output
    for code in CODES:
        assert code in r.output
    r = CliRunner().invoke(app, ["next", "--strategy", "newest", "-p", str(path)], terminal_width=250)
    assert r.exit_code == 2 and "'newest'; use one of in_order" in r.output

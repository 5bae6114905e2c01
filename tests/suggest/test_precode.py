"""Pre-coding on a project: resumable, checkpointed, and never touching human codings."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdakit import CodingError, Project
from qdakit.embed import FakeEmbedder
from qdakit.suggest.precode import accept_above, fit_suggester, next_to_code, precode
from support import CODES, code_transcripts, partnership_project


def _project(path):
    return partnership_project(path)


def _code_two_transcripts(p):
    code_transcripts(p, (0, 1))


def test_precode_stores_suggestions_and_resumes(tmp_path):
    p = _project(tmp_path / "p.qdakit")
    _code_two_transcripts(p)
    emb = FakeEmbedder(dim=128)
    seen = []
    report = precode(p, embedder=emb, chunk_size=4, progress=lambda done, total: seen.append((done, total)))
    assert report.segments == 12 and report.done == 12 and report.skipped == 0  # t2, t3 participant turns
    assert seen[-1] == (12, 12) and len(seen) == 1 + 3
    sugg = p.suggestions()
    assert len(sugg) == report.suggestions > 0
    assert set(sugg["segment_id"].str.split("#").str[0]) <= {"t2", "t3"}
    again = precode(p, embedder=emb, chunk_size=4)
    assert again.model == report.model and again.skipped == 12 and again.done == 0
    assert len(p.suggestions()) == len(sugg)  # nothing suggested twice


def test_interrupted_run_keeps_finished_chunks(tmp_path):
    p = _project(tmp_path / "p.qdakit")
    _code_two_transcripts(p)
    emb = FakeEmbedder(dim=128)

    def stop_after_first_chunk(done, total):
        if done >= 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        precode(p, embedder=emb, chunk_size=4, progress=stop_after_first_chunk)
    model = fit_suggester(p, embedder=emb).model_id_
    assert len(p.precoded(model)) == 4
    resumed = precode(p, embedder=emb, chunk_size=4)
    assert resumed.skipped == 4 and resumed.done == 8


def test_next_to_code_excludes_coded_and_researcher_turns(tmp_path):
    p = _project(tmp_path / "p.qdakit")
    _code_two_transcripts(p)
    rows = next_to_code(p, 5, embedder=FakeEmbedder(dim=128))
    assert len(rows) == 5 and rows["id"].is_unique
    assert not rows["id"].str.startswith(("t0#", "t1#")).any()
    assert not rows["is_researcher"].any()


def test_bulk_accept_needs_a_coder_and_a_score(tmp_path):
    p = _project(tmp_path / "p.qdakit")
    _code_two_transcripts(p)
    precode(p, embedder=FakeEmbedder(dim=128))
    with pytest.raises(CodingError, match="name of the human coder"):
        accept_above(p, coder="", min_score=0.5)
    with pytest.raises(CodingError, match="min_score"):
        accept_above(p, coder="JR", min_score=0)
    top = p.suggestions()["score"].max()
    accepted = accept_above(p, coder="SM", min_score=top)
    assert accepted and all(c.coder == "SM" for c in accepted)
    assert set(p.suggestions(status="accepted")["decided_by"]) == {"SM"}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5), st.sampled_from(CODES),
                          st.sampled_from(["JR", "SM"])), min_size=1, max_size=25),
       st.integers(0, 3))
def test_no_machine_operation_changes_human_codings(tmp_path_factory, codings, n_recodes):
    """Property: fitting, pre-coding, ranking and agreement never change or remove a human coding."""
    import warnings

    from qdakit.agreement.reliability import agreement
    from qdakit.errors import UndefinedStatisticWarning
    from qdakit.suggest import SuggesterWarning
    from qdakit.suggest.crossval import project_machine_codings

    p = _project(tmp_path_factory.mktemp("prop") / "p.qdakit")
    made = [p.code(f"t{t}#{2 * i + 1}", code, coder) for t, i, code, coder in codings]
    distinct = list({c.id: c for c in made}.values())  # coding the same thing twice returns the one coding
    for c in distinct[:n_recodes]:  # some human history too
        p.recode(c.id, CODES[0], c.coder)
    before = p.codings(history=True)
    with warnings.catch_warnings():  # random codings make poor training data; that is not the point here
        warnings.simplefilter("ignore", SuggesterWarning)
        warnings.simplefilter("ignore", UndefinedStatisticWarning)
        suggester = fit_suggester(p, embedder=FakeEmbedder(dim=64), cv=2)
        precode(p, suggester=suggester, chunk_size=5)
        next_to_code(p, 3, suggester=suggester)
        if len(set(p.codings()["transcript_id"])) >= 2:  # the machine coder needs two coded transcripts
            project_machine_codings(p, embedder=FakeEmbedder(dim=64), n_splits=2, cv=2)
            agreement(p, [p.codings()["coder"].iloc[0], "machine"], units="coded_by_any")
    assert p.codings(history=True).equals(before)
    p.close()


def _cli_project(tmp_path, monkeypatch):
    """A project with two coded transcripts, and the CLI using the fake embedder."""
    from typer.testing import CliRunner

    from qdakit import cli
    from qdakit.suggest import precode as precode_module

    path = tmp_path / "p.qdakit"
    p = _project(path)
    _code_two_transcripts(p)
    p.close()
    monkeypatch.setattr(precode_module, "default_embedder", lambda project, device="cpu": FakeEmbedder(dim=128))
    return CliRunner(), cli.app, path


def _review_order(pending):
    """Suggestions in the order review shows them: segments in natural order (t2#5 before t2#11), best first."""
    parts = pending["segment_id"].str.rsplit("#", n=1)
    return pending.assign(_t=parts.str[0], _i=parts.str[1].astype(int)).sort_values(
        ["_t", "_i", "score"], ascending=[True, True, False])


def test_cli_precode_suggestions_review(tmp_path, monkeypatch):
    runner, app, path = _cli_project(tmp_path, monkeypatch)
    r = runner.invoke(app, ["precode", "-p", str(path), "--chunk-size", "5", "--min-similarity", "0"])
    assert r.exit_code == 0, r.output
    assert "Pre-coded 12 segments" in r.output and "How each code is suggested" in r.output
    r = runner.invoke(app, ["suggestions", "-p", str(path), "-n", "3"])
    assert r.exit_code == 0 and "Pending suggestions" in r.output
    with Project.open(path) as q:
        n_pending = len(q.suggestions(status="pending"))
        first_two = _review_order(q.suggestions(status="pending"))["id"].tolist()[:2]
    assert n_pending >= 2
    r = runner.invoke(app, ["review", "-p", str(path), "--coder", "AB"], input="a\nr\nq\n")
    assert r.exit_code == 0, r.output
    assert "2 decisions saved as AB" in r.output
    with Project.open(path) as q:
        s = q.suggestions().set_index("id")
        assert s.loc[first_two[0], "status"] == "accepted" and s.loc[first_two[1], "status"] == "rejected"
        assert (q.codings()["coder"] == "AB").sum() == 1


def test_cli_suggest_explain_and_next(tmp_path, monkeypatch):
    runner, app, path = _cli_project(tmp_path, monkeypatch)
    r = runner.invoke(app, ["suggest", "t2#1", "--explain", "-p", str(path)])
    assert r.exit_code == 0, r.output
    assert "t2#1" in r.output and "Why each code scores" in r.output and "Communication" in r.output
    r = runner.invoke(app, ["next", "-n", "3", "-p", str(path)])
    assert r.exit_code == 0, r.output
    assert "Code these next" in r.output and r.output.count("t2#") + r.output.count("t3#") >= 3


def test_rerunning_precode_supersedes_and_never_duplicates_pending_suggestions(tmp_path):
    p = _project(tmp_path / "p.qdakit")
    _code_two_transcripts(p)
    emb = FakeEmbedder(dim=128)
    first = precode(p, embedder=emb, zero_shot_min_similarity=0.0)
    again = precode(p, embedder=emb, zero_shot_min_similarity=0.0, target_precision=0.5)  # another model
    assert again.model != first.model and again.done == 12
    pending = p.suggestions(status="pending")
    assert not pending.duplicated(["segment_id", "code"]).any()
    assert set(pending["model"]) <= {again.model}
    old = p.suggestions(status="superseded")
    assert len(old) == first.suggestions == again.superseded and set(old["model"]) == {first.model}
    # the superseded ones are kept, not reviewable, and bulk accept leaves them alone
    assert len(p.suggestions()) == first.suggestions + again.suggestions
    added = accept_above(p, coder="JR", min_score=0.01)
    assert len(added) == len(pending)
    assert not p.codings().duplicated(["segment_id", "code", "coder"]).any()


def test_reviewed_segments_are_negatives_and_not_precoded(tmp_path):
    p = _project(tmp_path / "p.qdakit")
    _code_two_transcripts(p)
    plain = fit_suggester(p, embedder=FakeEmbedder(dim=64), cv=2)
    assert plain.negative_rule_.startswith("transcript") and "reviewed" not in plain.negative_rule_
    p.mark_reviewed(["t2#1", "t2#3"], "JR")  # read: no code applies
    marked = fit_suggester(p, embedder=FakeEmbedder(dim=64), cv=2)
    assert "2 segments marked reviewed" in marked.negative_rule_
    assert marked.reviewed_ids_ == {"t2#1", "t2#3"} and marked.model_id_ != plain.model_id_
    report = precode(p, suggester=marked)
    assert report.segments == 10  # t2 and t3's 12 participant turns, less the two read ones
    assert not set(p.suggestions()["segment_id"]) & {"t2#1", "t2#3"}
    # nor are they offered for coding next, and a fit for chosen transcripts keeps them as negatives
    assert not set(next_to_code(p, 20, suggester=marked)["id"]) & {"t2#1", "t2#3"}
    chosen = fit_suggester(p, embedder=FakeEmbedder(dim=64), cv=2, transcripts=["t3"])
    assert chosen.reviewed_ids_ == {"t2#1", "t2#3"}


def test_status_does_not_count_superseded_suggestions_as_pending(tmp_path):
    p = _project(tmp_path / "p.qdakit")
    _code_two_transcripts(p)
    emb = FakeEmbedder(dim=128)
    precode(p, embedder=emb, zero_shot_min_similarity=0.0)
    precode(p, embedder=emb, zero_shot_min_similarity=0.0, target_precision=0.5)  # supersedes the first run
    assert p.summary()["suggestions_pending"] == len(p.suggestions(status="pending"))


class _CountingEmbedder(FakeEmbedder):
    """A FakeEmbedder that records every text it embeds."""

    def __init__(self) -> None:
        super().__init__(dim=128)
        self.seen: list[str] = []

    def encode(self, texts, *, batch_size=None, show_progress=False):
        self.seen += list(texts)
        return super().encode(texts, batch_size=batch_size, show_progress=show_progress)


def test_precode_of_chosen_transcripts_embeds_only_what_it_needs(tmp_path):
    p = partnership_project(tmp_path / "p.qdakit", n_transcripts=5)
    _code_two_transcripts(p)  # t0, t1 coded; t2, t3, t4 not
    emb = _CountingEmbedder()
    report = precode(p, embedder=emb, transcripts=["t3"])
    assert report.segments == 6 and report.done == 6 and report.fit_seconds > 0
    assert report.seconds >= report.fit_seconds
    sources = {t.rsplit("(", 1)[-1].rstrip(")") for t in emb.seen if t.endswith(")")}
    assert sources == {"0", "1", "3"}  # the coded transcripts and the chosen one; never t2 or t4
    assert set(p.suggestions()["segment_id"].str.split("#").str[0]) <= {"t3"}


def test_cli_fine_tune_refuses_an_encoder_it_cannot_train_in_one_line(tmp_path, monkeypatch, capsys):
    import sys

    from qdakit.cli import main

    _, _, path = _cli_project(tmp_path, monkeypatch)  # the fake embedder is no sentence-transformers model
    monkeypatch.setattr(sys, "argv", ["qdakit", "precode", "-p", str(path), "--fine-tune"])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err
    assert exit_.value.code == 1
    lines = [x for x in err.splitlines() if x.startswith("error:")]
    assert len(lines) == 1 and "cannot be fine-tuned" in err and "without --fine-tune" in err
    assert "Traceback" not in err
    with Project.open(path) as q:
        assert q.suggestions().empty  # nothing written


def test_fine_tuning_needs_human_codings(tmp_path):
    from qdakit.embed.finetune import FineTuneError
    from qdakit.suggest.precode import fine_tuned_project_embedder

    p = _project(tmp_path / "p.qdakit")
    with pytest.raises(FineTuneError, match="no human codings"):
        fine_tuned_project_embedder(p, show_progress=False)
    p.close()


@pytest.mark.realmodel
def test_cli_precode_with_a_fine_tuned_encoder_saves_and_reuses_it(tmp_path):
    from typer.testing import CliRunner

    from qdakit import cli
    from qdakit.suggest.precode import fine_tuned_project_embedder

    path = tmp_path / "p.qdakit"
    p = _project(path)
    _code_two_transcripts(p)
    tuned = fine_tuned_project_embedder(p, show_progress=False)
    assert "+ft-" in tuned.model_id
    saved = tmp_path / "p.qdakit.finetuned" / tuned.model_id.split("+")[-1]
    assert (saved / "config.json").exists()
    again = fine_tuned_project_embedder(p, show_progress=False)
    assert again.model_id == tuned.model_id and not again.embedder.loaded  # found on disk, not trained again
    p.close()
    r = CliRunner().invoke(cli.app, ["precode", "-p", str(path), "--fine-tune", "--no-verdict"])
    assert r.exit_code == 0, r.output
    assert "Encoder ready" in r.output and tuned.model_id in r.output
    assert "saved fine-tuning reused" in r.output  # trained above with the same codings
    with Project.open(path) as q:
        models = set(q.suggestions()["model"])
    assert models and all(tuned.model_id in m for m in models)  # every suggestion made with the fine-tuned encoder


def test_cli_precode_with_a_model_that_cannot_load_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    import sys

    from qdakit.cli import main

    _, _, path = _cli_project(tmp_path, monkeypatch)
    missing = tmp_path / "no-such-model"
    monkeypatch.setattr(sys, "argv", ["qdakit", "precode", "-p", str(path), "--model", str(missing)])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err
    assert exit_.value.code == 1 and "Traceback" not in err
    assert [x for x in err.splitlines() if x.startswith("error:")]
    assert "could not load the sentence-transformers model" in err and "no-such-model" in err
    with Project.open(path) as q:
        assert q.suggestions().empty


@pytest.mark.realmodel
def test_cli_precode_embeds_with_the_model_the_user_names(tmp_path):
    from typer.testing import CliRunner

    from qdakit import cli
    from qdakit.embed.sentence import default_model_path

    path = tmp_path / "p.qdakit"
    p = _project(path)
    _code_two_transcripts(p)
    p.close()
    folder = str(default_model_path())  # the bundled model, named by its folder as a user would name theirs
    r = CliRunner().invoke(cli.app, ["precode", "-p", str(path), "--model", folder, "--no-verdict"])
    assert r.exit_code == 0, r.output
    with Project.open(path) as q:
        models = set(q.suggestions()["model"])
    assert models and all(folder in m for m in models)


def test_the_model_named_e5_is_the_bundled_multilingual_encoder(tmp_path):
    from qdakit.embed.e5 import E5Embedder
    from qdakit.embed.sentence import SentenceTransformerEmbedder
    from qdakit.suggest.precode import named_embedder

    p = _project(tmp_path / "p.qdakit")
    try:
        for name in ("e5", " E5 ", "multilingual-e5-small"):
            assert isinstance(named_embedder(p, name).embedder, E5Embedder)
        other = named_embedder(p, "some/folder").embedder
        assert isinstance(other, SentenceTransformerEmbedder) and other.model == "some/folder"
    finally:
        p.close()


def test_segments_coded_while_precode_runs_get_no_suggestions(tmp_path):
    """Issue 28: precode beside a codings import left pending suggestions on segments coded meanwhile.

    Decided: a segment a human coded (or read) before its chunk is written is theirs, as at fit
    time; the run adds nothing there and counts it. (A suggestion stored before the coding
    arrived stays pending: the coding of one code does not answer the suggestion of another.)
    """
    p = _project(tmp_path / "p.qdakit")
    _code_two_transcripts(p)
    emb = FakeEmbedder(dim=128)
    fitted = fit_suggester(p, embedder=emb)
    code = next(iter(p.codebook)).name
    raced: list[str] = []

    class Beside:  # the fitted suggester, with a codings import landing while it scores the first chunk
        def __getattr__(self, name):
            return getattr(fitted, name)

        def suggest(self, chunk, **kwargs):
            out = fitted.suggest(chunk, **kwargs)
            if not raced:
                raced.extend(chunk["id"].tolist()[:2])
                with Project.open(p.path) as other:
                    other.code(raced[0], code, "JR")
                    other.mark_reviewed([raced[1]], "SM")
            return out

    report = precode(p, suggester=Beside(), chunk_size=4)
    pending = p.suggestions(status="pending")
    assert report.coded_meanwhile == 2 and not pending["segment_id"].isin(raced).any()
    assert report.suggestions == len(pending) > 0
    assert precode(p, suggester=fitted, chunk_size=4).done == 0  # the chunk is checkpointed all the same

"""Commands for machine suggestions: ``precode``, ``suggestions``, ``suggest``, ``next``, ``accept`` and
``review`` (the only way a suggestion becomes a coding: a named human accepts it).
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from qdakit.cli.app import _fmt, _open, _print_frame, _progress, app
from qdakit.cli.common import (
    DEFAULT_PROJECT,
    ProjectOpt,
    console,
    err,
    print_notes,
)
from qdakit.errors import CodingError


@app.command()
def precode(
    project: ProjectOpt = DEFAULT_PROJECT,
    transcript: Annotated[Optional[list[str]], typer.Option(help="Only these transcripts (repeatable).")] = None,
    target_precision: Annotated[Optional[float], typer.Option(
        help="Aim each code's threshold at this precision (few, sure suggestions). Default: the threshold "
             "that agreed best with the human coder in cross-validation.")] = None,
    min_examples: Annotated[int, typer.Option(help="Codings a code needs before it is learned.")] = 3,
    top_k: Annotated[Optional[int], typer.Option(
        help="At most this many suggestions per segment. Default: every code above its threshold.")] = None,
    chunk_size: Annotated[int, typer.Option(help="Segments per checkpoint.")] = 256,
    device: Annotated[str, typer.Option(help="cpu, cuda or mps for the embedding model.")] = "cpu",
    min_similarity: Annotated[Optional[float], typer.Option(
        help="Codes not yet learned from codings are suggested only above this cosine to their definition "
             "(default: no floor; their calibrated score decides).")] = None,
    verdict: Annotated[bool, typer.Option(
        "--verdict/--no-verdict", help="Judge each code's machine coding against the human coders (cross-"
                                       "validated by transcript: a few more fits).")] = True,
    model: Annotated[Optional[str], typer.Option(
        help="Embed with this model instead of the default: e5 (the bundled multilingual-e5-small), or a "
             "sentence-transformers model (a local folder, or a model already in the Hugging Face cache; "
             "nothing is downloaded).")] = None,
    fine_tune: Annotated[bool, typer.Option(
        "--fine-tune/--no-fine-tune", help="First fine-tune the encoder on the human codings (SetFit-style; "
        "minutes of CPU for a few hundred coded segments; saved next to the project and reused while the "
        "codings are unchanged). Opt-in: measured to help on one data set.")] = False,
) -> None:
    """Suggest codes for every segment no human has coded: resumable after interruption.

    This pre-codes transcripts already in the project. To import and pre-code many
    files at once (with the fast embedders, or on a Dask cluster), use qdakit batch.
    """
    import time
    import warnings

    from qdakit.suggest.precode import default_embedder, fine_tuned_project_embedder, fit_suggester, named_embedder
    from qdakit.suggest.precode import precode as run

    stage = ["fitting"]  # what a Ctrl-C interrupts
    try:
        with _open(project) as p, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            started = time.perf_counter()
            embedder = default_embedder(p, device=device) if model is None else named_embedder(p, model, device=device)
            if fine_tune:
                err.print("Fine-tuning the encoder on the human codings ...", soft_wrap=True)
                embedder = fine_tuned_project_embedder(p, device=device, model=model)
                how = ("fine-tuned and saved next to the project" if embedder.embedder.loaded
                       else "the saved fine-tuning reused: the codings are unchanged")
                err.print(f"Encoder ready in {time.perf_counter() - started:.1f} s ({how}): {embedder.model_id}",
                          soft_wrap=True, highlight=False)
            err.print("Fitting the suggester on the human codings"
                      + (f" and embedding {len(transcript)} chosen transcript(s) ..." if transcript else " ..."))
            suggester = fit_suggester(p, embedder=embedder, transcripts=transcript,
                                      target_precision=target_precision, min_examples=min_examples,
                                      zero_shot_min_similarity=min_similarity, verbose=True)
            fit_seconds = time.perf_counter() - started
            suggester.set_params(verbose=False)  # the pre-coding bar below counts the rest
            with _progress() as bar:
                task = bar.add_task("Pre-coding", total=None)

                def step(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                stage[0] = "pre-coding"
                report = run(p, suggester=suggester, transcripts=transcript, top_k=top_k, chunk_size=chunk_size,
                             progress=step)
    except KeyboardInterrupt:
        saved = ("the segments pre-coded so far are saved; run the same command again to resume where it stopped"
                 if stage[0] == "pre-coding" else "nothing was written; run the same command again to start over")
        err.print(f"[bold yellow]interrupted[/bold yellow] while {stage[0]}: {saved}.", highlight=False,
                  soft_wrap=True)
        raise typer.Exit(130) from None
    print_notes(caught)
    if not report.code_report.empty:
        frame = report.code_report.reset_index()
        cols = ["code", "mode", "positives", "transcripts", "threshold", "cv_precision", "cv_recall", "cv_kappa",
                "vs humans", "note"]
        if verdict:
            frame = frame.merge(_verdicts(project, device, model, dict(target_precision=target_precision,
                                                                min_examples=min_examples,
                                                                zero_shot_min_similarity=min_similarity)),
                                on="code", how="left")
        _print_frame(frame[[c for c in cols if c in frame.columns]], title="How each code is suggested")
        if "vs humans" in frame.columns:
            console.print("[dim]vs humans: the machine's cross-validated codings judged against the human coders "
                          "(! = guessing, below the humans, never applied or applied by the machine alone; "
                          "details: qdakit agree -c NAME -c machine)"
                          + (", with the encoder before fine-tuning: one fine-tuned on every coding would have "
                             "seen the held-out ones" if fine_tune else "") + ".[/dim]")
    if getattr(suggester, "negative_rule_", None):
        console.print(f"[dim]Negatives: {suggester.negative_rule_}.[/dim]", highlight=False)
    if report.superseded:
        console.print(f"{report.superseded} pending suggestions of earlier models on these segments were "
                      "superseded (kept, not shown for review).")
    console.print(f"Pre-coded {report.done} segments ({report.skipped} already done) with {report.model}: "
                  f"{report.suggestions} suggestions; fitting took {fit_seconds:.1f} s, pre-coding "
                  f"{report.seconds:.1f} s, {time.perf_counter() - started:.1f} s in all. Review them with "
                  "[cyan]qdakit review --coder NAME[/cyan].")


def _verdicts(project, device: str, model: str | None, params: dict):  # noqa: ANN001, ANN202 - Path, DataFrame
    """code -> verdict of the machine against the human coders ('' where it cannot be judged yet)."""
    import warnings

    import pandas as pd

    from qdakit.agreement.verdict import UNFLAGGED
    from qdakit.analysis.machine import machine_vs_humans
    from qdakit.suggest.precode import default_embedder, named_embedder

    with _open(project) as p, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        emb = default_embedder(p, device=device) if model is None else named_embedder(p, model, device=device)
        try:
            v = machine_vs_humans(p, embedder=emb, **params)
        except CodingError as exc:
            err.print(f"No verdict against the human coders yet: {exc}")
            return pd.DataFrame({"code": [], "vs humans": []})
    if "verdict" not in v:  # no segment that every coder of the project read: nothing to judge on
        err.print("No verdict against the human coders yet: no segment was read by every coder.")
        return pd.DataFrame({"code": [], "vs humans": []})
    marks = [x if x in UNFLAGGED else f"! {x}" for x in v["verdict"]]
    return pd.DataFrame({"code": v["code"], "vs humans": marks})


@app.command()
def suggestions(
    project: ProjectOpt = DEFAULT_PROJECT,
    n: Annotated[int, typer.Option("-n", help="How many to show.")] = 20,
    status: Annotated[str, typer.Option(help="pending (the latest model's, to review), accepted, rejected or "
                                             "superseded (earlier models', kept for history).")] = "pending",
    min_score: Annotated[float, typer.Option(help="Only suggestions scoring at least this.")] = 0.0,
) -> None:
    """List machine suggestions with their scores and reasons, best first."""
    with _open(project) as p:
        sugg = p.suggestions(status=status)
        texts = p.segments().set_index("id")["text"]
    sugg = sugg[sugg["score"] >= min_score].sort_values("score", ascending=False).head(n)
    table = Table("id", "segment", "code", "score", "text", "reason", title=f"{status.capitalize()} suggestions",
                  show_lines=True)
    for r in sugg.itertuples():
        table.add_row(str(r.id), escape(r.segment_id), escape(r.code), f"{r.score:.2f}",
                      escape(_fmt(texts.get(r.segment_id, ""), 90)), escape(_fmt(r.reason, 110)))
    console.print(table)


@app.command("suggest")
def suggest_cmd(
    segment: Annotated[str, typer.Argument(help="Segment id, e.g. P02_VCS_Yr2#17.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    explain: Annotated[bool, typer.Option("--explain", help="Show scores for every code and the evidence.")] = False,
) -> None:
    """Suggest codes for one segment, and with --explain say why."""
    from qdakit.suggest.precode import fit_suggester
    from qdakit.suggest.training import project_frames

    with _open(project) as p:
        seg = p.segment(segment)
        suggester = fit_suggester(p)
        data = project_frames(p)
        rows = data.context[data.context["id"] == seg.id]
        console.print(f"[bold]{escape(seg.id)}[/bold] ({escape(str(seg.speaker))}): {escape(seg.text)}")
        for s in suggester.suggest(rows, context=data.context):
            console.print(f"  [green]{escape(s.code)}[/green] {s.score:.2f}  [dim]{escape(s.reason)}[/dim]")
        if explain:
            info = suggester.explain(seg.id, segments=rows, context=data.context)
    if explain:
        console.print(explain_table(info))


def explain_table(info: dict[str, Any]) -> Table:
    """:meth:`CodeSuggester.explain`'s answer as a table: one row per code, best first, with its evidence."""
    table = Table(title=f"Why each code scores what it does ({info.get('model', '')})", show_lines=True,
                  caption="score = the calibrated combination; suggested when score >= threshold. "
                          "Evidence: the most similar coded segments.")
    for name, kw in [("code", {}), ("mode", {}), ("score", {"justify": "right"}),
                     ("threshold", {"justify": "right"}), ("learned", {"justify": "right"}),
                     ("from definition", {"justify": "right"}), ("nearest coded examples", {"ratio": 1})]:
        table.add_column(name, **kw)  # type: ignore[arg-type]
    suggested = set(info.get("suggested", []))
    codes = info.get("codes", {})

    def num(v: object) -> str:
        if v is None:
            return "-"
        x = float(v)  # type: ignore[arg-type]
        return "never" if x == float("inf") else f"{x:.2f}"  # an infinite threshold: not suggested yet

    for code, c in sorted(codes.items(), key=lambda kv: -kv[1]["score"]):
        nearest = "\n".join(f"{escape(str(e['segment_id']))} ({e['similarity']:.2f}): {escape(_fmt(e['text'], 70))}"
                             for e in c.get("nearest_examples", []))
        name = f"[green]{escape(code)}[/green]" if code in suggested else escape(code)
        table.add_row(name, str(c.get("mode", "")), num(c.get("score")), num(c.get("threshold")),
                      num(c.get("supervised")), num(c.get("similarity")), nearest or "-")
    return table


@app.command("next")
def next_cmd(
    project: ProjectOpt = DEFAULT_PROJECT,
    n: Annotated[int, typer.Option("-n", help="How many segments.")] = 10,
    strategy: Annotated[Optional[str], typer.Option(
        help="in_order (transcript by transcript), uncertain (segments the machine is least sure of, varied), "
             "transcript (the transcript the machine is least sure of, in order) or rare (segments likely to "
             "hold codes with few examples). Default: the one measured best (benchmarks/what_next.py).")] = None,
    codes: Annotated[bool, typer.Option(
        "--codes/--no-codes", help="Also list every code's cross-validated kappa against the coders.")] = True,
) -> None:
    """The segments a human should code next, why, and how far the machine is from the coders."""
    from qdakit.suggest.active import STRATEGIES
    from qdakit.suggest.review_queue import READY_KAPPA, review_order

    if strategy is not None and strategy not in STRATEGIES:
        raise typer.BadParameter(f"{strategy!r}; use one of {', '.join(STRATEGIES)}", param_hint="--strategy")
    with _open(project) as p:
        order = review_order(p, n, strategy=strategy)
    table = Table("segment", "speaker", "text", "why", title=f"Code these next ({order.strategy})")
    for r in order.segments.itertuples():
        table.add_row(escape(str(r.id)), escape(str(r.speaker)), escape(_fmt(r.text, 90)), escape(r.why))
    console.print(table)
    for line in order.needs:
        console.print(f"- {escape(line)}")
    if codes:
        agree = Table("code", "mode", "examples", "cv kappa", title="How far the machine is from the coders "
                      f"(cross-validated kappa per code; >= {READY_KAPPA}: worth reviewing)")
        for code, r in order.agreement.sort_values("cv_kappa", ascending=False).iterrows():
            k = "-" if r["cv_kappa"] != r["cv_kappa"] else f"{r['cv_kappa']:.2f}" + (" ready" if r["ready"] else "")
            agree.add_row(escape(str(code)), str(r["mode"]), str(int(r["positives"])), k)
        console.print(agree)


@app.command()
def accept(
    coder: Annotated[str, typer.Option(help="The human coder accepting (recorded on every coding).")],
    min_score: Annotated[float, typer.Option(help="Accept pending suggestions scoring at least this.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    code: Annotated[Optional[list[str]], typer.Option(help="Only these codes (repeatable).")] = None,
) -> None:
    """Bulk-accept pending suggestions above a score, as a named human coder's codings."""
    from qdakit.suggest.precode import accept_above

    with _open(project) as p:
        added = accept_above(p, coder=coder, min_score=min_score, codes=code)
    console.print(f"{coder} accepted {len(added)} suggestions scoring >= {min_score}.")


def _decide(p: Any, key: str, r: Any, coder: str, names: list[str], pending: Any) -> None:
    """Save one review decision (``key``: a, r, c, n or s) on suggestion ``r``, logged like a workbench
    decision (:meth:`Project.decide`), so ``qdakit serve`` can undo it."""
    from rich.prompt import Prompt

    action = {"a": "accept", "r": "reject", "c": "recode", "n": "nocode"}.get(key)
    if action is None:
        return
    code = None
    if key == "c":
        for i, name in enumerate(names, start=1):
            console.print(f"  {i:2d} {escape(name)}")
        pick = Prompt.ask("code number", choices=[str(i) for i in range(1, len(names) + 1)], console=console)
        code = names[int(pick) - 1]
    p.decide(int(r.id), action, coder, code=code)


@app.command()
def review(
    coder: Annotated[str, typer.Option(help="Your name: every decision is recorded as yours.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    min_score: Annotated[float, typer.Option(help="Only suggestions scoring at least this.")] = 0.0,
) -> None:
    """Review suggestions one by one (keys: a accept, r reject, c recode, n no code applies, s skip, q quit).

    n rejects every pending suggestion on the segment and records that you read
    it and no code applies (a negative for every code).

    Each decision is saved at once.
    """
    from rich.prompt import Prompt

    with _open(project) as p:
        pending = p.suggestions(status="pending")
        segs = p.segments().set_index("id")
        order = {sid: i for i, sid in enumerate(segs.index)}  # transcript order, then segment order: #75 before #114
        pending = pending[pending["score"] >= min_score]
        pending = (pending.assign(_pos=pending["segment_id"].map(order))
                   .sort_values(["_pos", "score"], ascending=[True, False]))
        names = list(p.codebook.names)
        decided = 0
        settled: set[str] = set()  # segments answered with "no code applies"
        for r in pending.itertuples():
            if r.segment_id in settled:
                continue
            now = p.suggestion(int(r.id))
            if now.status != "pending":  # decided in another session since this one started
                console.print(f"[dim]suggestion {r.id} was {now.status} by {escape(str(now.decided_by))} "
                              "meanwhile; skipped[/dim]", highlight=False)
                continue
            seg = segs.loc[r.segment_id]
            prev = segs[(segs.transcript_id == seg.transcript_id) & (segs["index"] == seg["index"] - 1)]
            console.rule(escape(f"{r.segment_id}  ({decided} decided, {len(pending) - decided} left)"))
            if not prev.empty:
                console.print(f"[dim]{escape(str(prev.iloc[0]['speaker']))}: "
                              f"{escape(_fmt(prev.iloc[0]['text'], 300))}[/dim]")
            console.print(f"[bold]{escape(str(seg['speaker']))}[/bold]: {escape(seg['text'])}")
            console.print(f"Suggestion: [green]{escape(r.code)}[/green] (score {r.score:.2f})\n"
                          f"[dim]{escape(str(r.reason))}[/dim]")
            key = Prompt.ask(escape("[a]ccept [r]eject re[c]ode [n]o code applies [s]kip [q]uit"),
                             choices=["a", "r", "c", "n", "s", "q"], default="s", console=console)
            if key == "q":
                break
            try:  # another reviewer may have decided it meanwhile: say so and go on to the next
                _decide(p, key, r, coder, names, pending)
            except CodingError as exc:
                console.print(f"[yellow]skipped:[/yellow] {escape(str(exc))}", highlight=False)
                continue
            if key == "n":
                settled.add(r.segment_id)
            if key != "s":
                decided += 1
    console.print(f"{decided} decisions saved as {coder}.")

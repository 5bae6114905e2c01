"""Commands for the codebook (``codebook load|show|export``, and edits by a named coder: ``codebook
add|edit|rename|move|merge|history``) and human codings (``codings import|list``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from qdakit.cli.app import _fmt, _open, codebook_app, codings_app
from qdakit.cli.common import (
    DEFAULT_PROJECT,
    ProjectOpt,
    console,
)
from qdakit.io.codebook import read_codebook, write_codebook


@codebook_app.command("load")
def codebook_load(
    file: Annotated[Path, typer.Argument(help="Codebook .yaml, .json or .csv.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    replace: Annotated[bool, typer.Option(help="Remove codes not in FILE (never codes in use).")] = False,
) -> None:
    """Load (merge) a codebook (.yaml, .json, .csv, or REFI-QDA .qdc) into the project."""
    if file.suffix.lower() == ".qdc":
        from qdakit.io.refi import read_qdc

        cb = read_qdc(file)
    else:
        cb = read_codebook(file)
    with _open(project) as p:
        counts = p.load_codebook(cb, replace=replace)
    console.print(f"Codebook {file}: {counts['added']} added, {counts['updated']} updated, "
                  f"{counts['renamed']} renamed, "
                  f"{counts['removed']} removed ({len(cb)} codes in the file).")


@codebook_app.command("show")
def codebook_show(project: ProjectOpt = DEFAULT_PROJECT) -> None:
    """Print the codebook as a tree with code counts."""
    with _open(project) as p:
        cb = p.codebook
        counts = p.codings()["code"].value_counts().to_dict()
    table = Table("code", "codings", "definition", title=f"Codebook ({len(cb)} codes)")
    for c in cb:
        indent = "  " * cb.depth(c.name)
        table.add_row(f"{indent}{c.name}", str(counts.get(c.name, 0)), c.description[:80])
    console.print(table)


@codebook_app.command("export")
def codebook_export(
    file: Annotated[Path, typer.Argument(help="Output .yaml, .json or .csv.")],
    project: ProjectOpt = DEFAULT_PROJECT,
) -> None:
    """Write the project's codebook to a file."""
    with _open(project) as p:
        write_codebook(p.codebook, file)
    console.print(f"Wrote {file}.")


CoderOpt = Annotated[str, typer.Option("--coder", help="Who makes the change (recorded in the history).")]


@codebook_app.command("add")
def codebook_add(
    name: Annotated[str, typer.Argument(help="The new code's name.")],
    coder: CoderOpt,
    project: ProjectOpt = DEFAULT_PROJECT,
    parent: Annotated[Optional[str], typer.Option(help="Put it under this code.")] = None,
    description: Annotated[str, typer.Option(help="Its definition.")] = "",
    inclusion: Annotated[str, typer.Option(help="When to apply it.")] = "",
    exclusion: Annotated[str, typer.Option(help="When not to apply it.")] = "",
) -> None:
    """Add one code, as CODER (validated as `codebook load` validates a file)."""
    with _open(project) as p:
        code = p.add_code(name, coder, parent=parent, description=description, inclusion=inclusion,
                          exclusion=exclusion)
    console.print(f"{coder} added {code.name!r}" + (f" under {code.parent!r}." if code.parent else "."))


@codebook_app.command("edit")
def codebook_edit(
    name: Annotated[str, typer.Argument(help="The code.")],
    coder: CoderOpt,
    project: ProjectOpt = DEFAULT_PROJECT,
    description: Annotated[Optional[str], typer.Option(help="New definition.")] = None,
    inclusion: Annotated[Optional[str], typer.Option(help="New inclusion note.")] = None,
    exclusion: Annotated[Optional[str], typer.Option(help="New exclusion note.")] = None,
) -> None:
    """Change a code's definition, inclusion or exclusion note, as CODER."""
    with _open(project) as p:
        code = p.edit_code(name, coder, description=description, inclusion=inclusion, exclusion=exclusion)
    console.print(f"{coder} edited {code.name!r}.")


@codebook_app.command("rename")
def codebook_rename(
    old: Annotated[str, typer.Argument(help="The code's name.")],
    new: Annotated[str, typer.Argument(help="Its new name.")],
    coder: CoderOpt,
    project: ProjectOpt = DEFAULT_PROJECT,
) -> None:
    """Rename a code, as CODER; its codings and sub-codes follow it."""
    with _open(project) as p:
        code = p.rename_code(old, new, coder)
    console.print(f"{coder} renamed {old!r} to {code.name!r}.")


@codebook_app.command("move")
def codebook_move(
    name: Annotated[str, typer.Argument(help="The code.")],
    coder: CoderOpt,
    project: ProjectOpt = DEFAULT_PROJECT,
    parent: Annotated[Optional[str], typer.Option(help="Its new parent (left out: top level).")] = None,
) -> None:
    """Move a code (with its sub-codes) under another code, or to the top level, as CODER."""
    with _open(project) as p:
        code = p.move_code(name, parent, coder)
    console.print(f"{coder} moved {code.name!r} " + (f"under {code.parent!r}." if code.parent else "to the top level."))


@codebook_app.command("merge")
def codebook_merge(
    source: Annotated[str, typer.Argument(help="The code merged (it stays, marked as merged).")],
    target: Annotated[str, typer.Argument(help="The code kept.")],
    coder: CoderOpt,
    project: ProjectOpt = DEFAULT_PROJECT,
) -> None:
    """Merge SOURCE into TARGET as CODER: every coding of SOURCE recoded to TARGET, history kept."""
    with _open(project) as p:
        moved = p.merge_codes(source, target, coder)
    console.print(f"{coder} merged {source!r} into {target!r}: {moved} coding(s) recoded; the old ones are kept "
                  "as superseded.")


@codebook_app.command("history")
def codebook_history(project: ProjectOpt = DEFAULT_PROJECT) -> None:
    """Every change made to the codebook by name: who, when, what."""
    from rich.markup import escape

    with _open(project) as p:
        changes = p.codebook_changes()
    table = Table("when", "coder", "action", "code", "what", title=f"Codebook changes ({len(changes)})")
    for r in changes.itertuples():
        what = "; ".join(f"{k}: {_fmt(v, 60)}" for k, v in r.detail.items() if k not in ("codings", "target_guid"))
        table.add_row(r.created[:16].replace("T", " "), escape(r.coder), r.action, escape(str(r.code or "")),
                      escape(what))
    console.print(table)


@codings_app.command("import")
def codings_import(
    files: Annotated[list[Path], typer.Argument(help="CSV/Excel: transcript, code, coder, and segment_id "
                                                     "or quote (+ speaker); an empty code = read, no code "
                                                     "applies.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    coder: Annotated[Optional[str], typer.Option(help="Coder name when the file has no coder column.")] = None,
) -> None:
    """Import human codings from spreadsheets, all or nothing."""
    from qdakit.io.codings import import_codings_report

    with _open(project) as p:
        done = import_codings_report(p, files, coder=coder)  # identical ones already there are not added twice
    already = f" ({done.rows - len(done.added)} were already in the project or repeated in the files)"
    console.print(f"Imported {len(done.added)} codings{already}" + (
        f"; marked {done.marked} segment(s) as read (where that coder coded nothing, no code applies)."
        if done.marked else "."))


@codings_app.command("list")
def codings_list(
    project: ProjectOpt = DEFAULT_PROJECT,
    coder: Annotated[Optional[str], typer.Option(help="Only this coder's codings.")] = None,
    code: Annotated[Optional[list[str]], typer.Option(help="Only these codes (repeatable).")] = None,
    n: Annotated[int, typer.Option("-n", help="How many to show (0: all).", min=0)] = 50,
) -> None:
    """List human codings in transcript order: segment, code, coder and the coded text."""
    import pandas as pd
    from rich.markup import escape

    with _open(project) as p:
        codings = p.codings(coder=coder)
        segs = p.segments().set_index("id")
        texts = {t.id: t.text for t in p.iter_transcripts()} if codings["start"].notna().any() else {}
    if code:
        codings = codings[codings["code"].isin(code)]
    order = {sid: i for i, sid in enumerate(segs.index)}
    codings = codings.assign(_pos=codings["segment_id"].map(order)).sort_values(["_pos", "code", "coder"])
    shown = codings if n == 0 else codings.head(n)
    who = f" by {coder}" if coder else ""
    table = Table("id", "segment", "code", "coder", "text", title=f"Human codings{who} ({len(codings)})")
    for r in shown.itertuples():
        if pd.notna(r.start) and pd.notna(r.end) and r.transcript_id in texts:
            text = texts[r.transcript_id][int(r.start):int(r.end)]
        else:
            text = segs.loc[r.segment_id, "text"]
        table.add_row(str(r.id), r.segment_id, r.code, r.coder, escape(_fmt(" ".join(str(text).split()), 100)))
    console.print(table)
    if len(shown) < len(codings):
        console.print(f"[dim]... {len(codings) - len(shown)} more (-n 0 shows all)[/dim]")


@codings_app.command("reviewed")
def codings_reviewed(
    segments: Annotated[list[str], typer.Argument(help="Segment ids, e.g. P02_VCS_Yr2#17.")],
    coder: Annotated[str, typer.Option(help="The human coder who read them.")],
    project: ProjectOpt = DEFAULT_PROJECT,
) -> None:
    """Record that a coder read these segments; where they coded nothing, no code applies.

    Such segments are negatives for every code when the machine learns, and units
    of agreement (every code absent) for that coder.
    """
    with _open(project) as p:
        added = p.mark_reviewed(segments, coder)
    console.print(f"Marked {added} segment(s) as read by {coder}"
                  + (f" ({len(set(segments)) - added} were already)." if added < len(set(segments)) else "."))

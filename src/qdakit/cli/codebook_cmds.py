"""Commands for the codebook (``codebook load|show|export``) and human codings (``codings import``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from qdakit.cli.app import _open, codebook_app, codings_app
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


@codings_app.command("import")
def codings_import(
    files: Annotated[list[Path], typer.Argument(help="CSV/Excel: transcript, code, coder, and segment_id "
                                                     "or quote (+ speaker); an empty code = read, no code "
                                                     "applies.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    coder: Annotated[Optional[str], typer.Option(help="Coder name when the file has no coder column.")] = None,
) -> None:
    """Import human codings from spreadsheets, all or nothing."""
    from qdakit.io.codings import import_codings

    with _open(project) as p:
        before = len(p.reviewed())
        added = import_codings(p, files, coder=coder)
        read = len(p.reviewed()) - before
    console.print(f"Imported {len(added)} codings" + (f"; marked {read} segment(s) as read (rows with an empty "
                                                       "code: no code applies)." if read else "."))


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

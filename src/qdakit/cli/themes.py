"""``qdakit themes``: list candidate themes, plot them, adopt one.

Listing clusters the project's codes (or segments), prints a table of themes with
their key terms and exemplar quotes, and saves the listing beside the project
(``<project>.themes.json``). ``--seed themes.yaml`` starts from the researcher's own
themes (names, sentences, a few codes each) and places every other code in one of
them, or in a proposed new theme, with a confidence and a reason. ``--new-codes``
also lists candidate new codes: uncoded passages no code covers that cluster together.
``--adopt ID`` adopts a theme of that saved listing, so the ID always means the theme
that was shown. Nothing in the project changes
until a theme is adopted by a named coder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from qdakit.cli.common import SafeConsole

__all__ = ["register"]

# as the other commands: the terminal's width, or $COLUMNS when set; other piped output gets 140
_console = SafeConsole() if sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit() else SafeConsole(width=140)


def _clip(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _names_in_texts(project: object) -> list[str]:
    """Names of people and places the anonymiser finds in the project's texts (spaCy NER), so
    that they never become key terms; organisations' names are left in (their words are often
    the theme: "community", "trust")."""
    from qdakit.analysis.anonymise import Anonymiser

    anon = Anonymiser.for_project(project)
    anon.transform_many(project.segments()["text"].fillna("").astype(str).tolist())  # type: ignore[attr-defined]
    table = anon.table()
    keep = table["kind"].isin(["person", "place", "participant", "researcher"])
    return sorted({w for name in table.loc[keep, "original"] for w in str(name).split()})


def register(app: typer.Typer) -> None:
    """Add the ``themes`` command to the qdakit app."""

    @app.command()
    def themes(
        project: Annotated[Path, typer.Option("--project", "-p", envvar="QDAKIT_PROJECT",
                                              help="Project file.")] = Path("project.qdakit"),
        of: Annotated[str, typer.Option("--of", help="Cluster 'codes' (by their segments and definitions) "
                                                     "or 'segments' (coded or not).")] = "codes",
        k: Annotated[Optional[int], typer.Option("--k", help="Number of themes (default: chosen "
                                                             "automatically).", min=1)] = None,
        coder_filter: Annotated[Optional[str], typer.Option(
            "--codings-of", help="Use only this coder's codings (default: every coder's).")] = None,
        quotes: Annotated[int, typer.Option("--quotes", help="Exemplar quotes shown per theme.", min=0)] = 2,
        plot: Annotated[Optional[Path], typer.Option("--plot", help="Save a map of the themes (PNG).")] = None,
        adopt_id: Annotated[Optional[int], typer.Option(
            "--adopt", help="Adopt theme ID of the last listing as a parent code.")] = None,
        name: Annotated[Optional[str], typer.Option("--name", help="Name of the adopted theme.")] = None,
        coder: Annotated[Optional[str], typer.Option(
            "--coder", help="Who adopts a theme or accepts a proposal (recorded).")] = None,
        description: Annotated[str, typer.Option(help="Your definition of the adopted theme.")] = "",
        seed: Annotated[Optional[Path], typer.Option(
            "--seed", help="YAML file of your themes (name, description, codes); every other code is placed "
                           "in one of them or in a proposed new theme.")] = None,
        accept: Annotated[Optional[str], typer.Option(
            "--accept", help="Accept merge or split proposal ID of the last listing (merge-1, split-1 ...).")] = None,
        keep: Annotated[Optional[str], typer.Option(
            "--keep", help="With --accept merge-N: the code kept (default: the one with more codings).")] = None,
        new_codes: Annotated[bool, typer.Option(
            "--new-codes", help="Also list candidate new codes: uncoded passages no code covers that "
                                "cluster together.")] = False,
    ) -> None:
        """Candidate themes: cluster codes or segments, label them, propose merges and splits.

        List: qdakit themes [--of codes|segments] [--k N] [--plot themes.png] [--new-codes].
        Seeded: qdakit themes --seed themes.yaml, a file such as

            themes:
              - name: Money and time
                description: what partners can and cannot give
                codes: [Balance of resources]
              - name: Talking to each other

        Adopt: qdakit themes --adopt ID --name NAME --coder NAME (nothing changes until you adopt;
        a seeded theme keeps its name when --name is left out). Accept a proposal:
        qdakit themes --accept merge-1 --coder NAME [--keep CODE] (or split-1: two sub-codes and their
        suggestions to review).
        """
        from qdakit.errors import CodingError
        from qdakit.project import Project
        from qdakit.themes.project_themes import adopt_from_listing, themes_path

        if accept is not None:
            if not coder:
                raise CodingError(f"accepting a proposal needs --coder (who decides): qdakit themes --accept {accept} "
                                  "--coder JR")
            from qdakit.themes.proposals import accept_proposal

            with Project.open(project) as p:
                done = accept_proposal(p, accept, coder, keep=keep)
            _console.print(done.message)
            return
        if adopt_id is not None:
            if not name and coder:
                from qdakit.themes.project_themes import load_themes

                with Project.open(project) as p:
                    listing = themes_path(p.path)
                if listing.is_file():
                    saved_names = {t.id: t.name for t in load_themes(listing).themes}
                    name = saved_names.get(adopt_id)
            if not name or not coder:
                raise CodingError("adopting a theme needs --name (the theme's name) and --coder (who adopts it): "
                                  f"qdakit themes --adopt {adopt_id} --name 'Trust' --coder JR")
            with Project.open(project) as p:
                saved = themes_path(p.path)
                code = adopt_from_listing(p, adopt_id, name, coder, description=description)
                children = [c.name for c in p.codebook.children(code.name)]
                pending = p.suggestions(status="pending")
                n_sugg = int((pending["code"] == code.name).sum())
            where = f" under {code.parent!r}" if code.parent else ""
            if children:
                _console.print(f"{coder} adopted theme {adopt_id} as [bold]{code.name}[/bold]{where}; "
                               f"moved under it: {', '.join(children)}.")
            else:
                _console.print(f"{coder} adopted theme {adopt_id} as [bold]{code.name}[/bold]{where}, with "
                               f"{n_sugg} pending suggestions of it to review (`qdakit review --coder {coder}`).")
            _console.print(f"[dim]Recorded in the code's description and in {saved}. No coding was changed.[/dim]")
            return
        if of not in ("codes", "segments"):
            raise CodingError(f"--of {of!r}: use --of codes or --of segments")
        from qdakit.themes.project_themes import fit_project_themes, save_themes
        from qdakit.themes.seeding import read_seeds

        seeds = None
        if seed is not None:
            if of != "codes" or k is not None:
                raise CodingError("--seed places codes in your themes: use it with --of codes and without --k")
            seeds = read_seeds(seed)
        with Project.open(project) as p:
            tc = fit_project_themes(p, of=of, n_themes=k, coder=coder_filter, seeds=seeds,
                                    exclude_terms=_names_in_texts(p))
            merges, splits = (tc.propose_merges(), tc.propose_splits()) if tc.code_names_ else ([], [])
            saved = save_themes(themes_path(p.path), tc, merges=merges, splits=splits)
            candidates = tc.propose_codes() if new_codes and tc.code_names_ else []
        chosen = ("seeded by you" if seeds is not None else "chosen automatically" if k is None else "as asked")
        table = Table(title=f"Candidate themes of {len(tc.items_)} {of} ({tc.n_themes_} themes, {chosen})",
                      show_lines=True)
        table.add_column("ID", justify="right")
        table.add_column("size", justify="right")
        table.add_column("key terms", max_width=28)
        table.add_column("codes" if of == "codes" else "segments / spread", max_width=34)
        table.add_column("exemplar quotes", max_width=70)
        for t in tc.themes_:
            spread = ", ".join(f"{len(v)} {key}{'s' if len(v) != 1 else ''}" for key, v in t.spread.items())
            members = "; ".join(t.members) if of == "codes" else f"{len(t.segments)} segments"
            head = f"[bold]{t.name}[/bold]\n{', '.join(t.label)}" if t.name else ", ".join(t.label)
            table.add_row(str(t.id), str(t.size), head, f"{members}\n[dim]{spread}[/dim]",
                          "\n".join(f"\"{_clip(q.text, 150)}\" {q.attribution}" for q in t.quotes[:quotes]))
        _console.print(table)
        if tc.placements_:
            placed = Table(title="Where each code went (seeded: put there by you)")
            for col in ("code", "theme", "confidence", "reason"):
                placed.add_column(col, max_width=60 if col == "reason" else 30)
            for pl in sorted(tc.placements_, key=lambda x: (x.seeded, x.confidence)):
                theme = pl.theme if pl.theme is not None else f"new theme {pl.proposed_theme}?"
                placed.add_row(pl.code, theme, "-" if pl.seeded else f"{pl.confidence:.2f}", pl.reason)
            _console.print(placed)
            _console.print(f"[dim]Code names weighted {tc.seed_name_weight_:g} against what their passages say "
                           "(chosen by hiding each of your seed codes in turn and placing it back).[/dim]")
            empty = [s.name for s in tc.seeds_ if s.name not in {t.name for t in tc.themes_}]
            for theme_name in empty:
                _console.print(f"[dim]{theme_name}: no code was placed here (no code reads like it or "
                               "sits near its seed codes).[/dim]")
        if new_codes:
            if not candidates:
                _console.print("[dim]No candidate new code: the uncoded passages either fit a code or do not "
                               "cluster together.[/dim]")
            for c in candidates:
                quote = f' e.g. "{_clip(c.quotes[0].text, 120)}" {c.quotes[0].attribution}' if c.quotes else ""
                _console.print(f"[yellow]new code?[/yellow] {c.title} ({c.size} uncoded segments, fit to the "
                               f"nearest code {c.fit:.2f}){quote}")
        if tc.code_names_:
            for i, m in enumerate(merges, 1):
                _console.print(f"[yellow]merge-{i}?[/yellow] {m.codes[0]} + {m.codes[1]}: {m.reason}")
            for i, s in enumerate(splits, 1):
                _console.print(f"[yellow]split-{i}?[/yellow] {s.code} ({len(s.groups[0])} + {len(s.groups[1])} "
                               f"segments, silhouette {s.silhouette:.2f}): [{', '.join(s.labels[0])}] vs "
                               f"[{', '.join(s.labels[1])}]")
            if not merges and not splits:
                _console.print("[dim]No near-duplicate codes to merge and no code with clear sub-groups.[/dim]")
            else:
                _console.print("[dim]Accept one with: qdakit themes --accept merge-1 --coder YOU [--keep CODE].[/dim]")
        if len(tc.outliers_):
            _console.print(f"[dim]{len(tc.outliers_)} segments fit no theme, e.g. "
                           f"{', '.join(tc.outliers_['segment_id'].head(5))}.[/dim]")
        if plot is not None:
            from qdakit.analysis.plots import theme_map

            fig = theme_map(tc.item_vectors_, tc.labels_, {t.id: t.title for t in tc.themes_},
                            names=tc.items_ if of == "codes" else None,
                            title=f"Candidate themes ({of}, {tc.n_themes_} themes)")
            plot.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(plot, dpi=150)
            _console.print(f"Saved the theme map to {plot}.")
        _console.print(f"[dim]Saved this listing to {saved}. Adopt a theme with: qdakit themes --adopt ID "
                       "--name NAME --coder YOU. Nothing changes until you do.[/dim]")

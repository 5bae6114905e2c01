"""Candidate themes on a project: fit from its segments and codings, save the listing,
adopt a theme (the only step that changes the project, and only its codebook and
pending suggestions).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from qdakit.embed.cache import project_embedder
from qdakit.errors import CodebookError, CodingError, ProjectError
from qdakit.io.output import atomic_write
from qdakit.model import Code, Codebook, Suggestion, utcnow
from qdakit.project import Project
from qdakit.themes.candidates import CandidateTheme, MergeProposal, SplitProposal
from qdakit.themes.clusterer import ThemeClusterer

__all__ = ["SavedThemes", "adopt", "adopt_from_listing", "exclusion_vocabulary", "fit_project_themes", "load_themes",
           "project_theme_data", "save_themes", "theme_table", "themes_path"]

_FORMAT = 1


def project_theme_data(project: Project, *, coder: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame, Codebook]:
    """The inputs of :meth:`ThemeClusterer.fit` from a project.

    Segments of participants (researchers' turns out, empty ones out) with their
    attributes; the human codings on them (``coder`` only, if given), one row per
    (segment, code); the codebook.
    """
    segments = project.segments()
    if not segments.empty:
        segments = segments[~segments["is_researcher"].astype(bool)]
        segments = segments[segments["text"].fillna("").str.strip() != ""].reset_index(drop=True)
    codings = project.codings(coder=coder)
    if coder is not None and codings.empty:
        raise CodingError(f"no codings by {coder!r}; coders: {', '.join(project.coders()) or 'none'}")
    codings = codings[codings["segment_id"].isin(set(segments["id"]))] if not segments.empty else codings
    codings = codings.drop_duplicates(["segment_id", "code"])[["segment_id", "code"]].reset_index(drop=True)
    return segments, codings, project.codebook


def default_embedder(project: Project) -> Any:
    """The bundled sentence-transformers model with the project's embedding cache."""
    return project_embedder(project)


def exclusion_vocabulary(project: Project) -> list[str]:
    """Words that must never be a theme's key term, from the project's own data.

    The words of every speaker label and participant id (the names the anonymiser
    turns into ``[Participant P01]``), of every transcript's title, and of every
    redaction placeholder left in the texts (``[Person 2]``, ``[VCS organisation]``:
    the words of the placeholder itself). Lower case, sorted.
    """
    import re

    segments = project.segments()
    words: set[str] = set()
    for col in ("speaker", "participant", "transcript"):
        if col in segments.columns:
            for value in segments[col].dropna().unique():
                words.update(w.lower() for w in re.split(r"[\W_]+", str(value)) if w.isalpha())
    if "text" in segments.columns:
        for placeholder in set(re.findall(r"\[([^\[\]\n]{1,60})\]", " ".join(segments["text"].fillna("")))):
            words.update(w.lower() for w in re.split(r"[\W_]+", placeholder) if w.isalpha())
    return sorted(words)


def fit_project_themes(project: Project, *, of: str = "codes", n_themes: int | None = None,
                       embedder: Any = None, coder: str | None = None, seeds: Any = None,
                       exclude_terms: Sequence[str] = (), **params: Any) -> ThemeClusterer:
    """A :class:`~qdakit.themes.ThemeClusterer` fitted on a project.

    The default embedder is the bundled model with the project's embedding cache
    (``<project>.embeddings.sqlite``), so a second run embeds nothing new. The
    speakers' names, participant ids and redaction placeholders
    (:func:`exclusion_vocabulary`), plus any ``exclude_terms`` you give (e.g. the
    originals of the anonymiser's pseudonym table), are kept out of the key terms
    (other names mentioned in passing may still appear: anonymise before sharing a
    listing). ``seeds`` are the researcher's themes (see :meth:`ThemeClusterer.fit`).
    """
    segments, codings, codebook = project_theme_data(project, coder=coder)
    if segments.empty:
        raise ProjectError(f"{project.path}: no participant segment with text; import transcripts first")
    if of == "codes" and codings.empty:
        raise CodingError(f"{project.path}: no human codings to cluster codes from. Import codings "
                          "(`qdakit codings import`), or cluster the segments: `qdakit themes --of segments`.")
    if embedder is None:
        embedder = default_embedder(project)
    excluded = [*exclusion_vocabulary(project), *exclude_terms]
    tc = ThemeClusterer(of, embedder=embedder, n_themes=n_themes, exclude_terms=excluded,  # type: ignore[arg-type]
                        **params)
    return tc.fit(segments, codings if not codings.empty else None, codebook, seeds=seeds)


# -- the saved listing ---------------------------------------------------------------
def themes_path(project_path: str | os.PathLike[str]) -> Path:
    """Where the last listing of a project is kept: ``study.qdakit`` -> ``study.qdakit.themes.json``."""
    p = Path(project_path)
    return p.with_name(p.name + ".themes.json")


@dataclass
class SavedThemes:
    """A listing of candidate themes as saved beside the project."""

    of: str
    themes: list[CandidateTheme]
    model: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    adopted: dict[str, dict[str, str]] = field(default_factory=dict)  # theme id -> name, coder, at
    #: the merge and split proposals shown with the listing (see :mod:`qdakit.themes.proposals`)
    merges: list[MergeProposal] = field(default_factory=list)
    splits: list[SplitProposal] = field(default_factory=list)
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)  # proposal id -> coder, at, what was done

    def theme(self, theme_id: int) -> CandidateTheme:
        for t in self.themes:
            if t.id == theme_id:
                return t
        ids = ", ".join(str(t.id) for t in self.themes) or "none"
        raise CodebookError(f"no candidate theme {theme_id} in the last listing (ids: {ids}). "
                            "Run `qdakit themes` to list them again.")


def save_themes(path: str | os.PathLike[str], tc: ThemeClusterer, *, merges: Sequence[MergeProposal] = (),
                splits: Sequence[SplitProposal] = ()) -> Path:
    """Write the fitted themes of ``tc`` to ``path`` (JSON), replacing an older listing.

    ``merges`` and ``splits`` (from :meth:`ThemeClusterer.propose_merges` and
    :meth:`~ThemeClusterer.propose_splits`) are saved with it, so that a coder can
    accept one later by its id (:func:`qdakit.themes.proposals.accept_proposal`).
    """
    tc._check_fitted()
    params = {k: v for k, v in tc.get_params(deep=False).items()
              if isinstance(v, (int, float, str, bool, type(None), tuple, list))}
    data = {"format": _FORMAT, "of": tc.of, "model": tc.model_id_, "params": params,
            "created": utcnow().isoformat(), "themes": [t.to_dict() for t in tc.themes_], "adopted": {},
            "merges": [asdict(m) for m in merges], "splits": [asdict(s) for s in splits], "accepted": {}}
    raw = json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8", "replace")
    return atomic_write(Path(path), lambda f: f.write(raw))


def load_themes(path: str | os.PathLike[str]) -> SavedThemes:
    """Read a listing written by :func:`save_themes`."""
    p = Path(path)
    if not p.is_file():
        raise ProjectError(f"{p}: no saved candidate themes. List them first with `qdakit themes`, "
                           "then adopt one by its ID.")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        return SavedThemes(data["of"], [CandidateTheme.from_dict(t) for t in data["themes"]], data.get("model", ""),
                           data.get("params", {}), data.get("created", ""), data.get("adopted", {}),
                           [MergeProposal(tuple(m["codes"]), float(m["similarity"]),
                                          float(m["cooccurrence"]), int(m["shared_segments"]))
                            for m in data.get("merges", [])],
                           [SplitProposal(str(s["code"]), float(s["silhouette"]),
                                          tuple(tuple(g) for g in s["groups"]),  # type: ignore[arg-type]
                                          tuple(tuple(x) for x in s["labels"]))  # type: ignore[arg-type]
                            for s in data.get("splits", [])],
                           data.get("accepted", {}))
    except (ValueError, KeyError, TypeError) as exc:
        raise ProjectError(f"{p}: not a candidate-themes file ({exc}). Run `qdakit themes` again.") from None


def _record_adoption(path: Path, theme_id: int, name: str, coder: str) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.setdefault("adopted", {})[str(theme_id)] = {"name": name, "coder": coder, "at": utcnow().isoformat()}
    raw = json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8", "replace")
    atomic_write(path, lambda f: f.write(raw))


# -- adopting -------------------------------------------------------------------------
def _memo(theme: CandidateTheme, coder: str, model: str) -> str:
    members = ", ".join(theme.members[:12]) + (" ..." if theme.size > 12 else "")
    what = f"codes: {members}" if theme.of == "codes" else f"{theme.size} segments"
    return (f"Adopted by {coder} on {utcnow().date().isoformat()} from candidate theme {theme.id} "
            f"(clustered {theme.of}{', ' + model if model else ''}); key terms: {', '.join(theme.label)}; {what}.")


def adopt(project: Project, theme: CandidateTheme, name: str, coder: str, *, description: str = "",
          model: str = "", listing: str | os.PathLike[str] | None = None) -> Code:
    """Adopt a candidate theme: a named human decides it is a theme of the study.

    * **codes theme**: a new code ``name`` is added to the codebook and the
      member codes are moved under it (codes whose parent is also a member keep
      their parent). If all the moved codes shared one parent, the theme goes
      under that parent; otherwise it is top-level.
    * **segments theme**: a new top-level code ``name`` is added, and a pending
      machine :class:`~qdakit.model.Suggestion` of it for each member segment;
      a human accepts or rejects them as any other suggestion.

    No coding is created, changed or removed. Who adopted it, when and from
    what is written into the new code's description. All or nothing: on any
    error the project is unchanged.

    Parameters
    ----------
    project : Project
    theme : CandidateTheme
    name : the theme's name as the researcher words it
    coder : the researcher adopting it
    description : the researcher's own definition (the adoption memo follows it)
    model : the embedder's model id, recorded in the memo and the suggestions
    listing : the saved listing it came from; the adoption is recorded there

    Returns
    -------
    Code
        The new theme code.
    """
    if not coder or not coder.strip():
        raise CodingError("adopting a theme needs a named human coder (coder='JR')")
    if not name or not name.strip():
        raise CodebookError("give the adopted theme a name (name='Trust between partners')")
    name, coder = name.strip(), coder.strip()
    codebook = project.codebook
    if any(c.name.casefold() == name.casefold() for c in codebook):
        raise CodebookError(f"a code named {name!r} is already in the codebook; choose another name for "
                            "the theme, or re-parent codes under the existing one with `qdakit codebook load`.")
    memo = _memo(theme, coder, model)
    text = f"{description.strip()}\n\n{memo}" if description.strip() else memo
    if theme.of == "codes":
        absent = [m for m in theme.members if m not in codebook]
        if absent:
            raise CodebookError(f"candidate theme {theme.id} names codes no longer in the codebook: "
                                f"{', '.join(absent)}. List the themes again (`qdakit themes`).")
        members = set(theme.members)
        moved = [codebook[m] for m in theme.members if codebook[m].parent not in members]
        parents = {c.parent for c in moved}
        new = Code(name, parents.pop() if len(parents) == 1 else None, text)
        changed = {c.name: replace(c, parent=name) for c in moved}
        final = Codebook([*(changed.get(c.name, c) for c in codebook), new], source="adopted theme")
        with project.transaction():
            project.load_codebook(final)
    else:
        unknown = [s for s in theme.members if s not in set(project.segments()["id"])]
        if unknown:
            raise CodingError(f"candidate theme {theme.id} names segments not in {project.path}: "
                              f"{', '.join(unknown[:5])}. List the themes again (`qdakit themes`).")
        new = Code(name, None, text)
        reason = f"candidate theme {theme.id} adopted by {coder} as {name!r}; key terms: {', '.join(theme.label)}"
        suggestions = [Suggestion(s, name, min(1.0, max(0.0, score)), f"qdakit.themes:{model or 'embedding'}",
                                  reason) for s, score in zip(theme.members, theme.member_scores, strict=True)]
        with project.transaction():
            project.load_codebook(Codebook([*codebook, new], source="adopted theme"))
            project.add_suggestions(suggestions)
    if listing is not None and Path(listing).is_file():
        _record_adoption(Path(listing), theme.id, name, coder)
    return project.codebook[name]


def adopt_from_listing(project: Project, theme_id: int, name: str, coder: str, *, description: str = "",
                       path: str | os.PathLike[str] | None = None) -> Code:
    """Adopt theme ``theme_id`` of the listing saved beside the project (see :func:`save_themes`)."""
    p = Path(path) if path is not None else themes_path(project.path)
    saved = load_themes(p)
    done = saved.adopted.get(str(theme_id))
    if done:
        raise CodebookError(f"candidate theme {theme_id} was already adopted as {done['name']!r} by "
                            f"{done['coder']}. List the themes again (`qdakit themes`) for a fresh listing.")
    return adopt(project, saved.theme(theme_id), name, coder, description=description, model=saved.model,
                 listing=p)


def theme_table(themes: Sequence[CandidateTheme]) -> pd.DataFrame:
    """One row per theme: id, size, label, members, segments, and how many participants,
    sectors, waves and questions its segments come from."""
    rows = []
    for t in themes:
        row: dict[str, Any] = {"id": t.id, "size": t.size, "label": ", ".join(t.label),
                               "members": "; ".join(t.members) if t.of == "codes" else f"{t.size} segments",
                               "segments": len(t.segments), "cohesion": t.cohesion}
        row |= {f"{key}s": len(values) for key, values in t.spread.items()}
        rows.append(row)
    return pd.DataFrame(rows)

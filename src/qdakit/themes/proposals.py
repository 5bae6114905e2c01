"""Accepting the merge and split proposals of ``qdakit themes``: a named coder decides.

``qdakit themes`` proposes merging near-duplicate codes and splitting codes too
broad (:meth:`~qdakit.themes.ThemeClusterer.propose_merges`,
:meth:`~qdakit.themes.ThemeClusterer.propose_splits`) and saves the proposals with
its listing beside the project (:func:`~qdakit.themes.project_themes.save_themes`),
each with an id: ``merge-1``, ``merge-2`` ... ``split-1`` ... in the order shown.
Nothing changes until a coder accepts one:

* **a merge** is :meth:`Project.merge_codes <qdakit.project.Project.merge_codes>`:
  every coding of one code is recoded to the other as that coder's decision,
  history kept, nothing deleted;
* **a split** adds the two proposed sub-codes under the code (named by the
  coder, or from each group's key terms), and a pending machine suggestion of
  each sub-code for the passages of its group, for a human to accept or reject
  (:meth:`Project.accept <qdakit.project.Project.accept>`). The code's own codings
  stay as they are.

The acceptance is recorded in the saved listing (who, when, what was done), and
the codebook edits in the project's ``codebook_changes`` with the coder's name.

Examples
--------
>>> from qdakit.themes.proposals import proposals, accept_proposal  # doctest: +SKIP
>>> proposals(project)[["id", "kind", "codes", "status"]]  # doctest: +SKIP
>>> accept_proposal(project, "merge-1", "JR", keep="Communication").message  # doctest: +SKIP
'JR merged Talking into Communication: 12 codings recoded.'
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from qdakit.errors import CodebookError, CodingError
from qdakit.io.output import atomic_write
from qdakit.model import Suggestion, utcnow
from qdakit.project import Project
from qdakit.themes.candidates import MergeProposal, SplitProposal
from qdakit.themes.project_themes import SavedThemes, load_themes, themes_path

__all__ = ["AcceptedProposal", "accept_merge", "accept_proposal", "accept_split", "proposals", "split_names"]

SPLIT_MODEL = "qdakit.themes:split"


@dataclass(frozen=True)
class AcceptedProposal:
    """What accepting a proposal did: ``codes`` are (merged, kept) for a merge, (code, sub-code, sub-code)
    for a split; ``message`` is one line for the coder."""

    id: str
    kind: str
    codes: tuple[str, ...]
    codings_moved: int
    suggestions_added: int
    message: str


def _ids(saved: SavedThemes) -> dict[str, MergeProposal | SplitProposal]:
    return {**{f"merge-{i}": m for i, m in enumerate(saved.merges, 1)},
            **{f"split-{i}": s for i, s in enumerate(saved.splits, 1)}}


def proposals(project: Project, *, path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The merge and split proposals of the last saved listing, with their state now.

    Columns: id (``merge-1``, ``split-1`` ...), kind (merge, split), codes (the
    two codes of a merge, the one code of a split), reason (one line), status
    (``open``; ``accepted``; ``stale``: a code is no longer in the codebook or was
    merged since), accepted_by, sub_groups (for a split: the number of passages
    and key terms of each group). Empty when no listing was saved.
    """
    cols = ["id", "kind", "codes", "reason", "status", "accepted_by", "sub_groups"]
    p = Path(path) if path is not None else themes_path(project.path)
    if not p.is_file():
        return pd.DataFrame(columns=cols)
    saved = load_themes(p)
    live = {c.name for c in project.codebook} - set(project.merged_codes())
    rows = []
    for pid, prop in _ids(saved).items():
        codes: tuple[str, ...] = prop.codes if isinstance(prop, MergeProposal) else (prop.code,)
        done = saved.accepted.get(pid)
        status = "accepted" if done else "open" if set(codes) <= live else "stale"
        if isinstance(prop, MergeProposal):
            reason, groups = f"merge {codes[0]} and {codes[1]}? {prop.reason}", None
        else:
            groups = [(len(g), list(t)) for g, t in zip(prop.groups, prop.labels, strict=True)]
            reason = (f"split {prop.code}? its passages fall into two groups (silhouette {prop.silhouette:.2f}): "
                      + " vs ".join(f"{n} about {', '.join(t[:4]) or '?'}" for n, t in groups))
        rows.append({"id": pid, "kind": "merge" if isinstance(prop, MergeProposal) else "split", "codes": codes,
                     "reason": reason, "status": status, "accepted_by": done.get("coder") if done else None,
                     "sub_groups": groups})
    return pd.DataFrame(rows, columns=cols)


def split_names(proposal: SplitProposal) -> tuple[str, str]:
    """Default names of a split's sub-codes: the code and each group's first key terms."""
    names = [f"{proposal.code}: {', '.join(t[:2])}" if t else f"{proposal.code} (part {i})"
             for i, t in enumerate(proposal.labels, 1)]
    if names[0].casefold() == names[1].casefold():
        names = [f"{n} (part {i})" for i, n in enumerate(names, 1)]
    return names[0], names[1]


def accept_merge(project: Project, proposal: MergeProposal, coder: str, *, keep: str | None = None,
                 proposal_id: str = "") -> AcceptedProposal:
    """Merge the two codes of ``proposal``, keeping ``keep`` (default: the one with more active codings,
    the first on a tie); see :meth:`Project.merge_codes <qdakit.project.Project.merge_codes>`."""
    a, b = proposal.codes
    if keep is None:
        counts = project.codings()["code"].value_counts()
        keep = b if counts.get(b, 0) > counts.get(a, 0) else a
    if keep.casefold() not in (a.casefold(), b.casefold()):
        raise CodebookError(f"merge proposal {proposal_id or f'{a} + {b}'}: keep one of its two codes, {a!r} or "
                            f"{b!r}, not {keep!r}.")
    kept, merged = (a, b) if keep.casefold() == a.casefold() else (b, a)
    moved = project.merge_codes(merged, kept, coder)
    return AcceptedProposal(proposal_id, "merge", (merged, kept), moved, 0,
                            f"{coder.strip()} merged {merged} into {kept}: {moved} coding(s) recoded.")


def accept_split(project: Project, proposal: SplitProposal, coder: str, *,
                 names: Sequence[str] | None = None, suggest: bool = True, proposal_id: str = "") -> AcceptedProposal:
    """Add the two sub-codes of ``proposal`` under its code, all or nothing.

    ``names``: the two sub-codes' names (default :func:`split_names`). With
    ``suggest``, each passage of a group gets a pending suggestion of its
    sub-code (score: the split's silhouette), for a human to accept or reject;
    no coding is made or changed.
    """
    if not coder or not coder.strip():
        raise CodingError("accepting a split needs a named human coder (coder='JR')")
    names = tuple(names) if names is not None else split_names(proposal)
    if len(names) != 2:
        raise CodebookError(f"split of {proposal.code!r}: give two names, one for each group of passages.")
    known = set(project.segments()["id"]) if suggest else set()
    gone = [s for g in proposal.groups for s in g if s not in known] if suggest else []
    if gone:
        raise CodingError(f"split of {proposal.code!r} names segments no longer in {project.path} ({gone[0]}"
                          f"{' ...' if len(gone) > 1 else ''}); list the themes again (`qdakit themes`).")
    when = utcnow().date().isoformat()
    added: list[Suggestion] = []
    with project.transaction():
        made = []
        for name, group, terms in zip(names, proposal.groups, proposal.labels, strict=True):
            about = f" about {', '.join(terms[:5])}" if terms else ""
            made.append(project.add_code(name, coder, parent=proposal.code, description=(
                f"Split from {proposal.code} by {coder.strip()} on {when}: its {len(group)} passages{about}.")))
            if suggest:
                reason = (f"split of {proposal.code} accepted by {coder.strip()}: this passage is in the group"
                          f"{about or ' ' + name}")
                added += [Suggestion(s, made[-1].name, min(1.0, max(0.0, proposal.silhouette)), SPLIT_MODEL, reason)
                          for s in group]
        project.add_suggestions(added)
    return AcceptedProposal(proposal_id, "split", (proposal.code, *(c.name for c in made)), 0, len(added),
                            f"{coder.strip()} split {proposal.code} into {made[0].name} and {made[1].name}"
                            + (f"; {len(added)} suggestion(s) to review." if added else "."))


def accept_proposal(project: Project, proposal_id: str, coder: str, *, keep: str | None = None,
                    names: Sequence[str] | None = None, path: str | os.PathLike[str] | None = None) -> AcceptedProposal:
    """Accept proposal ``proposal_id`` (``merge-1``, ``split-2`` ...) of the listing saved beside the project.

    ``keep`` chooses the kept code of a merge, ``names`` the sub-codes of a
    split. Recorded in the listing; a proposal already accepted is refused.

    Raises
    ------
    CodebookError
        Unknown or already accepted id, a code no longer there, a name taken.
    ProjectError
        No listing saved (run ``qdakit themes`` first).
    """
    p = Path(path) if path is not None else themes_path(project.path)
    saved = load_themes(p)
    found = _ids(saved)
    if proposal_id not in found:
        raise CodebookError(f"no proposal {proposal_id!r} in the last listing (ids: {', '.join(found) or 'none'}). "
                            "Run `qdakit themes` to list them again.")
    done = saved.accepted.get(proposal_id)
    if done:
        raise CodebookError(f"proposal {proposal_id} was already accepted by {done['coder']} ({done['message']}).")
    prop = found[proposal_id]
    if isinstance(prop, MergeProposal):
        result = accept_merge(project, prop, coder, keep=keep, proposal_id=proposal_id)
    else:
        result = accept_split(project, prop, coder, names=names, proposal_id=proposal_id)
    _record(p, proposal_id, {"coder": coder.strip(), "at": utcnow().isoformat(), "codes": list(result.codes),
                             "message": result.message})
    return result


def _record(path: Path, proposal_id: str, what: dict[str, Any]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.setdefault("accepted", {})[proposal_id] = what
    raw = json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8", "replace")
    atomic_write(path, lambda f: f.write(raw))

"""What importing a REFI-QDA codebook would change in the project's own codes: renames and new definitions.

A code in a ``.qdpx`` with the guid (or, failing that, the name) of a project
code *is* that code: importing gives it the file's name and definition, and
every coding of it then reads the new name. That never happens silently:
:func:`code_changes` lists each rename and each change of definition
(description, inclusion, exclusion, examples) for the import report, and
:func:`refuse_unaccepted` stops the import, before anything is written, when
human codings use a code that would change, unless the user accepted it
(``accept_renames=True``, ``qdakit import --accept-renames``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from qdakit.errors import CodebookError
from qdakit.model import Code
from qdakit.project import Project

__all__ = ["CodeChange", "code_changes", "refuse_unaccepted"]

_DEFINITION = ("description", "inclusion", "exclusion", "examples")


@dataclass(frozen=True)
class CodeChange:
    """One project code the import would change: its name before and after, what else changes, who uses it."""

    guid: str
    old_name: str
    new_name: str
    fields: tuple[str, ...]  # of _DEFINITION, those that change
    human_codings: int  # active human codings of the code
    coders: tuple[str, ...]

    def describe(self) -> str:
        what = []
        if self.old_name != self.new_name:
            what.append(f"renamed {self.old_name!r} -> {self.new_name!r}")
        if self.fields:
            what.append(f"{'its ' if what else f'{self.old_name!r}: '}new {', '.join(self.fields)}")
        used = (f"; used by {self.human_codings} human coding(s) of {', '.join(self.coders)}"
                if self.human_codings else "")
        return f"code {' and '.join(what)} ({self.guid}){used}"


def code_changes(project: Project, codes: list[Code]) -> list[CodeChange]:
    """The project codes that ``codes`` (read from a file) would rename or redefine, matched as on load."""
    current = {c.name.casefold(): c for c in project.codebook}
    by_guid = {c.guid: c for c in current.values()}
    changes = [(old, new) for new in codes
               if (old := by_guid.get(new.guid) or current.get(new.name.casefold())) is not None]
    changes = [(old, new) for old, new in changes
               if old.name != new.name or any(_field(old, f) != _field(new, f) for f in _DEFINITION)]
    if not changes:
        return []
    codings = project.codings()
    uses = Counter(codings["code"])
    coders = codings.groupby("code")["coder"].agg(lambda s: tuple(sorted(set(s)))).to_dict()
    return [CodeChange(old.guid, old.name, new.name, tuple(f for f in _DEFINITION if _field(old, f) != _field(new, f)),
                       uses.get(old.name, 0), coders.get(old.name, ())) for old, new in changes]


def _field(code: Code, name: str) -> object:
    value = getattr(code, name)
    return tuple(e.strip() for e in value) if name == "examples" else (value or "").strip()


def refuse_unaccepted(changes: list[CodeChange], where: str, accept: bool) -> None:
    """Raise unless every change to a code that human codings use was accepted."""
    in_use = [c for c in changes if c.human_codings]
    if in_use and not accept:
        listed = "; ".join(c.describe() for c in in_use[:5]) + ("; ..." if len(in_use) > 5 else "")
        raise CodebookError(
            f"{where}: the file would change {len(in_use)} code(s) that human codings use, and those codings "
            f"would then read the new name or definition: {listed}. Nothing was imported. If the change is "
            "intended, import again with --accept-renames (accept_renames=True); else rename the codes back "
            "in the other tool, or give them new guids there.")

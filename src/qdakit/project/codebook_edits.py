"""Editing the codebook one change at a time, by a named coder, with the history kept.

A researcher grows the codebook while coding (open coding, as thematic analysis
starts): adds a code, writes or changes its definition, renames it, moves it
under another, merges two near-duplicates. Each change is one transaction,
validated as ``qdakit codebook load`` validates a file (names non-empty and
unique case-insensitively, every parent known, no cycle; control characters are
refused here, where a file's are removed with a warning), and recorded in the
``codebook_changes`` table with the coder's name, what changed and when
(:meth:`CodebookEdits.codebook_changes`). Every error is one line naming the code
and the fix, and leaves the project as it was.

A **merge** never deletes: each active human coding of the merged code, of every
coder, is superseded by a new coding of the kept code that keeps its coder, span
and memo (with a note of the merge); the merging coder is recorded as who
superseded it. The merged code stays in the codebook (the schema keeps a used
code) with a note at the head of its definition, its sub-codes move under the
kept code, and its pending machine suggestions are set aside as superseded.

Anonymisation choices (table ``anonymise_choices``): a human's decision to keep
or replace a name the anonymiser found, stored here and applied by
:meth:`qdakit.analysis.anonymise.Anonymiser.for_project`.

:class:`CodebookEdits` is a base class (a mixin) of :class:`~qdakit.project.Project`,
which provides the connection (``_con``), ``path`` and ``codebook``.

Examples
--------
>>> import tempfile, pathlib
>>> from qdakit import Project
>>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.qdakit") as p:
...     _ = p.add_code("Trust", "JR", description="Partners rely on each other")
...     _ = p.add_code("Mistrust", "JR", parent="Trust")
...     p.rename_code("Mistrust", "Distrust", "AB").name
...     p.codebook_changes()[["coder", "action", "code"]].values.tolist()
'Distrust'
[['JR', 'add', 'Trust'], ['JR', 'add', 'Distrust'], ['AB', 'rename', 'Distrust']]
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from qdakit.errors import CodebookError
from qdakit.model import Code, Codebook, utcnow
from qdakit.project import store
from qdakit.project.store import _ts

__all__ = ["CodebookEdits", "ANONYMISE_CHOICES"]

#: the two answers a human gives to a name the anonymiser found
ANONYMISE_CHOICES = ("keep", "replace")
_TEXT_FIELDS = ("description", "inclusion", "exclusion")


def _control(text: str, *, lines: bool) -> str | None:
    """The first control character in ``text`` (tab and line breaks allowed where ``lines``), as U+XXXX."""
    for ch in text:
        if unicodedata.category(ch) == "Cc" and not (lines and ch in "\t\n\r"):
            return f"U+{ord(ch):04X}"
    return None


def _name(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CodebookError(f"{what}: a code needs a non-empty name; type one (e.g. 'Trust').")
    bad = _control(value, lines=False)
    if bad:
        raise CodebookError(f"{what}: the name {value!r} holds a control character ({bad}); "
                            "type it again without it (names are one line of plain text).")
    return value.strip()


def _text(value: str, field: str, code: str) -> str:
    if not isinstance(value, str):
        raise CodebookError(f"code {code!r}: the {field} must be text, not {type(value).__name__}.")
    bad = _control(value, lines=True)
    if bad:
        raise CodebookError(f"code {code!r}: the {field} holds a control character ({bad}); remove it "
                            "(tabs and line breaks are fine).")
    return value.strip()


def _coder(coder: object, action: str) -> str:
    if not isinstance(coder, str) or not coder.strip() or _control(coder, lines=False):
        raise CodebookError(f"{action} needs the name of the human coder who does it (coder='JR'), "
                            "one line of plain text.")
    return coder.strip()


class CodebookEdits:
    """Codebook edits and anonymisation choices of a project (mixed into :class:`Project`)."""

    path: Path
    _con: sqlite3.Connection

    if TYPE_CHECKING:  # provided by Project
        @property
        def codebook(self) -> Codebook: ...

    # -- helpers ----------------------------------------------------------------
    def _existing(self, name: object, what: str) -> Code:
        """The code named ``name`` (case-insensitively), read inside the caller's transaction."""
        key = _name(name, what)
        for c in self.codebook:
            if c.name.casefold() == key.casefold():
                return c
        names = ", ".join(c.name for c in list(self.codebook)[:12]) or "none yet"
        raise CodebookError(f"{what}: no code {key!r} in the codebook (codes: {names}); check the spelling, "
                            "or add it first.")

    def _free(self, name: str, what: str, *, but: str | None = None) -> None:
        """Refuse ``name`` if another code (not the one of guid ``but``) has it, in any case."""
        for c in self.codebook:
            if c.name.casefold() == name.casefold() and c.guid != but:
                raise CodebookError(f"{what}: a code named {c.name!r} is already in the codebook (names are "
                                    "unique, whatever their case); choose another name, or merge into that code.")

    def _log(self, con: sqlite3.Connection, coder: str, action: str, guid: str, detail: dict[str, Any]) -> None:
        con.execute("INSERT INTO codebook_changes (coder, action, code_guid, detail, created) VALUES (?,?,?,?,?)",
                    (coder, action, guid, json.dumps(detail, ensure_ascii=False), _ts(utcnow())))

    @staticmethod
    def _validate(codes: list[Code], what: str) -> None:
        """The final codebook checked as a loaded file is (unique names, known parents, no cycle)."""
        Codebook(codes, source=what)

    def _get(self, guid: str) -> Code:
        return next(c for c in self.codebook if c.guid == guid)

    # -- edits ------------------------------------------------------------------
    def add_code(self, name: str, coder: str, *, parent: str | None = None, description: str = "",
                 inclusion: str = "", exclusion: str = "") -> Code:
        """Add a code to the codebook (under ``parent``, or top-level), recorded as ``coder``'s change.

        Raises :class:`CodebookError` if the name is empty, holds a control
        character, or is taken (case-insensitively), or if ``parent`` is not a code.
        """
        who = _coder(coder, "adding a code")
        new = _name(name, "adding a code")
        what = f"adding code {new!r}"
        texts = {f: _text(v, f, new) for f, v in zip(_TEXT_FIELDS, (description, inclusion, exclusion), strict=True)}
        with store.transaction(self._con) as con:
            self._free(new, what)
            up = self._existing(parent, what) if parent is not None and str(parent).strip() else None
            code = Code(new, up.name if up else None, texts["description"], texts["inclusion"], texts["exclusion"],
                        guid=str(uuid.uuid4()))
            self._validate([*self.codebook, code], what)
            pos = con.execute("SELECT coalesce(max(position), -1) + 1 FROM codes").fetchone()[0]
            con.execute("INSERT INTO codes (guid, name, parent, description, inclusion, exclusion, position) "
                        "VALUES (?,?,?,?,?,?,?)", (code.guid, new, up.guid if up else None, *texts.values(), pos))
            self._log(con, who, "add", code.guid, {"name": new, "parent": code.parent, **texts})
        return self._get(code.guid)

    def edit_code(self, name: str, coder: str, *, description: str | None = None, inclusion: str | None = None,
                  exclusion: str | None = None) -> Code:
        """Change a code's definition, inclusion or exclusion note (None: leave as is).

        The history row holds each changed field as ``[old, new]``; a call that
        changes nothing writes no row.
        """
        who = _coder(coder, "editing a code")
        with store.transaction(self._con) as con:
            old = self._existing(name, "editing a code")
            new = {f: _text(v, f, old.name) for f, v in zip(_TEXT_FIELDS, (description, inclusion, exclusion),
                                                           strict=True) if v is not None}
            changed = {f: [getattr(old, f), v] for f, v in new.items() if getattr(old, f) != v}
            if changed:
                con.execute(f"UPDATE codes SET {', '.join(f'{f} = ?' for f in changed)} WHERE guid = ?",
                            (*(v[1] for v in changed.values()), old.guid))
                self._log(con, who, "edit", old.guid, {"name": old.name, **changed})
        return self._get(old.guid)

    def rename_code(self, old: str, new: str, coder: str) -> Code:
        """Rename a code; its codings, suggestions and sub-codes follow it (they point to it, not its name)."""
        who = _coder(coder, "renaming a code")
        with store.transaction(self._con) as con:
            code = self._existing(old, "renaming a code")
            to = _name(new, f"renaming code {code.name!r}")
            if to == code.name:
                return code
            what = f"renaming code {code.name!r} to {to!r}"
            self._free(to, what, but=code.guid)
            codes = [Code(to if c.guid == code.guid else c.name, to if c.parent == code.name else c.parent,
                          guid=c.guid) for c in self.codebook]
            self._validate(codes, what)
            con.execute("UPDATE codes SET name = ? WHERE guid = ?", (to, code.guid))
            self._log(con, who, "rename", code.guid, {"from": code.name, "to": to})
        return self._get(code.guid)

    def move_code(self, name: str, parent: str | None, coder: str) -> Code:
        """Move a code under ``parent`` (None: to the top level), with its sub-codes.

        Raises :class:`CodebookError` if ``parent`` is the code itself or one of
        its sub-codes (a code cannot be its own ancestor).
        """
        who = _coder(coder, "moving a code")
        with store.transaction(self._con) as con:
            code = self._existing(name, "moving a code")
            what = f"moving code {code.name!r}"
            up = self._existing(parent, what) if parent is not None and str(parent).strip() else None
            cb = self.codebook
            if up is not None and code.name in cb.path(up.name):
                itself = "the code itself" if up.guid == code.guid else "one of its sub-codes"
                raise CodebookError(f"{what} under {up.name!r}: that is {itself}, and a code cannot be its own "
                                    f"ancestor; move it under another code, or move {up.name!r} out first.")
            target = up.name if up else None
            if target == code.parent:
                return code
            self._validate([Code(c.name, target if c.guid == code.guid else c.parent, guid=c.guid) for c in cb], what)
            con.execute("UPDATE codes SET parent = ? WHERE guid = ?", (up.guid if up else None, code.guid))
            self._log(con, who, "move", code.guid, {"name": code.name, "from": code.parent, "to": target})
        return self._get(code.guid)

    def merge_codes(self, source: str, target: str, coder: str) -> int:
        """Merge code ``source`` into ``target``: ``coder`` decides they are one code.

        Every active human coding of ``source`` (of every coder) is superseded
        by a new coding of ``target`` with the same segment, coder, span and
        memo, plus a note of the merge; the superseded coding records ``coder``
        as who superseded it, and the new one points to it (``supersedes``).
        Where that coder already has the same coding of ``target``, no second
        one is made. ``source``'s sub-codes move under ``target``; its pending
        machine suggestions are set aside (superseded, kept for history); the
        code itself stays in the codebook, its definition opening with
        ``Merged into TARGET by CODER on DATE.`` Nothing is deleted. Merging
        a code again is refused while it holds no coding since its last merge
        (two coders accepting the same proposal make one merge).

        Returns the number of ``source`` codings moved to ``target``.

        Raises
        ------
        CodebookError
            Unknown code, the same code twice, ``target`` a sub-code of
            ``source`` (move it out first), ``source`` already merged, or
            ``target`` merged into another code.
        """
        who = _coder(coder, "merging codes")
        now = _ts(utcnow())
        with store.transaction(self._con) as con:
            src = self._existing(source, "merging codes")
            dst = self._existing(target, f"merging {src.name!r}")
            what = f"merging {src.name!r} into {dst.name!r}"
            if src.guid == dst.guid:
                raise CodebookError(f"{what}: that is the same code; choose two different codes.")
            into = self.merged_codes().get(dst.name)
            if into is not None:
                raise CodebookError(f"{what}: {dst.name!r} was itself merged into {into!r}; merge into {into!r} "
                                    "instead.")
            cb = self.codebook
            if src.name in cb.path(dst.name):
                raise CodebookError(f"{what}: {dst.name!r} is a sub-code of {src.name!r}; move it out first "
                                    "(move_code), or merge the other way round.")
            children = [c.name for c in cb.children(src.name)]
            note = f"Merged into {dst.name} by {who} on {now[:10]}."
            description = f"{note}\n\n{src.description}" if src.description else note
            self._validate([Code(c.name, dst.name if c.name in children else c.parent, guid=c.guid) for c in cb], what)
            rows = con.execute("SELECT * FROM codings WHERE code_guid = ? AND status = 'active' ORDER BY id",
                               (src.guid,)).fetchall()
            earlier = con.execute("SELECT coder, detail FROM codebook_changes WHERE action = 'merge' AND code_guid = ? "
                                  "ORDER BY id DESC LIMIT 1", (src.guid,)).fetchone()
            if earlier is not None and not rows:  # e.g. two coders accepting the same proposal at once
                into = json.loads(earlier["detail"]).get("target", "?")
                raise CodebookError(f"{what}: {src.name!r} was already merged into {into!r} by {earlier['coder']} "
                                    "and holds no coding since; nothing is left to merge.")
            moved: list[list[int]] = []
            for r in rows:
                same = con.execute('SELECT id FROM codings WHERE status = \'active\' AND segment_id = ? AND '
                                   'code_guid = ? AND coder = ? AND start IS ? AND "end" IS ? ORDER BY id LIMIT 1',
                                   (r["segment_id"], dst.guid, r["coder"], r["start"], r["end"])).fetchone()
                if same is None:
                    memo = (f"{r['memo']}\n" if r["memo"] else "") + f"[{note[:-1]}: was {src.name}]"
                    cur = con.execute('INSERT INTO codings (segment_id, code_guid, coder, start, "end", memo, '
                                      "created, status, supersedes) VALUES (?,?,?,?,?,?,?,'active',?)",
                                      (r["segment_id"], dst.guid, r["coder"], r["start"], r["end"], memo, now,
                                       r["id"]))
                    moved.append([r["id"], int(cur.lastrowid or 0)])
                else:
                    moved.append([r["id"], same[0]])
                con.execute("UPDATE codings SET status = 'superseded', status_changed_by = ?, status_changed_at = ? "
                            "WHERE id = ?", (who, now, r["id"]))
            pending = [x[0] for x in con.execute(
                "SELECT id FROM suggestions WHERE code_guid = ? AND status = 'pending' AND id NOT IN "
                "(SELECT suggestion_id FROM superseded_suggestions) ORDER BY id", (src.guid,))]
            con.executemany("INSERT INTO superseded_suggestions VALUES (?,?,?)",
                            [(i, f"merge into {dst.name!r} by {who}", now) for i in pending])
            con.execute("UPDATE codes SET parent = ? WHERE parent = ?", (dst.guid, src.guid))
            con.execute("UPDATE codes SET description = ? WHERE guid = ?", (description, src.guid))
            self._log(con, who, "merge", src.guid, {
                "source": src.name, "target": dst.name, "target_guid": dst.guid, "codings": moved,
                "suggestions_superseded": pending, "children_moved": children})
        return len(moved)

    # -- reading ------------------------------------------------------------------
    def codebook_changes(self) -> pd.DataFrame:
        """The history of codebook edits, oldest first.

        Columns: id, created, coder, action (add, edit, rename, move, merge),
        code (its current name; None if it is no longer in the codebook),
        code_guid, detail (a dict: what changed, e.g. ``{"from": ..., "to": ...}``).
        """
        df = pd.read_sql_query(
            "SELECT h.id, h.created, h.coder, h.action, c.name AS code, h.code_guid, h.detail FROM codebook_changes h "
            "LEFT JOIN codes c ON c.guid = h.code_guid ORDER BY h.id", self._con)
        df["detail"] = [json.loads(d) for d in df["detail"]]
        df["code"] = df["code"].astype(object).where(df["code"].notna(), None)
        return df

    def merged_codes(self) -> dict[str, str]:
        """``{merged code: the code it was merged into}`` (current names; the latest merge of each code)."""
        out: dict[str, str] = {}
        names = {c.guid: c.name for c in self.codebook}
        for row in self._con.execute("SELECT code_guid, detail FROM codebook_changes WHERE action = 'merge' "
                                     "ORDER BY id"):
            dst = json.loads(row[1]).get("target_guid")
            if row[0] in names and dst in names:
                out[names[row[0]]] = names[dst]
        return out

    def code_counts(self, by: str = "coder") -> pd.DataFrame:
        """Active human codings per code: one row per code (codebook order), one column per ``by`` value.

        ``by="coder"`` (the only grouping so far) gives a code x coder table of
        counts, zeros included, with a ``total`` column; codes nobody used have
        a row of zeros. The index is the code name.
        """
        if by != "coder":
            raise CodebookError(f"code_counts(by={by!r}): counts are by 'coder' (one column per coder).")
        rows = self._con.execute("SELECT c.name, k.coder, count(*) FROM codings k JOIN codes c ON c.guid = k.code_guid "
                                 "WHERE k.status = 'active' GROUP BY c.name, k.coder").fetchall()
        names = list(self.codebook.names)
        coders = sorted({r[1] for r in rows})
        table = pd.DataFrame(0, index=pd.Index(names, name="code"), columns=pd.Index(coders, name="coder"),
                             dtype="int64")
        for name, who, n in rows:
            table.loc[name, who] = n
        table["total"] = table.sum(axis=1)
        return table

    # -- anonymisation choices ---------------------------------------------------------
    def set_anonymise_choice(self, term: str, choice: str, coder: str, *, kind: str = "",
                             replacement: str = "") -> None:
        """Store ``coder``'s choice to ``keep`` or ``replace`` ``term`` (the text as it appears), replacing an
        earlier choice of the same term. ``replacement`` (for ``replace``; empty: the anonymiser's own
        placeholder for ``kind``). Applied by :meth:`Anonymiser.for_project
        <qdakit.analysis.anonymise.Anonymiser.for_project>`."""
        who = _coder(coder, "an anonymisation choice")
        if not isinstance(term, str) or not term.strip() or _control(term, lines=False):
            raise CodebookError("an anonymisation choice needs the term as it appears in the text, one line.")
        if choice not in ANONYMISE_CHOICES:
            raise CodebookError(f"anonymisation choice {choice!r} for {term!r}: use 'keep' or 'replace'.")
        if _control(replacement, lines=False):
            raise CodebookError(f"the replacement of {term!r} holds a control character; type it on one line.")
        with store.transaction(self._con) as con:
            con.execute("INSERT OR REPLACE INTO anonymise_choices (term, kind, choice, replacement, coder, created) "
                        "VALUES (?,?,?,?,?,?)", (term.strip(), kind, choice,
                                                 replacement.strip() if choice == "replace" else "", who,
                                                 _ts(utcnow())))

    def anonymise_choices(self) -> pd.DataFrame:
        """The stored anonymisation choices. Columns: term, kind, choice, replacement, coder, created."""
        return pd.read_sql_query("SELECT term, kind, choice, replacement, coder, created FROM anonymise_choices "
                                 "ORDER BY term", self._con)

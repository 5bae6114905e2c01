"""The anonymisation review: every name the anonymiser would replace, for a human to keep or replace.

The anonymiser (:mod:`qdakit.analysis.anonymise`) finds people, organisations and
places with a statistical model: on a study's own jargon ("Scrum", "Jira", a
team's nickname) it replaces words that are not names, and it can miss a name.
One pass of human review fixes both: :func:`anonymisation_entries` lists each
distinct term the anonymiser would replace across the participants' turns, with
its kind, its replacement, how often it occurs and a few occurrences in context;
:func:`save_anonymise_choice` stores a named coder's choice for a term (``keep``:
never replaced; ``replace``: always replaced, by a given text or the anonymiser's
own placeholder), and :meth:`Anonymiser.for_project
<qdakit.analysis.anonymise.Anonymiser.for_project>` applies the saved choices, so
every export and the report use them.

Examples
--------
>>> entries = anonymisation_entries(project)  # doctest: +SKIP
>>> entries[["term", "kind", "replacement", "n", "choice"]].head(3)  # doctest: +SKIP
        term    kind     replacement   n choice
0      Scrum     org  [organisation]  41   None
1  Riverside   place         [place]   6   None
2       Dave  person      [Person 1]   3   None
>>> save_anonymise_choice(project, "Scrum", "keep", "JR")  # doctest: +SKIP
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from qdakit.analysis.anonymise import DEFAULT_SPACY_MODEL, Anonymiser, is_placeholder
from qdakit.errors import CodebookError
from qdakit.project import Project

__all__ = ["ENTRY_COLUMNS", "KINDS", "anonymisation_entries", "save_anonymise_choice"]

#: the kinds of term the anonymiser replaces
KINDS = ("participant", "researcher", "person", "org", "place", "term")
#: the columns of :func:`anonymisation_entries`
ENTRY_COLUMNS = ["term", "kind", "replacement", "n", "segments", "transcripts", "examples", "choice",
                 "chosen_replacement", "chosen_by"]


def _snippet(text: str, start: int, end: int, width: int) -> tuple[str, int, int]:
    """``text`` around ``start:end`` (about ``width`` characters each side, cut at a space), and the term's
    offsets in it."""
    a, b = max(0, start - width), min(len(text), end + width)
    if a > 0 and " " in text[a:start]:
        a = text.index(" ", a) + 1
    if b < len(text) and " " in text[end:b]:
        b = text.rindex(" ", end, b)
    lead, tail = ("…" if a > 0 else ""), ("…" if b < len(text) else "")
    snippet = lead + text[a:b] + tail
    return snippet, start - a + len(lead), end - a + len(lead)


def anonymisation_entries(project: Project, anonymiser: Anonymiser | None = None, *,
                          nlp: Any = DEFAULT_SPACY_MODEL, examples: int = 3, context: int = 60) -> pd.DataFrame:
    """One row per distinct term the anonymiser would replace in the participants' turns.

    Parameters
    ----------
    project : Project
    anonymiser : the anonymiser to review; default
        ``Anonymiser.for_project(project, nlp=nlp, choices=False)`` with the
        saved ``replace`` choices applied, so that terms a coder chose to keep
        are still listed (with their choice) and terms a coder added are too.
        A given anonymiser is used as it is.
    nlp : the spaCy pipeline of the default anonymiser
    examples : occurrences shown per term (the first ones, in transcript order)
    context : characters of text shown each side of an occurrence

    Returns
    -------
    DataFrame
        Columns (:data:`ENTRY_COLUMNS`): ``term`` (as it appears), ``kind``
        (participant, researcher, person, org, place, term: the commonest
        where a term was found as several), ``replacement`` (what the
        anonymiser puts in its place), ``n`` (occurrences), ``segments``,
        ``transcripts`` (how many hold it), ``examples`` (a list of up to
        ``examples`` dicts: segment_id, transcript_id, start and end in the
        transcript, snippet, and term_start / term_end in the snippet),
        ``choice`` (the saved ``keep``/``replace``, or None), ``chosen_replacement``
        and ``chosen_by``. Most frequent first; saved choices of terms no longer
        found are listed too, with ``n`` 0.
    """
    saved = project.anonymise_choices()
    if anonymiser is None:
        anonymiser = Anonymiser.for_project(project, nlp=nlp, choices=False)
        anonymiser.apply_choices(saved[saved["choice"] == "replace"])
    segs = project.segments()
    segs = segs[~segs["is_researcher"].astype(bool)].reset_index(drop=True)
    texts = segs["text"].fillna("").astype(str).tolist()
    found: dict[str, dict[str, Any]] = {}
    for row, text, spans in zip(segs.itertuples(index=False), texts, anonymiser.spans_many(texts), strict=True):
        for r in spans:
            e = found.setdefault(r.original, {"kinds": Counter(), "replacement": r.pseudonym, "n": 0,
                                              "segments": set(), "transcripts": set(), "examples": []})
            e["kinds"][r.kind] += 1
            e["n"] += 1
            e["segments"].add(row.id)
            e["transcripts"].add(row.transcript_id)
            if len(e["examples"]) < examples:
                snippet, ts, te = _snippet(text, r.start, r.end, context)
                e["examples"].append({"segment_id": row.id, "transcript_id": row.transcript_id,
                                      "start": int(row.start) + r.start, "end": int(row.start) + r.end,
                                      "snippet": snippet, "term_start": ts, "term_end": te})
    choices = {str(c.term): c for c in saved.itertuples(index=False)}
    rows = []
    for term, e in found.items():
        c = choices.pop(term, None)
        rows.append({"term": term, "kind": e["kinds"].most_common(1)[0][0], "replacement": e["replacement"],
                     "n": e["n"], "segments": len(e["segments"]), "transcripts": len(e["transcripts"]),
                     "examples": e["examples"], "choice": c.choice if c else None,
                     "chosen_replacement": c.replacement if c else None, "chosen_by": c.coder if c else None})
    for term, c in choices.items():  # a saved choice of a term not found now: still shown, to be undone
        rows.append({"term": term, "kind": c.kind or "term", "replacement": c.replacement or "", "n": 0,
                     "segments": 0, "transcripts": 0, "examples": [], "choice": c.choice,
                     "chosen_replacement": c.replacement, "chosen_by": c.coder})
    table = pd.DataFrame(rows, columns=ENTRY_COLUMNS)
    return table.sort_values(["n", "term"], ascending=[False, True], kind="stable").reset_index(drop=True)


def save_anonymise_choice(project: Project, term: str, choice: str, coder: str, replacement: str = "", *,
                          kind: str = "") -> None:
    """Save ``coder``'s choice for ``term``: ``keep`` it (never replaced) or ``replace`` it.

    ``replacement`` (for ``replace``): the text put in its place, e.g.
    ``[VCS organisation]``; empty: the anonymiser's own placeholder for
    ``kind``. A later choice of the same term replaces the earlier one.

    Raises
    ------
    CodebookError
        An empty term or one that is a placeholder (``[Person 1]``), a choice
        other than keep/replace, a replacement for ``keep``, a replacement that
        contains the term itself (it would publish the name), an unknown kind,
        or no coder name. Nothing is saved.
    """
    if not isinstance(term, str) or not term.strip():
        raise CodebookError("an anonymisation choice needs the term as it appears in the text (e.g. 'Riverside').")
    term = term.strip()
    if is_placeholder(term):
        raise CodebookError(f"{term!r} is a placeholder, not a name; choose for the name it stands for.")
    if choice not in ("keep", "replace"):
        raise CodebookError(f"anonymisation choice {choice!r} for {term!r}: use 'keep' (never replaced) or "
                            "'replace' (always replaced).")
    if kind not in (*KINDS, ""):
        raise CodebookError(f"anonymisation choice for {term!r}: unknown kind {kind!r}; use one of {', '.join(KINDS)}.")
    replacement = (replacement or "").strip()
    if choice == "keep" and replacement:
        raise CodebookError(f"keeping {term!r} leaves it as it is: give no replacement, or choose 'replace'.")
    if replacement and term.casefold() in replacement.casefold():
        raise CodebookError(f"the replacement {replacement!r} contains {term!r} itself and would publish it; "
                            "use a placeholder such as [VCS organisation].")
    project.set_anonymise_choice(term, choice, coder, kind=kind, replacement=replacement)

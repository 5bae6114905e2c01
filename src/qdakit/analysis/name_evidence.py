"""Project-wide evidence that a word the NER model tagged as a name is an ordinary word.

The small spaCy model tags much of a study's own vocabulary as people,
organisations or places ("Hotfix 2 went out", "Checks the diff", "an
SDK"). One occurrence says little; the whole project says more. The
anonymiser observes every text of the project (:meth:`NameEvidence.add`) and
asks, for a one-word entity:

* :meth:`~NameEvidence.common_word`: is the word, or a form of it ("hotfix",
  "hotfixes"; "rebase", "rebasing"), written in lower case at least as
  often as it is capitalised inside a sentence? Then it is a common word that
  a sentence or a heading capitalised. A name is capitalised wherever it
  falls. (For a word tagged as a person, the word itself must be more often
  in lower case: "Mark" and "mark".)
* :meth:`~NameEvidence.rarely_tagged`: does the model tag the word as a name
  in only a minority of its capitalised occurrences (at least three)? Then
  the model itself does not believe it.
* :meth:`~NameEvidence.countable`: is an acronym used as a countable noun
  somewhere ("an SDK.", "a CRM,", "two SLAs")? An organisation's acronym is a
  proper noun: never "an NHS." nor "NHSs".

Only the project's own texts are evidence: no word list, no list of known
acronyms. An acronym with no such evidence ("the UI", "BDD") cannot be told
from an organisation's ("the NHS") this way; see ``acronyms="keep"`` in
:class:`qdakit.analysis.anonymise.Anonymiser` for that trade-off.

>>> ev = NameEvidence()
>>> ev.add("The hotfix was small. Then we sent an SDK, and two SLAs.")
>>> ev.add("Hotfix 2 is on the Hotfix branch.", [(0, 6, "ORG")])
>>> ev.common_word("Hotfix"), ev.countable("SDK"), ev.countable("SLA"), ev.countable("NHS")
(True, True, True, False)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

__all__ = ["NameEvidence", "NAME_LABELS", "is_acronym", "word_stem"]

#: spaCy entity labels that the anonymiser replaces.
NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC"})
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
# "an SDK." "a CRM, ..." "every CTO who", "a CFO herself": an acronym after an article or quantifier, then
# punctuation or a function word: used as a countable noun (not "an NHS trust", where the acronym is a modifier)
_FUNCTION_WORDS = ("who|whom|which|that|and|or|but|nor|is|was|are|were|be|been|has|had|have|will|would|can|could|"
                   "should|may|might|must|to|in|on|at|by|for|of|as|so|with|from|about|into|than|then|when|if|because|"
                   "before|after|until|while|too|again|yet|now|there|here|he|she|it|they|we|you|i|himself|herself|"
                   "itself|themselves|myself|yourself|ourselves|his|her|their|our|my|your|its")
_COUNTABLE = re.compile(r"(?<![\w-])(?:an?|An?|another|Another|each|Each|every|Every)\s+([A-Z]{2,6})"
                        r"(?=\s*(?:[.,;:!?)]|$|\s(?:" + _FUNCTION_WORDS + r")\b))", re.M)
_PLURAL = re.compile(r"(?<![\w-])([A-Z]{2,6})s(?![\w'’])")  # "SLAs", "CRMs" (not "NHS's")
_SUFFIXES = ("ings", "ing", "ies", "es", "ed", "s")
_MIN_OCCURRENCES = 3


def word_stem(word: str) -> str:
    """A crude stem for finding the lower-case forms of a word: ``"Rebases"`` -> ``"rebas"``.

    >>> [word_stem(w) for w in ("Rebases", "hotfixes", "hotfix", "checking", "Leeds")]
    ['rebas', 'hotfix', 'hotfix', 'check', 'leed']
    """
    low = word.lower()
    for suffix in _SUFFIXES:
        if low.endswith(suffix) and len(low) - len(suffix) >= 4:
            return low[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return low


def is_acronym(word: str) -> bool:
    """Two or more letters, all capitals (dots allowed): ``NHS``, ``UI``, ``G.P.S``."""
    letters = word.replace(".", "")
    return len(letters) >= 2 and letters.isalpha() and letters.isupper()


def sentence_start(text: str, pos: int) -> bool:
    """True when ``pos`` opens a sentence, a line or a quotation."""
    before = text[max(0, pos - 4):pos].rstrip(" \t\"'“‘(-")
    return not before or before[-1] in ".?!:\n[]"


class NameEvidence:
    """Counts, over a project's texts, of how each word is written and tagged."""

    def __init__(self) -> None:
        self.lower: Counter[str] = Counter()  # stem -> occurrences in lower case
        self.lower_exact: Counter[str] = Counter()  # word -> occurrences in lower case
        self.capital: Counter[str] = Counter()  # lower-case word -> capitalised occurrences inside a sentence
        self.occurrences: Counter[str] = Counter()  # word as written (capitalised) -> occurrences
        self.tagged: Counter[str] = Counter()  # word as written -> occurrences inside a name entity
        self.countable_: set[str] = set()  # acronyms seen used as countable nouns
        self.texts = 0

    def add(self, text: str, ents: Iterable[tuple[int, int, str]] | None = None) -> None:
        """Count one text; ``ents`` are the model's ``(start, end, label)`` entities, when it was run."""
        self.texts += 1
        spans = sorted((s, e) for s, e, label in ents or () if label in NAME_LABELS)
        k = 0
        for m in _WORD.finditer(text):
            word = m.group()
            if word.islower():
                self.lower[word_stem(word)] += 1
                self.lower_exact[word] += 1
                continue
            if not word[0].isupper():
                continue
            if not word.isupper() and not sentence_start(text, m.start()):
                self.capital[word.lower()] += 1
            if ents is not None:
                self.occurrences[word] += 1
                while k < len(spans) and spans[k][1] <= m.start():
                    k += 1
                if k < len(spans) and spans[k][0] <= m.start() and m.end() <= spans[k][1]:
                    self.tagged[word] += 1
        self.countable_ |= {m.group(1) for m in _COUNTABLE.finditer(text)}
        self.countable_ |= {m.group(1) for m in _PLURAL.finditer(text)}

    def common_word(self, word: str, person: bool = False) -> bool:
        """Written in lower case (in some form) at least as often as capitalised inside a sentence.

        For a word tagged as a person, stricter: the word itself, in lower
        case, more often than capitalised inside a sentence ("Mark" stays a
        name in a text that also marks things).
        """
        cap = self.capital.get(word.lower(), 0)
        if person:
            return self.lower_exact.get(word.lower(), 0) > cap
        low = self.lower.get(word_stem(word), 0)
        return low > 0 and low >= cap

    def rarely_tagged(self, word: str) -> bool:
        """Tagged as a name in fewer than half of its (at least three) capitalised occurrences."""
        n = self.occurrences.get(word, 0)
        return n >= _MIN_OCCURRENCES and 2 * self.tagged.get(word, 0) < n

    def countable(self, word: str) -> bool:
        """An acronym used as a countable noun somewhere in the project ("an SDK.", "SLAs")."""
        return word.replace(".", "") in self.countable_

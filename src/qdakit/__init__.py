"""qdakit: NLP-assisted coding of qualitative interview and focus-group transcripts.

Human coding stays authoritative: the machine suggests and counts; a person
accepts, rejects or recodes; nothing automatic overwrites or deletes a human
coding.

What a script needs is importable from here (``from qdakit import Project, CodeSuggester``);
each step also lives in its own subpackage, in the order data flows: :mod:`qdakit.io`
(readers and writers), :mod:`qdakit.project` (the store), :mod:`qdakit.embed`,
:mod:`qdakit.suggest`, :mod:`qdakit.themes`, :mod:`qdakit.agreement`, :mod:`qdakit.analysis`,
:mod:`qdakit.batch` and :mod:`qdakit.cli`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qdakit import analysis as analysis  # the content-analysis functions: qdakit.analysis.frequencies
from qdakit.errors import (
    AttributesError,
    CodebookError,
    CodingError,
    ControlCharacterWarning,
    DuplicateTranscriptError,
    ExportError,
    ImportFormatError,
    ModelLoadError,
    NotFittedError,
    ProjectBusyError,
    ProjectError,
    QdakitError,
    ReplacedCharacterWarning,
    UndefinedStatisticWarning,
)
from qdakit.io.codebook import read_codebook, write_codebook
from qdakit.io.codings import import_codings
from qdakit.io.importer import ImportReport, apply_attributes, import_files
from qdakit.io.segment import read_questions
from qdakit.model import Code, Codebook, Coding, Decision, Segment, Suggestion, Transcript
from qdakit.project import Project

if TYPE_CHECKING:  # the heavier steps (scikit-learn, torch, matplotlib) load on first use
    from qdakit.agreement import (
        AgreementResult,
        cohen_kappa,
        fleiss_kappa,
        gwet_ac1,
        krippendorff_alpha,
        percent_agreement,
        scott_pi,
    )
    from qdakit.analysis.anonymise import Anonymiser
    from qdakit.analysis.quotes import exemplar_quotes
    from qdakit.analysis.report import build_report
    from qdakit.batch import run_batch
    from qdakit.embed import CachedEmbedder, EmbeddingCache, FakeEmbedder, SentenceTransformerEmbedder
    from qdakit.io.refi import export_qdpx, import_qdpx, read_qdc, write_qdc
    from qdakit.suggest import CodeSuggester, accept_above, fit_suggester, next_to_code
    from qdakit.suggest.precode import precode
    from qdakit.themes import ThemeClusterer, adopt, fit_project_themes

del TYPE_CHECKING

#: public names whose modules load on first use, so that ``import qdakit`` (and the CLI) stays quick
_LAZY = {
    "AgreementResult": "qdakit.agreement",
    "Anonymiser": "qdakit.analysis.anonymise",
    "CachedEmbedder": "qdakit.embed",
    "CodeSuggester": "qdakit.suggest",
    "EmbeddingCache": "qdakit.embed",
    "FakeEmbedder": "qdakit.embed",
    "SentenceTransformerEmbedder": "qdakit.embed",
    "ThemeClusterer": "qdakit.themes",
    "accept_above": "qdakit.suggest",
    "adopt": "qdakit.themes",
    "build_report": "qdakit.analysis.report",
    "cohen_kappa": "qdakit.agreement",
    "exemplar_quotes": "qdakit.analysis.quotes",
    "export_qdpx": "qdakit.io.refi",
    "fit_project_themes": "qdakit.themes",
    "fit_suggester": "qdakit.suggest",
    "fleiss_kappa": "qdakit.agreement",
    "gwet_ac1": "qdakit.agreement",
    "import_qdpx": "qdakit.io.refi",
    "krippendorff_alpha": "qdakit.agreement",
    "next_to_code": "qdakit.suggest",
    "percent_agreement": "qdakit.agreement",
    "precode": "qdakit.suggest.precode",
    "read_qdc": "qdakit.io.refi",
    "run_batch": "qdakit.batch",
    "scott_pi": "qdakit.agreement",
    "write_qdc": "qdakit.io.refi",
}


def __getattr__(name: str) -> object:
    from importlib import import_module

    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'qdakit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__version__ = "0.1.0"

__all__ = [
    "AgreementResult",
    "Anonymiser",
    "AttributesError",
    "CachedEmbedder",
    "Code",
    "CodeSuggester",
    "Codebook",
    "CodebookError",
    "Coding",
    "CodingError",
    "ControlCharacterWarning",
    "Decision",
    "DuplicateTranscriptError",
    "EmbeddingCache",
    "ExportError",
    "FakeEmbedder",
    "ImportFormatError",
    "ImportReport",
    "ModelLoadError",
    "NotFittedError",
    "Project",
    "ProjectBusyError",
    "ProjectError",
    "QdakitError",
    "ReplacedCharacterWarning",
    "Segment",
    "SentenceTransformerEmbedder",
    "Suggestion",
    "ThemeClusterer",
    "Transcript",
    "UndefinedStatisticWarning",
    "accept_above",
    "adopt",
    "apply_attributes",
    "build_report",
    "cohen_kappa",
    "exemplar_quotes",
    "export_qdpx",
    "fit_project_themes",
    "fit_suggester",
    "fleiss_kappa",
    "gwet_ac1",
    "import_codings",
    "import_files",
    "import_qdpx",
    "krippendorff_alpha",
    "next_to_code",
    "percent_agreement",
    "precode",
    "read_codebook",
    "read_qdc",
    "read_questions",
    "run_batch",
    "scott_pi",
    "write_codebook",
    "write_qdc",
    "__version__",
]

"""qdakit: NLP-assisted coding of qualitative interview and focus-group transcripts.

Human coding stays authoritative: the machine suggests and counts; a person
accepts, rejects or recodes; nothing automatic overwrites or deletes a human
coding.
"""

from __future__ import annotations

from . import analysis
from .errors import (
    AttributesError,
    CodebookError,
    CodingError,
    DuplicateTranscriptError,
    ExportError,
    ImportFormatError,
    NotFittedError,
    ProjectError,
    QdakitError,
    UndefinedStatisticWarning,
)
from .importer import ImportReport, apply_attributes, import_files
from .io.codebook import read_codebook, write_codebook
from .io.segment import read_questions
from .model import Code, Codebook, Coding, Segment, Suggestion, Transcript
from .project import Project

__version__ = "0.1.0"

__all__ = [
    "AttributesError",
    "Code",
    "Codebook",
    "CodebookError",
    "Coding",
    "CodingError",
    "DuplicateTranscriptError",
    "ExportError",
    "ImportFormatError",
    "ImportReport",
    "NotFittedError",
    "Project",
    "ProjectError",
    "QdakitError",
    "Segment",
    "Suggestion",
    "Transcript",
    "UndefinedStatisticWarning",
    "apply_attributes",
    "import_files",
    "read_codebook",
    "read_questions",
    "write_codebook",
    "__version__",
]

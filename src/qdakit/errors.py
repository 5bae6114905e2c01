"""Error types.

Every error qdakit raises derives from :class:`QdakitError` and also from the
matching built-in exception, so ``except ValueError`` keeps working for callers
that do not know about qdakit. Messages say what was wrong, where (file, line,
segment id), what is valid, and how to fix it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "QdakitError",
    "ImportFormatError",
    "CodebookError",
    "ProjectError",
    "ProjectBusyError",
    "DuplicateTranscriptError",
    "AttributesError",
    "CodingError",
    "ExportError",
    "ModelLoadError",
    "NotFittedError",
    "UndefinedStatisticWarning",
    "ControlCharacterWarning",
    "ReplacedCharacterWarning",
    "where",
]


class QdakitError(Exception):
    """Base class of every error raised by qdakit."""


class ImportFormatError(QdakitError, ValueError):
    """A transcript or data file could not be read (empty, bad encoding, malformed)."""


class CodebookError(QdakitError, ValueError):
    """A codebook is invalid: duplicate names, unknown parent, a cycle, bad file."""


class ProjectError(QdakitError, RuntimeError):
    """The project file is missing, of an unknown schema version, or inconsistent."""


class ProjectBusyError(ProjectError):
    """Another process kept the project locked for writing longer than qdakit waits."""


class DuplicateTranscriptError(QdakitError, ValueError):
    """A transcript with the same name or the same content is already in the project."""


class AttributesError(QdakitError, ValueError):
    """A participant attributes file names an unknown speaker or is malformed."""


class CodingError(QdakitError, ValueError):
    """A coding or suggestion refers to an unknown segment or code, or is not allowed."""


class ExportError(QdakitError, ValueError):
    """A project could not be written to the requested file (unknown format, bad column)."""


class ModelLoadError(QdakitError, RuntimeError):
    """A named embedding model could not be loaded (not a model folder, not in the local cache)."""


class NotFittedError(QdakitError, AttributeError):
    """A learned step was used before ``fit``."""


class UndefinedStatisticWarning(UserWarning):
    """A statistic is undefined for this input (e.g. a single category); NaN is returned."""


class ControlCharacterWarning(UserWarning):
    """Control characters (NUL, bell, form feed ...) were removed from an input file; names file and line."""


class ReplacedCharacterWarning(UserWarning):
    """An export replaced characters its format cannot hold (e.g. control characters in .xlsx); gives the count."""


def where(path: str | Path | None, line: int | None = None) -> str:
    """Format a location for an error message: ``'file.txt, line 12'``."""
    if path is None:
        return f"line {line}" if line is not None else "<input>"
    name = str(path)
    return f"{name}, line {line}" if line is not None else name

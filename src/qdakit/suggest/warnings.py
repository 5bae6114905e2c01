"""The suggester's warnings: each is also recorded in the fitted suggester's ``diagnostics_``."""

from __future__ import annotations

__all__ = [
    "EmptySegmentWarning",
    "SingleTranscriptWarning",
    "SuggesterWarning",
    "TargetPrecisionWarning",
    "UnplaceableCodeWarning",
]


class SuggesterWarning(UserWarning):
    """Base class of the suggester's warnings (each is also recorded in ``diagnostics_``)."""


class UnplaceableCodeWarning(SuggesterWarning):
    """A code has no description, inclusion notes or examples: zero-shot places it by its name alone."""


class SingleTranscriptWarning(SuggesterWarning):
    """A code's human codings all come from one transcript: no supervised model for it yet."""


class EmptySegmentWarning(SuggesterWarning):
    """Some segments are empty and were skipped."""


class TargetPrecisionWarning(SuggesterWarning):
    """For some codes no threshold reaches the target precision in cross-validation."""

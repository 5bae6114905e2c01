"""Code suggestions: the :class:`CodeSuggester` (zero-shot from the codebook, supervised from
human codings, blended), active learning, and project-level pre-coding and review.

Modules, in the order a fit uses them: :mod:`~qdakit.suggest.zeroshot` (prototypes from the
codebook), :mod:`~qdakit.suggest.features` (segments to feature rows),
:mod:`~qdakit.suggest.training` (labels from codings, examples, project frames),
:mod:`~qdakit.suggest.fitting` (one code: cross-validation, calibration, threshold),
:mod:`~qdakit.suggest.suggester` (the estimator), :mod:`~qdakit.suggest.explain` (why a segment
scores what it does), :mod:`~qdakit.suggest.crossval` (out-of-fold machine codings),
:mod:`~qdakit.suggest.active` (what to code next: the orders), :mod:`~qdakit.suggest.review_queue` (a
project's review queue: :func:`~qdakit.suggest.review_queue.review_order`, what ``qdakit next`` and the
workbench show, with reasons and each code's cross-validated kappa) and
:mod:`~qdakit.suggest.precode` (pre-coding a project, bulk accept: its function
:func:`~qdakit.suggest.precode.precode` is not re-exported here, where the name is the module).
"""

from __future__ import annotations

from qdakit.suggest.features import default_classifier
from qdakit.suggest.fitting import Classifier
from qdakit.suggest.precode import PrecodeReport, accept_above, fit_suggester, next_to_code
from qdakit.suggest.suggester import CodeSuggester
from qdakit.suggest.training import TrainingData, project_frames
from qdakit.suggest.warnings import (
    EmptySegmentWarning,
    SingleTranscriptWarning,
    SuggesterWarning,
    TargetPrecisionWarning,
    UnplaceableCodeWarning,
)

__all__ = [
    "Classifier",
    "CodeSuggester",
    "EmptySegmentWarning",
    "PrecodeReport",
    "SingleTranscriptWarning",
    "SuggesterWarning",
    "TargetPrecisionWarning",
    "TrainingData",
    "UnplaceableCodeWarning",
    "accept_above",
    "default_classifier",
    "fit_suggester",
    "next_to_code",
    "project_frames",
]

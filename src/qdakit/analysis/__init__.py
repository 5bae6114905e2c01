"""Analysis of human codings: content-analysis tables (:mod:`~qdakit.analysis.content`), exemplar
quotes (:mod:`~qdakit.analysis.quotes`), the anonymiser (:mod:`~qdakit.analysis.anonymise`),
plots (:mod:`~qdakit.analysis.plots`) and the HTML report (:mod:`~qdakit.analysis.report`).

The content-analysis functions are importable from here, as ``qdakit.analysis.frequencies``.

Examples
--------
>>> from qdakit import analysis  # doctest: +SKIP
>>> freq = analysis.frequencies(project, by="question", level="theme")  # doctest: +SKIP
>>> analysis.summarise(freq, by="question")  # doctest: +SKIP
"""

from __future__ import annotations

from qdakit.analysis.content import (
    bootstrap_counts,
    classify_themes,
    coded_units,
    cooccurrence,
    frequencies,
    summarise,
    wave_change,
)

__all__ = ["bootstrap_counts", "classify_themes", "coded_units", "cooccurrence", "frequencies", "summarise",
           "wave_change"]

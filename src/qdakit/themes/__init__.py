"""Candidate themes: cluster segments or codes, label them, propose merges and splits, adopt.

:class:`ThemeClusterer` (:mod:`~qdakit.themes.clusterer`) proposes
:class:`CandidateTheme` objects (:mod:`~qdakit.themes.candidates`) through swappable steps
(:mod:`~qdakit.themes.steps`: reducer, clusterer, labeller; c-TF-IDF in
:mod:`~qdakit.themes.ctfidf`). :mod:`~qdakit.themes.project_themes` runs it on a project, saves
the listing and adopts a theme: the only step that changes the project, and only its codebook
and pending suggestions, never a human coding.
"""

from __future__ import annotations

from qdakit.themes.candidates import CandidateTheme, MergeProposal, Quote, SplitProposal
from qdakit.themes.clusterer import ThemeClusterer
from qdakit.themes.project_themes import (
    SavedThemes,
    adopt,
    adopt_from_listing,
    fit_project_themes,
    load_themes,
    project_theme_data,
    save_themes,
    theme_table,
    themes_path,
)
from qdakit.themes.steps import (
    AgglomerativeThemes,
    Clusterer,
    CTfidfLabeller,
    HDBSCANThemes,
    KMeansThemes,
    Labeller,
    NullReducer,
    Reducer,
)

__all__ = [
    "AgglomerativeThemes",
    "CTfidfLabeller",
    "CandidateTheme",
    "Clusterer",
    "HDBSCANThemes",
    "KMeansThemes",
    "Labeller",
    "MergeProposal",
    "NullReducer",
    "Quote",
    "Reducer",
    "SavedThemes",
    "SplitProposal",
    "ThemeClusterer",
    "adopt",
    "adopt_from_listing",
    "fit_project_themes",
    "load_themes",
    "project_theme_data",
    "save_themes",
    "theme_table",
    "themes_path",
]

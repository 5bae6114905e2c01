"""Candidate themes: cluster segments or codes, label them, propose merges and splits, adopt.

:class:`ThemeClusterer` (:mod:`~qdakit.themes.clusterer`) proposes
:class:`CandidateTheme` objects (:mod:`~qdakit.themes.candidates`) through swappable steps
(:mod:`~qdakit.themes.steps`: reducer, clusterer, labeller; c-TF-IDF in
:mod:`~qdakit.themes.ctfidf`). :mod:`~qdakit.themes.project_themes` runs it on a project, saves
the listing and adopts a theme: the only step that changes the project, and only its codebook
and pending suggestions, never a human coding. :mod:`~qdakit.themes.proposals` accepts a saved
merge or split proposal by a named coder (a merge recodes through
:meth:`Project.merge_codes <qdakit.project.Project.merge_codes>`, history kept).
"""

from __future__ import annotations

from qdakit.themes.candidates import CandidateTheme, MergeProposal, Quote, SplitProposal
from qdakit.themes.clusterer import ThemeClusterer
from qdakit.themes.cooccurrence import npmi, ochiai
from qdakit.themes.inductive import CandidateCode, propose_codes
from qdakit.themes.project_themes import (
    SavedThemes,
    adopt,
    adopt_from_listing,
    exclusion_vocabulary,
    fit_project_themes,
    load_themes,
    project_theme_data,
    save_themes,
    theme_table,
    themes_path,
)
from qdakit.themes.proposals import (
    AcceptedProposal,
    accept_merge,
    accept_proposal,
    accept_split,
    proposals,
    split_names,
)
from qdakit.themes.seeding import Placement, ThemeSeed, place_codes, read_seeds, seeds_from
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
    "AcceptedProposal",
    "AgglomerativeThemes",
    "CTfidfLabeller",
    "CandidateCode",
    "CandidateTheme",
    "Clusterer",
    "HDBSCANThemes",
    "KMeansThemes",
    "Labeller",
    "MergeProposal",
    "NullReducer",
    "Placement",
    "Quote",
    "Reducer",
    "SavedThemes",
    "SplitProposal",
    "ThemeClusterer",
    "ThemeSeed",
    "accept_merge",
    "accept_proposal",
    "accept_split",
    "adopt",
    "adopt_from_listing",
    "exclusion_vocabulary",
    "fit_project_themes",
    "load_themes",
    "npmi",
    "ochiai",
    "place_codes",
    "project_theme_data",
    "propose_codes",
    "proposals",
    "read_seeds",
    "save_themes",
    "seeds_from",
    "split_names",
    "theme_table",
    "themes_path",
]

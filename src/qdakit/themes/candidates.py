"""What the clusterer proposes: candidate themes with their exemplar quotes, and proposals to merge
near-duplicate codes or split codes that are too broad. Plain frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["CandidateTheme", "MergeProposal", "Quote", "SplitProposal"]


@dataclass(frozen=True)
class Quote:
    """An exemplar quote of a theme: typical of it (``typicality``: cosine to its centroid)."""

    segment_id: str
    text: str
    attribution: str
    participant: str | None
    typicality: float


@dataclass(frozen=True)
class CandidateTheme:
    """A machine-proposed theme. It changes nothing until adopted (:func:`qdakit.themes.adopt`).

    Attributes
    ----------
    id : int
        1 for the largest theme, 2 for the next, ... (stable for one listing).
    of : "segments" or "codes"
    label : key terms, most distinctive first
    members : segment ids or code names
    member_scores : each member's cosine similarity to the theme's centroid
    size : number of members
    segments : the segments the theme covers (its members, or its codes' segments)
    quotes : exemplar quotes, typical and from different participants
    spread : ``{attribute: {value: segments}}`` over participant, sector, wave, question
    cohesion : mean of ``member_scores``
    name : the researcher's name for a seeded theme; None for a machine-proposed one
    """

    id: int
    of: str
    label: tuple[str, ...]
    members: tuple[str, ...]
    member_scores: tuple[float, ...]
    segments: tuple[str, ...]
    quotes: tuple[Quote, ...] = ()
    spread: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    cohesion: float = float("nan")
    name: str | None = None

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def headline(self) -> str:
        """The label a researcher reads: the seeded name or the two or three most distinctive
        key terms, then the most typical quote."""
        head = self.name or self.title
        return f'{head}: "{self.quotes[0].text}"' if self.quotes else head

    @property
    def title(self) -> str:
        """The first three key terms, for tables and plots."""
        return ", ".join(self.label[:3]) or f"theme {self.id}"

    @property
    def n_participants(self) -> int:
        return len(self.spread.get("participant", {}))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"spread": {k: dict(v) for k, v in self.spread.items()}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CandidateTheme:
        return cls(int(d["id"]), str(d["of"]), tuple(d["label"]), tuple(d["members"]),
                   tuple(float(x) for x in d["member_scores"]), tuple(d["segments"]),
                   tuple(Quote(**q) for q in d.get("quotes", ())),
                   {k: dict(v) for k, v in d.get("spread", {}).items()}, float(d.get("cohesion", "nan")),
                   d.get("name"))


@dataclass(frozen=True)
class MergeProposal:
    """Two codes that look like near-duplicates: close centroids and applied to the same segments."""

    codes: tuple[str, str]
    similarity: float  # cosine between the centroids of their segments' embeddings
    cooccurrence: float  # Ochiai coefficient of their segment sets
    shared_segments: int

    @property
    def reason(self) -> str:
        return (f"their segments read alike (centroid cosine {self.similarity:.2f}) and "
                f"{self.shared_segments} segments carry both (co-occurrence {self.cooccurrence:.2f})")


@dataclass(frozen=True)
class SplitProposal:
    """A code whose segments fall into two clear sub-groups (2-means, silhouette >= the threshold)."""

    code: str
    silhouette: float
    groups: tuple[tuple[str, ...], tuple[str, ...]]  # segment ids
    labels: tuple[tuple[str, ...], tuple[str, ...]]  # key terms of each group

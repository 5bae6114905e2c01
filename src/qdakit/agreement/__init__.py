"""Inter-coder agreement: coefficients over a units x coders table, and the
segment- and character-level comparisons of coders on a project.

The coefficients are pure, vectorised functions of a units x coders table of
labels (missing = None/NaN) returning an :class:`AgreementResult`; undefined
cases give NaN with a :class:`~qdakit.errors.UndefinedStatisticWarning`.
The project-level functions take the DataFrames the project store provides
(segments, codings, transcript lengths) and return DataFrames.
"""

from qdakit.agreement._base import AgreementError, AgreementResult
from qdakit.agreement._weights import WEIGHTS
from qdakit.agreement.alpha import LEVELS, krippendorff_alpha
from qdakit.agreement.character import character_agreement
from qdakit.agreement.coding import METRICS, disagreements, segment_agreement
from qdakit.agreement.coefficients import (
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    gwet_ac2,
    pairwise,
    percent_agreement,
    scott_pi,
)
from qdakit.agreement.resampling import bootstrap
from qdakit.agreement.unitizing import unitizing_alpha
from qdakit.agreement.verdict import binary_kappas, machine_verdict

__all__ = [
    "AgreementError",
    "AgreementResult",
    "LEVELS",
    "METRICS",
    "WEIGHTS",
    "binary_kappas",
    "bootstrap",
    "brennan_prediger",
    "character_agreement",
    "cohen_kappa",
    "conger_kappa",
    "disagreements",
    "fleiss_kappa",
    "gwet_ac1",
    "gwet_ac2",
    "krippendorff_alpha",
    "machine_verdict",
    "pairwise",
    "percent_agreement",
    "scott_pi",
    "segment_agreement",
    "unitizing_alpha",
]

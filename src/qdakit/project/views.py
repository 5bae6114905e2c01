"""Small views of the project's DataFrames shared by several steps (quotes, themes, the report)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["attribution"]


def attribution(row: Any, keys: Sequence[str] = ("sector", "wave")) -> str:
    """``(Participant P01, LA, Yr1)`` from a segment row's participant and attributes."""
    parts = [f"Participant {row['participant']}" if pd.notna(row.get("participant")) else "Unknown speaker"]
    parts += [str(row[k]) for k in keys if k in row and pd.notna(row[k]) and str(row[k]).strip()]
    return "(" + ", ".join(parts) + ")"

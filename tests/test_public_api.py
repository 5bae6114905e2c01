"""`qdakit.__all__` is exactly the public API (as httpx's test_exported_members)."""

from __future__ import annotations

import types

import qdakit


def test_all_names_exist():
    for name in qdakit.__all__:
        assert hasattr(qdakit, name), name


def test_every_public_member_is_exported():
    # dir() lists the names that load on first use too (qdakit.__getattr__)
    public = {name for name in dir(qdakit)
              if not name.startswith("_") and not isinstance(getattr(qdakit, name), types.ModuleType)
              and name != "annotations"}
    assert public == set(qdakit.__all__) - {"__version__"}


def test_all_is_sorted_and_unique():
    names = [n for n in qdakit.__all__ if n != "__version__"]
    assert names == sorted(names) and len(set(names)) == len(names)

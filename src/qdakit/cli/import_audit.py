"""How the command line shows import audits: a summary after ``qdakit import`` (with the count of
suspected merged turns), the full audit for ``qdakit import --check`` (each suspected merge listed),
and the transcripts with warnings and with suspected merges in ``qdakit status``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.table import Table

from qdakit.cli.common import console
from qdakit.io.audit import ImportAudit

__all__ = ["print_audit_summary", "print_full_audits", "print_audit_warnings"]


def _non_speech(audit: ImportAudit) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(audit.non_speech.items()) if v) or "-"


def print_audit_summary(audits: Mapping[str, ImportAudit]) -> None:
    """One row per transcript, then each warning; nothing about a file's quality is silent."""
    if not audits:
        return
    t = Table("transcript", "segments", "speakers", "unresolved", "merged?", "re-split", "non-speech (chars)",
              "language", title="Import audit")
    for name, a in audits.items():
        t.add_row(name, str(a.segments), str(len(a.speakers)), f"{a.unresolved_share:.1%}",
                  str(len(a.merges)), str(len(a.known_splits)), _non_speech(a), a.language or "?")
    console.print(t)
    merges = sum(len(a.merges) for a in audits.values())
    console.print(f"Suspected merged turns: {merges} (every segment searched); split by the known-speaker rule: "
                  f"{sum(len(a.known_splits) for a in audits.values())}."
                  + (" List them with `qdakit import --check FILE`." if merges else ""), highlight=False)
    for name, a in audits.items():
        for w in a.warnings:
            console.print(f"  [yellow]{name}: {w}[/yellow]", highlight=False)


def print_full_audits(audits: Mapping[str, ImportAudit]) -> None:
    """Every audit in full (``qdakit import --check``)."""
    for a in audits.values():
        console.print(a.report(), highlight=False)


def print_audit_warnings(audits: Mapping[str, Mapping[str, Any]], names: Mapping[str, str]) -> None:
    """The transcripts whose stored audit has warnings (``qdakit status``)."""
    flagged = {tid: a for tid, a in audits.items() if a.get("warnings")}
    if not flagged:
        if audits:
            console.print("[green]Import audit: no warnings.[/green]")
        return
    t = Table("transcript", "language", "unresolved", "merged?", "warnings", title="Transcripts with import warnings")
    for tid, a in flagged.items():
        chars = a.get("characters") or 1
        first = a["warnings"][0]
        more = f" (+{len(a['warnings']) - 1} more)" if len(a["warnings"]) > 1 else ""
        t.add_row(names.get(tid, tid), a.get("language") or "?", f"{a.get('unresolved', 0) / chars:.1%}",
                  str(len(a.get("merges") or a.get("merged_turns", []))),
                  (first if len(first) <= 90 else first[:89] + "…") + more)
    console.print(t)
    merged = {tid: len(a.get("merges") or a.get("merged_turns", [])) for tid, a in audits.items()}
    merged = {tid: n for tid, n in merged.items() if n}
    if merged:
        console.print("  [yellow]Suspected merged turns in: " + ", ".join(
            f"{names.get(tid, tid)} ({n})" for tid, n in merged.items()) + "[/yellow]", highlight=False)
    console.print("  [dim]See the full audit with `qdakit import --check FILE`.[/dim]")

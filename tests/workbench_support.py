"""What the workbench tests share: a small project with hard text, the app, a live server, a real Chromium.

The browser tests drive the system Chromium (Debian's ``chromium``) through Playwright for
Python. Where Chromium or Playwright is missing they skip with the reason, except in CI
(``CI`` set), where a missing browser fails the run: the end-to-end suite must never be
skipped silently there. ``make test`` installs Chromium where the machine allows it.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

from qdakit import Code, Codebook, Project, Segment, Suggestion, Transcript

TOKEN = "test-token-0123456789"
SHOTS = Path(os.environ.get("QDAKIT_SCREENSHOTS", "")) if os.environ.get("QDAKIT_SCREENSHOTS") else None

#: turns with what breaks offsets and escaping: emoji with skin tones, combining accents, CJK, CRLF, markup
TURNS = [
    ("Interviewer", "How do the partners talk to each other?"),
    ("Ann", "We meet monthly 👍🏽 and e\u0301mail a lot; the café is where it happens."),
    ("Ann", "Funding was cut,\r\nso staff time is short.\r\nThat hurts 😅 every team."),
    ("Interviewer", "And who leads?"),
    ("Bo", "协作很重要 — the council chairs, but nobody really leads."),
    ("Bo", "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\"> "
           "<a href=\"javascript:window.pwned=3\">click</a> is what I typed."),
]


def make_transcript(tid: str, turns: list[tuple[str, str]]) -> tuple[Transcript, list[Segment]]:
    parts, segs, pos = [], [], 0
    for i, (speaker, text) in enumerate(turns):
        prefix = ("\r\n\r\n" if i else "") + f"{speaker}: "
        parts.append(prefix + text)
        start = pos + len(prefix)
        segs.append(Segment(f"{tid}#{i}", tid, i, speaker, text, start, start + len(text)))
        pos = start + len(text)
    return Transcript(tid, tid, "".join(parts), source=f"{tid}.txt"), segs


def build_project(path: Path) -> Path:
    with Project.create(path) as p:
        p.add_transcripts([make_transcript("T1", TURNS),
                           make_transcript("T2", [("Interviewer", "Anything else?"),
                                                  ("Cy", "Evaluation came too late to change anything.")])])
        p.load_codebook(Codebook([
            Code("Communication", description="How partners share information", inclusion="meetings, email"),
            Code("Balance of resources", description="Money, staff and time"),
            Code("Clear leadership", description="Someone steers the partnership"),
            Code("<b>Evaluation</b>", description="<i>markup</i> in a code name is text"),
        ]))
        p.add_suggestions([
            Suggestion("T1#1", "Communication", 0.91, "m1", "like human-coded T2#1 <script>x</script>"),
            Suggestion("T1#2", "Balance of resources", 0.77, "m1", "zero-shot: similar to the definition"),
            Suggestion("T1#4", "Clear leadership", 0.55, "m1", "zero-shot"),
            Suggestion("T2#1", "<b>Evaluation</b>", 0.42, "m1", "zero-shot"),
        ])
        p.code("T1#4", "Clear leadership", "SM")
        p.code("T2#1", "<b>Evaluation</b>", "SM<script>", memo="<img src=x onerror=alert(1)>")
    return path


def login(c) -> str:
    """Log the test client in with the token; returns the page's CSRF token."""
    r = c.get(f"/transcripts?token={TOKEN}")
    assert r.status_code == 200
    import re

    return re.search(r'name="csrf-token" content="([0-9a-f]+)"', r.text).group(1)

class LiveServer:
    def __init__(self, path: Path, coder: str) -> None:
        import uvicorn

        from qdakit.web import create_app

        self.project = Project.open(path)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        app = create_app(self.project, coder, token=TOKEN, hosts={f"127.0.0.1:{self.port}"}, port=self.port)
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}"

    def login_url(self, path: str = "/transcripts") -> str:
        return f"{self.url}{path}?token={TOKEN}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
        self.project.close()

def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None

def shot(pg, name: str, tmp_path: Path) -> Path:
    """Save a screenshot of the page (into $QDAKIT_SCREENSHOTS too, to refresh the docs' images)."""
    out = tmp_path / f"{name}.png"
    pg.screenshot(path=str(out), full_page=True)
    assert out.stat().st_size > 5000
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(out, SHOTS / f"workbench-{name}.png")
    return out


"""``qdakit serve`` as a user starts it: one line with the URL, 127.0.0.1 only, the token, a clean Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from workbench_support import build_project


def _start(path: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    proc = subprocess.Popen([sys.executable, "-m", "qdakit.cli", "serve", "-p", str(path), "--coder", "JR",
                             "--no-browser", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    line = proc.stdout.readline()
    return proc, line


def _status(url: str, cookie: str | None = None) -> int:
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310 - our own local server
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_serve_prints_one_url_needs_its_token_and_stops_on_ctrl_c(tmp_path) -> None:
    path = build_project(tmp_path / "p.qdakit")
    proc, line = _start(path)
    try:
        m = re.fullmatch(r"qdakit workbench: http://127\.0\.0\.1:(\d+)/\?token=(\S+)\n", line)
        assert m, line
        port, token = m.groups()
        base = f"http://127.0.0.1:{port}"
        assert _status(f"{base}/transcripts") == 403
        assert _status(f"{base}/transcripts", cookie=f"qdakit_token_{port}={token}") == 200
        import http.cookiejar

        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with browser.open(f"{base}/?token={token}", timeout=10) as r:  # the printed link, as a browser follows it
            assert r.status == 200 and r.url == f"{base}/transcripts" and "coding as" in r.read().decode()
        with socket_to(port) as ok:
            assert ok  # listening on 127.0.0.1
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "qdakit workbench stopped." in out and "Traceback" not in err


class socket_to:
    def __init__(self, port: str) -> None:
        import socket

        self.s = socket.socket()
        self.port = int(port)

    def __enter__(self) -> bool:
        return self.s.connect_ex(("127.0.0.1", self.port)) == 0

    def __exit__(self, *exc: object) -> None:
        self.s.close()


def test_serve_needs_a_coder_and_an_existing_project(tmp_path) -> None:
    r = subprocess.run([sys.executable, "-m", "qdakit.cli", "serve", "-p", str(tmp_path / "none.qdakit"),
                        "--coder", "JR", "--no-browser"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "no such project" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "qdakit.cli", "serve", "-p", str(tmp_path / "none.qdakit"),
                        "--no-browser"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "--coder" in r.stderr


def test_another_host_is_served_with_a_warning(tmp_path) -> None:
    path = build_project(tmp_path / "p.qdakit")
    proc, line = _start(path, "--host", "0.0.0.0")
    try:
        assert line.startswith("qdakit workbench: http://0.0.0.0:")
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert "warning: listening on 0.0.0.0" in err

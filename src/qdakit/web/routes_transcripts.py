"""Routes of reading and hand-coding: ``/transcripts``, ``/transcripts/<id>`` and the coding calls its script makes.

The page's script posts JSON (with the CSRF header) to ``/api/...``; each call makes one
logged decision through :class:`~qdakit.project.decisions.DecisionLog` and answers with the
turn drawn again, so the page shows exactly what the project now holds.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from qdakit.errors import QdakitError
from qdakit.web.pages import recent_codes, transcript_rows, transcript_turns, turn
from qdakit.web.workbench import json_error, route, wb

__all__ = ["ROUTES"]


@route("/")
async def home(request: Request) -> Response:
    return RedirectResponse("/transcripts", status_code=303)


@route("/transcripts")
async def transcripts(request: Request) -> Response:
    w = wb(request)
    rows = await w.run(lambda: transcript_rows(w.project, w.coder))
    return w.render("transcripts.html", rows=rows, page="transcripts")


@route("/transcripts/{tid:path}")
async def transcript(request: Request) -> Response:
    w = wb(request)
    tid = request.path_params["tid"]

    def build() -> dict[str, Any] | None:
        found = w.project.find_transcript(id=tid)
        if found is None:
            return None
        return {"t": found, "turns": transcript_turns(w.project, tid, w.coder),
                "codes": list(w.project.codebook.names), "recent": recent_codes(w.project, w.coder),
                "last": _last(w)}

    data = await w.run(build)
    if data is None:
        return w.render("message.html", status=404, title="No such transcript",
                        message=f"No transcript {tid!r} in this project; see the list of transcripts.")
    return w.render("transcript.html", page="transcripts", show_others=request.query_params.get("others") == "1",
                    **data)


def _last(w: Any) -> list[Any]:
    return list(w.project.decisions(coder=w.coder, limit=5, include_undone=False).itertuples())


def _turn_html(w: Any, segment_id: str) -> str:
    seg = w.project.segment(segment_id)
    t = turn(w.project, seg.transcript_id, segment_id, w.coder)
    return w.env.get_template("_turn.html").render(t=t)


def _answer(w: Any, decision: Any, segment_id: str, message: str) -> JSONResponse:
    return JSONResponse({"decision": decision.id, "segment_id": segment_id, "message": message,
                         "turn_html": _turn_html(w, segment_id), "recent": recent_codes(w.project, w.coder),
                         "codes": list(w.project.codebook.names)})


def _int(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise QdakitError(f"{name} must be a whole number, not {value!r}") from None


async def _api(request: Request, act: Any) -> Response:
    """Check the CSRF token, run ``act(workbench, body)`` under the lock; a qdakit error becomes a JSON message."""
    w = wb(request)
    body = await w.check_csrf(request)

    def call() -> Response:
        try:
            return act(w, body)
        except QdakitError as exc:
            return json_error(str(exc))

    return await w.run(call)


@route("/api/code", methods=("POST",))
async def api_code(request: Request) -> Response:
    """Apply a code to a turn or an exact span; ``create: true`` first adds a new code (open coding)."""
    def act(w: Any, body: dict[str, Any]) -> Response:
        sid, code = str(body.get("segment_id", "")), str(body.get("code", "")).strip()
        start, end = _int(body.get("start"), "start"), _int(body.get("end"), "end")
        if not code:
            return json_error("type a code name first")
        with w.project.transaction():
            known = {c.casefold(): c for c in w.project.codebook.names}
            if code.casefold() in known:
                code = known[code.casefold()]
            elif body.get("create"):
                w.project.add_code(code, w.coder)
            else:
                return json_error(f"no code {code!r} in the codebook; press Enter on 'Create' to add it")
            if start is not None and end is not None:
                seg = w.project.segment(sid)
                if (start, end) == (seg.start, seg.end):
                    start = end = None  # the whole turn, as a turn coding
            d = w.project.code_span(sid, code, w.coder, start=start, end=end)
        return _answer(w, d, sid, f"coded {code}" if d.coding_made else f"you already had {code} here")

    return await _api(request, act)


@route("/api/nocode", methods=("POST",))
async def api_nocode(request: Request) -> Response:
    def act(w: Any, body: dict[str, Any]) -> Response:
        sid = str(body.get("segment_id", ""))
        d = w.project.mark_no_code(sid, w.coder)
        return _answer(w, d, sid, "marked: read, no code applies")

    return await _api(request, act)


@route("/api/remove", methods=("POST",))
async def api_remove(request: Request) -> Response:
    def act(w: Any, body: dict[str, Any]) -> Response:
        d = w.project.remove_coding(_int(body.get("coding_id"), "coding_id"), w.coder)
        return _answer(w, d, d.segment_id, f"removed {d.detail}")

    return await _api(request, act)


@route("/api/recode", methods=("POST",))
async def api_recode(request: Request) -> Response:
    def act(w: Any, body: dict[str, Any]) -> Response:
        code = str(body.get("code", "")).strip()
        known = {c.casefold(): c for c in w.project.codebook.names}
        if code.casefold() not in known:
            if not body.get("create"):
                return json_error(f"no code {code!r} in the codebook")
            w.project.add_code(code, w.coder)
            known[code.casefold()] = code
        d = w.project.recode_coding(_int(body.get("coding_id"), "coding_id"), known[code.casefold()], w.coder)
        return _answer(w, d, d.segment_id, f"recoded {d.detail}")

    return await _api(request, act)


@route("/api/undo", methods=("POST",))
async def api_undo(request: Request) -> Response:
    def act(w: Any, body: dict[str, Any]) -> Response:
        d = w.project.undo(_int(body.get("decision_id"), "decision_id"), coder=w.coder)
        return _answer(w, d, d.segment_id, f"undone: {d.kind} {d.detail}".strip())

    return await _api(request, act)


ROUTES = [home, transcripts, transcript, api_code, api_nocode, api_remove, api_recode, api_undo]

"""The review queue: ``/review``, one pending suggestion at a time, one key per decision, and undo.

Plain forms (each with the CSRF token) that the page's script submits on a key press, so
the page also works by mouse alone. A decision posts to ``/review/decide`` and the browser
is sent back to ``/review`` (the next suggestion); a suggestion that another coder decided
meanwhile is shown as a message in the page (status 409), nothing is stored twice.

Orders: ``best`` (highest score first), ``transcript`` (in reading order) and ``next``
(the order of ``qdakit next``, :func:`qdakit.suggest.review_queue.review_order`, with its reasons and
each code's cross-validated kappa; computed once per state of the human labels).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from qdakit.errors import QdakitError
from qdakit.model import looks_like_researcher
from qdakit.web.pages import reading_order, recent_codes, review_item, review_queue
from qdakit.web.workbench import route, wb

__all__ = ["ROUTES", "ORDERS"]

ORDERS = ("best", "transcript", "next")


def _state(request: Request, body: dict[str, Any] | None = None) -> tuple[str, list[int]]:
    src = body if body is not None else request.query_params
    order = str(src.get("order") or "best")
    if order not in ORDERS:
        order = "best"
    skip = [int(x) for x in str(src.get("skip") or "").split(".") if x.isdigit()][-500:]
    return order, skip


def _ranked(w: Any) -> Any:
    """What ``qdakit next`` orders (:func:`qdakit.suggest.review_queue.review_order`), with its reasons and how far
    the machine is from the coders. Fitted again after every 10 new human codings or "no code" marks (as
    ``benchmarks/what_next.py`` refits the simulated coder's model), not after each decision: a fit takes seconds."""
    labels = w.project.summary()["codings"] + len(w.project.reviewed())
    key = f"next:{labels // 10}"
    if key not in w.cache:
        import warnings

        from qdakit.suggest.review_queue import review_order

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the suggester's notes are for precode
            order = review_order(w.project, n=w.project.summary()["segments"])
        w.cache = {k: v for k, v in w.cache.items() if not k.startswith("next:")}
        w.cache[key] = order
    return w.cache[key]


def _positions(w: Any) -> dict[str, int]:
    """The reading order of the segments, kept while the project's segments stay the same."""
    key = f"order:{w.project.summary()['segments']}"
    if key not in w.cache:
        w.cache = {k: v for k, v in w.cache.items() if not k.startswith("order:")}
        w.cache[key] = reading_order(w.project)
    return w.cache[key]


def _page(w: Any, order: str, skip: list[int], message: str = "", status: int = 200,
          done: int | None = None, first: int | None = None) -> Response:
    """The review page (called inside :meth:`Workbench.run`, which holds the lock)."""
    def build() -> dict[str, Any]:
        plan = _ranked(w) if order == "next" else None
        ranked = [str(x) for x in plan.segments["id"]] if plan is not None else None
        every = w.project.suggestions()
        queue = review_queue(w.project, order, ranked, _positions(w) if order != "best" else None,
                             every[every["status"] == "pending"])
        item = review_item(w.project, queue, set(skip), w.coder, first)
        mine = every[every["decided_by"] == w.coder]
        why = dict(zip(plan.segments["id"], plan.segments["why"], strict=True)) if plan is not None else {}
        return {"item": item, "pending": len(queue), "plan": plan,
                "why": why.get(item.segment.id) if item is not None else None,
                "accepted": int((mine["status"] == "accepted").sum()),
                "rejected": int((mine["status"] == "rejected").sum()),
                "skipped": len(skip), "codes": list(w.project.codebook.names),
                "recent": recent_codes(w.project, w.coder),
                "last": list(w.project.decisions(coder=w.coder, limit=8).itertuples()),
                "done": w.project.decision(done) if done else None}

    try:
        data = build()
    except QdakitError as exc:
        empty: dict[str, Any] = {"item": None, "pending": 0, "accepted": 0, "rejected": 0, "skipped": 0,
                                 "codes": [], "recent": [], "last": [], "done": None, "plan": None, "why": None}
        data, message, status = empty, str(exc), 400
    return w.render("review.html", status=status, page="review", order=order, orders=ORDERS,
                    researcher=looks_like_researcher, skip=".".join(map(str, skip)), message=message, **data)


@route("/review")
async def review(request: Request) -> Response:
    w = wb(request)
    order, skip = _state(request)
    done, first = request.query_params.get("done", ""), request.query_params.get("first", "")
    return await w.run(lambda: _page(w, order, skip, done=int(done) if done.isdigit() else None,
                                     first=int(first) if first.isdigit() else None))


def _back(order: str, skip: list[int], done: int | None = None, first: int | None = None) -> RedirectResponse:
    params = {"order": order}
    if first is not None:
        params["first"] = str(first)
    if skip:
        params["skip"] = ".".join(map(str, skip))
    if done is not None:
        params["done"] = str(done)
    return RedirectResponse(f"/review?{urlencode(params)}", status_code=303)


@route("/review/decide", methods=("POST",))
async def decide(request: Request) -> Response:
    w = wb(request)
    body = await w.check_csrf(request)
    order, skip = _state(request, body)
    action = str(body.get("action", ""))
    try:
        sid = int(str(body.get("suggestion_id", "")))
    except ValueError:
        return await w.run(lambda: _page(w, order, skip, "no suggestion given", 400))
    if action == "skip":
        return _back(order, [*skip, sid])

    def act() -> Response:
        try:
            code = str(body.get("code") or "").strip() or None
            if action == "recode" and code is not None:
                known = {c.casefold(): c for c in w.project.codebook.names}
                if code.casefold() not in known:
                    if not body.get("create"):
                        raise QdakitError(f"no code {code!r} in the codebook")
                    w.project.add_code(code, w.coder)
                code = known.get(code.casefold(), code)
            d = w.project.decide(sid, action, w.coder, code=code)
        except QdakitError as exc:
            return _page(w, order, skip, str(exc), 409)
        return _back(order, skip, d.id)

    return await w.run(act)


@route("/review/undo", methods=("POST",))
async def undo(request: Request) -> Response:
    w = wb(request)
    body = await w.check_csrf(request)
    order, skip = _state(request, body)
    raw = str(body.get("decision_id") or "")

    def act() -> Response:
        try:
            d = w.project.undo(int(raw) if raw.isdigit() else None, coder=w.coder)
        except QdakitError as exc:
            return _page(w, order, skip, str(exc), 409)
        # the undone suggestion comes back first: drop it from the skipped ones
        back = [s for s in skip if s not in d.suggestions]
        return _back(order, back, d.id, d.suggestions[0] if d.suggestions else None)

    return await w.run(act)


ROUTES = [review, decide, undo]

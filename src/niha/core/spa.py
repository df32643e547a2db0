"""Serve the built web app (``web/dist``) at ``/`` with an SPA fallback.

The fallback is the router's default -- what answers a request no route takes -- not a
catch-all route: a catch-all ``GET`` route would take every ``GET``, so ``GET`` on a
POST-only endpoint would read as "no such endpoint" (404) instead of the router's 405 with
``Allow``. API paths (``/api/...``) and the service endpoints keep their own 404s.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketClose

RESERVED_PREFIXES = ("/api/", "/docs", "/openapi.json", "/redoc", "/healthz", "/readyz", "/metrics")

#: What the access log and the metrics name the web app's pages by (``scope["route"]``).
WEB_APP_ROUTE = SimpleNamespace(path="(web app)")


def mount_spa(app: FastAPI, dist: Path) -> None:
    dist = dist.resolve()

    async def spa(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await WebSocketClose()(scope, receive, send)
            return
        path: str = scope["path"]
        if path == "/api" or path.startswith(RESERVED_PREFIXES):
            raise HTTPException(status_code=404, detail="Not found")
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(status_code=405, headers={"Allow": "GET, HEAD"})
        index = dist / "index.html"
        if not index.is_file():
            raise HTTPException(status_code=404, detail="The web app is not built (run `make run`)")
        scope["route"] = WEB_APP_ROUTE
        full_path = path.lstrip("/")
        candidate = (dist / full_path).resolve()
        if full_path and candidate.is_file() and candidate.is_relative_to(dist):
            cache = (
                "public, max-age=31536000, immutable"
                if full_path.startswith("assets/")
                else "no-cache"
            )
            response = FileResponse(candidate, headers={"Cache-Control": cache})
        else:
            response = FileResponse(index, headers={"Cache-Control": "no-cache"})
        await response(scope, receive, send)

    app.router.default = spa

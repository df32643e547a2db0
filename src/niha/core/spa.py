"""Serve the built web app (``web/dist``) at ``/`` with an SPA fallback.

API paths (``/api/...``) and the service endpoints keep their own 404s.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from starlette.exceptions import HTTPException

RESERVED_PREFIXES = ("/api/", "/docs", "/openapi.json", "/redoc", "/healthz", "/readyz", "/metrics")


def mount_spa(app: FastAPI, dist: Path) -> None:
    dist = dist.resolve()

    @app.get("/{full_path:path}", include_in_schema=False)
    async def spa(full_path: str, request: Request) -> Response:
        path = "/" + full_path
        if path == "/api" or path.startswith(RESERVED_PREFIXES):
            raise HTTPException(status_code=404, detail="Not found")
        index = dist / "index.html"
        if not index.is_file():
            raise HTTPException(status_code=404, detail="The web app is not built (run `make run`)")
        candidate = (dist / full_path).resolve()
        if full_path and candidate.is_file() and candidate.is_relative_to(dist):
            cache = (
                "public, max-age=31536000, immutable"
                if full_path.startswith("assets/")
                else "no-cache"
            )
            return FileResponse(candidate, headers={"Cache-Control": cache})
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

"""Process A of the cross-process test: the real app plus one route that emits an event
in its request transaction (no product endpoint emits events yet)."""

from __future__ import annotations

import uuid
from typing import Any

from niha.app import create_app
from niha.core.deps import SessionDep
from niha.core.events import emit

app = create_app()


@app.post("/test/emit")
async def emit_event(body: dict[str, Any], session: SessionDep) -> dict[str, str]:
    row = await emit(
        session,
        body["channel"],
        body["event"],
        body.get("data", {}),
        entity_id=uuid.UUID(body["entity_id"]) if body.get("entity_id") else None,
        user_id=uuid.UUID(body["user_id"]) if body.get("user_id") else None,
    )
    return {"id": str(row.id)}

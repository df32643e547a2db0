"""``niha create-admin``: the first super admin of an installation."""

from __future__ import annotations

from typing import Annotated

import typer

from niha.cli import app, run_with_db
from niha.core.db import Database, unit_of_work
from niha.core.errors import DomainError


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="login email of the super admin")],
    password: Annotated[
        str,
        typer.Option(help="password (12-128 characters, not containing the email's name part)"),
    ],
    name: Annotated[str, typer.Option(help="display name")] = "Administrator",
) -> None:
    """Create a super admin (staff role super_admin) with a password."""
    from pydantic import TypeAdapter, ValidationError

    from niha.identity import service
    from niha.identity.schemas import Email

    try:
        email = TypeAdapter(Email).validate_python(email)
    except ValidationError as exc:
        typer.echo(f"error: invalid email address {email!r}", err=True)
        raise typer.Exit(1) from exc

    async def create(db: Database) -> int:
        try:
            async with unit_of_work(db.maker) as session:
                user = await service.create_admin(
                    session, email=email, password=password, name=name
                )
        except DomainError as exc:
            typer.echo(f"error: {exc.detail}", err=True)
            return 1
        typer.echo(f"super admin {user.email} created (id {user.id})")
        return 0

    raise typer.Exit(run_with_db(create))

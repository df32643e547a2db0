"""ASGI entry point for uvicorn (``niha.asgi:app``)."""

from niha.app import create_app

app = create_app()

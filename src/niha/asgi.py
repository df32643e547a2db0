"""ASGI entry point for uvicorn (``niha.asgi:app``)."""

from niha.app import create_app
from niha.runtime import tune_gc

app = create_app()
tune_gc()

"""ASGI entry point for ``uvicorn trust.api.main:app``: settings from the environment."""

from trust.api.app import create_app

app = create_app()

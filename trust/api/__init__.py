"""The grade lookup service and the analysts' API (FastAPI)."""

"""The warehouse: ORM tables, engine/session helpers and Alembic migrations."""

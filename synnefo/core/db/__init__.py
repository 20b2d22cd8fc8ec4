"""Database: typed models, engine factory, Alembic migrations."""

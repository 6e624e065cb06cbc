"""The registry store: SQLAlchemy Core on SQLite (default) and PostgreSQL."""

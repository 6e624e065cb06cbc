"""The registry store: SQLAlchemy Core on SQLite (default) and PostgreSQL.

``Store`` opens, migrates and runs transactions; ``Tx`` holds the queries.
"""

from vitalstat.store.engine import Store
from vitalstat.store.repo import Tx

__all__ = ["Store", "Tx"]

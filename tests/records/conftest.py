from tests.records.db_backends import database, fresh_database, shared_databases

__all__ = ["database", "fresh_database", "shared_databases"]

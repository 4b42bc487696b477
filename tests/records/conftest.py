from tests.records.db_backends import database

__all__ = ["database"]

"""The records layer: storage of calls, number lists, incidents, bills, keys and the audit log.

It feeds the screening core (number lists via :class:`ListSync`, history via :class:`SqlCallHistory`) and takes
its records (:class:`SqlCallRecorder`). Nothing here imports telephony or the ``callscreen`` app shell.
"""

from records.database import Database
from records.errors import (
    ConflictError,
    CsvImportError,
    InvalidInputError,
    NotFoundError,
    RecordsError,
    RowError,
    StorageError,
)
from records.history import SqlCallHistory
from records.listsync import ListSync
from records.models import Role
from records.policy import AutoEntryPolicy
from records.recorder import SqlCallRecorder
from records.retention import PeriodicPurge, PurgeResult

__all__ = [
    "AutoEntryPolicy",
    "ConflictError",
    "CsvImportError",
    "Database",
    "InvalidInputError",
    "ListSync",
    "NotFoundError",
    "PeriodicPurge",
    "PurgeResult",
    "RecordsError",
    "Role",
    "RowError",
    "SqlCallHistory",
    "SqlCallRecorder",
    "StorageError",
]

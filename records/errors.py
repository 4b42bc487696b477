"""Errors raised by the records layer. SQLAlchemy and driver errors are wrapped here (``raise … from exc``), so
nothing above ``records`` catches a SQLAlchemy type.

- RecordsError
  - StorageError        the database could not be reached or refused a statement
    - DuplicateRowError  a unique constraint refused the row: not an outage, retrying will not help
  - NotFoundError       an id that does not exist (the API turns it into 404)
  - ConflictError       a duplicate entry or a state change that is not allowed (409)
  - InvalidInputError   a bad value from a user: number, pattern, CSV row, time (422)
    - CsvImportError    a CSV file with row-level errors; nothing of it was written
"""

from __future__ import annotations

from dataclasses import dataclass


class RecordsError(Exception):
    """Base of every error the records layer raises."""


class StorageError(RecordsError):
    pass


class DuplicateRowError(StorageError):
    pass


class NotFoundError(RecordsError):
    pass


class ConflictError(RecordsError):
    pass


class InvalidInputError(RecordsError):
    pass


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # 1-based line number in the file, header included
    message: str


class CsvImportError(InvalidInputError):
    """Raised with every bad row at once, so an operator can fix the file in one go."""

    def __init__(self, errors: list[RowError], *, rows: int) -> None:
        self.errors = errors
        self.rows = rows
        first = errors[0]
        super().__init__(f"{len(errors)} bad row(s) of {rows}; first: line {first.line}: {first.message}")

"""Shared secrets: every node of one installation reads the same caller-hash salt from the database."""

from __future__ import annotations

from records.database import Database
from records.models import ServiceSecret
from records.secrets import HASH_SALT, shared_secret


def test_first_use_generates_and_later_uses_read_it(database: Database) -> None:
    first = shared_secret(database, HASH_SALT)
    assert len(first) == 64
    assert shared_secret(database, HASH_SALT) == first
    assert shared_secret(database, HASH_SALT, initial="ignored-once-stored") == first


def test_an_existing_local_salt_seeds_the_shared_one(database: Database) -> None:
    assert shared_secret(database, HASH_SALT, initial="from-the-old-salt-file") == "from-the-old-salt-file"


def test_a_node_that_loses_the_insert_race_reads_the_winner(database: Database) -> None:
    with database.session() as session:
        session.add(ServiceSecret(name=HASH_SALT, value="winner"))
    # This node looked before the winner committed (simulated by asking with its own initial value now).
    assert shared_secret(database, HASH_SALT, initial="loser") == "winner"

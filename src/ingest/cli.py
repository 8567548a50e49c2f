"""The ``ingest`` command line: each command is a thin layer over one library function."""

from __future__ import annotations

import click

from . import store

db_option = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False), help="Database file (default: $INGEST_DB or outputs/ingest.db)."
)


@click.group()
@click.version_option()
def cli() -> None:
    """Turn articles about AI strategic partnerships into a verified, source-grounded dataset."""


def open_db(db_path: str | None):
    """Open the database named by --db, $INGEST_DB, or the default."""
    return store.open_db(db_path)

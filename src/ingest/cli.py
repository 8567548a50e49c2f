"""The ``ingest`` command line: each command is a thin layer over one library function."""

from __future__ import annotations

import json
import sys

import click

from . import store

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help="Database file (default: $INGEST_DB or outputs/ingest.db).",
)


@click.group()
@click.version_option()
def cli() -> None:
    """Turn articles about AI strategic partnerships into a verified, source-grounded dataset."""


def open_db(db_path: str | None):
    """Open the database named by --db, $INGEST_DB, or the default."""
    return store.open_db(db_path)


@cli.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--from-file", "from_file", help="Text file of sources (paths or URLs), one per line; - for stdin."
)
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
def run(sources: tuple[str, ...], from_file: str | None, db_path: str | None, as_json: bool) -> None:
    """Run the pipeline on files, folders and URLs: load, clean, store.

    Exits with status 1 if any source failed, 0 otherwise.
    """
    from . import load, pipeline

    all_sources = list(sources)
    if from_file:
        try:
            all_sources += load.read_url_list(from_file)
        except OSError as exc:
            raise click.UsageError(f"--from-file {from_file}: cannot read it ({exc.strerror}).") from exc
    if not all_sources:
        raise click.UsageError("no sources: give files, folders or URLs, or --from-file FILE.")
    db = open_db(db_path)
    try:
        summary = pipeline.run(all_sources, db, echo=None if as_json else click.echo)
    except KeyboardInterrupt:
        raise click.ClickException("interrupted: what was stored is kept; run the same command to finish.") from None
    click.echo(summary.model_dump_json(indent=2) if as_json else format_summary(summary))
    if summary.counts["failed"]:
        sys.exit(1)


def format_summary(summary) -> str:
    """The closing table of a run."""
    c = summary.counts
    rows = [
        ("sources seen", summary.sources),
        ("new", c["new"]),
        ("unchanged", c["unchanged"]),
        ("near-duplicates", c["near_duplicate"]),
        ("failed", c["failed"]),
    ]
    rows += [(f"time {stage} (s)", f"{seconds:.2f}") for stage, seconds in summary.timings.items()]
    lines = [f"run {summary.run_id}: {summary.status}", *(f"  {k:<22} {v}" for k, v in rows)]
    lines += [f"  failed: {e.source}: {e.message}" for e in summary.failed]
    lines.append(f"database: {summary.db}")
    return "\n".join(lines)


@cli.command()
@db_option
@click.option("--limit", type=int, help="Show at most this many documents.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def docs(db_path: str | None, limit: int | None, as_json: bool) -> None:
    """List stored documents, newest first."""
    rows = store.docs(open_db(db_path), limit=limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        dup = f"  (copy of {r['duplicate_of']})" if r["duplicate_of"] else ""
        click.echo(f"{r['id']}  {r['chars']:>7} chars  {r['title'] or '-'}  [{r['source']}]{dup}")


@cli.command()
@click.argument("doc_id")
@db_option
@click.option("--raw", is_flag=True, help="Print the raw input instead of the cleaned text.")
def show(doc_id: str, db_path: str | None, raw: bool) -> None:
    """Print one document (metadata and cleaned text) by id or id prefix."""
    row = store.show(open_db(db_path), doc_id)
    if row is None:
        raise click.ClickException(f"no document {doc_id!r}: list ids with `ingest docs`.")
    for key in ("id", "source", "url", "title", "author", "published", "site", "language", "duplicate_of"):
        if row[key]:
            click.echo(f"{key}: {row[key]}")
    click.echo("")
    click.echo(row["raw"] if raw else row["text"])


@cli.command()
@db_option
@click.option(
    "--status",
    type=click.Choice(["agreed", "single_source", "conflicting", "superseded"]),
    help="Only facts with this status.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def facts(db_path: str | None, status: str | None, as_json: bool) -> None:
    """List the fact ledger: each fact's value, status and number of independent sources."""
    from . import conflicts as cf

    rows = cf.facts(open_db(db_path), status)
    click.echo(json.dumps(rows, indent=2, ensure_ascii=False) if as_json else cf.format_facts(rows))


@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to this file instead of stdout."
)
def conflicts(db_path: str | None, as_json: bool, output: str | None) -> None:
    """List the conflict groups, largest disagreement first, with their sources side by side."""
    from . import conflicts as cf

    groups = cf.conflicts(open_db(db_path))
    text = json.dumps(groups, indent=2, ensure_ascii=False) if as_json else cf.format_conflicts(groups)
    if not output:
        click.echo(text)
        return
    try:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    except OSError as e:
        raise click.ClickException(f"-o {output}: cannot write it ({e.strerror}); choose another path.") from e
    click.echo(f"wrote {len(groups)} conflict groups to {output}", err=True)

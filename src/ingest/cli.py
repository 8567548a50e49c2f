"""The ``ingest`` command line: each command is a thin layer over one library function."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from . import store
from .errors import IngestError
from .models import printable

DEFAULT_EXTRACTOR = "rules"  # chosen by `ingest eval` on the gold set: see README, Extraction

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help="Database file (default: $INGEST_DB or outputs/ingest.db).",
)


ID = click.IntRange(1, store.MAX_INT)  # a claim or conflict id: a larger number names nothing
COUNT = click.IntRange(1, store.MAX_INT, clamp=True)  # "at most N": a larger N means all


class Failed(click.ClickException):
    """What a command could not do, in one line; exit status 2 (1 means a run stored what it could)."""

    exit_code = 2


class _Commands(click.Group):
    """The command group: an IngestError in any command becomes its one-line message, and a SQLite error one
    line naming the database file (exit status 2); any other exception is a bug and keeps its traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except IngestError as e:
            raise Failed(shown(str(e))) from None
        except store.DatabaseError as e:
            raise Failed(shown(store.database_error(ctx.meta.get("ingest.db", "?"), e))) from None
        except click.ClickException as e:  # a typed path or text in the message: bytes that are not UTF-8 escaped
            e.message = shown(e.message)
            raise


def shown(text: str | os.PathLike) -> str:
    """A path or typed text as a terminal can show it: bytes that are not UTF-8 as ``\\xNN`` (see printable)."""
    return printable(os.fspath(text))


@click.group(cls=_Commands)
@click.version_option()
def cli() -> None:
    """Turn articles about AI strategic partnerships into a verified, source-grounded dataset."""


def open_db(db_path: str | None, create: bool = False):
    """Open the database named by --db, $INGEST_DB, or the default; its problems become one-line errors."""
    path = store.db_path(db_path)
    click.get_current_context().meta["ingest.db"] = path  # named by a SQLite error later in the command
    if not create and not path.exists():
        raise Failed(f"--db {path}: no such database; run `ingest run SOURCES` first or pass --db.")
    try:
        return store.open_db(path)
    except store.NotIngestDatabase as e:
        raise Failed(f"--db {path}: {e}") from None
    except (store.DatabaseError, OSError) as e:
        raise Failed(f"--db {path}: cannot open it as a database ({e}); check the path.") from None


@cli.command()
@click.argument("sources", nargs=-1)
@click.option("--from-file", "from_file", help="Text file of sources (paths or URLs), one per line; - for stdin.")
@db_option
@click.option(
    "--extractor",
    type=click.Choice(["rules", "hybrid", "passage", "none"]),
    default=DEFAULT_EXTRACTOR,
    show_default=True,
    help="Claim extractor; none stops after storing documents.",
)
@click.option(
    "--model", help="Model name: an embedded model (qwen2.5-coder-1.5b, qwen2.5-coder-0.5b) or the endpoint's."
)
@click.option(
    "--base-url",
    "base_urls",
    multiple=True,
    envvar="OPENAI_BASE_URL",
    help="OpenAI-compatible endpoint (default: the embedded model); repeat it for servers of one model that take "
    "the calls in turn.",
)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Parallel model requests.")
@click.option(
    "--since",
    metavar="DATE",
    help="Feeds and sitemaps: only entries dated this day or later (YYYY-MM-DD, today, yesterday, or Nd).",
)
@click.option("--max-calls", type=click.IntRange(min=1), help="Issue at most this many model calls in this run.")
@click.option(
    "--max-cost",
    type=click.FloatRange(min=0, min_open=True),
    metavar="USD",
    help="Issue no model call once the run's estimated cost (list prices in llm.yaml) reaches this.",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Where cleaning and rules extraction run: local processes, or a Ray cluster (pip install 'ingest[ray]').",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    help="--executor local: worker processes (default: all cores; 1 runs everything in this process).",
)
@click.option("--ray-address", metavar="ADDR", help="--executor ray: the cluster to join (default: start a local one).")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="--executor ray: documents per Ray task.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
def run(
    sources: tuple[str, ...],
    from_file: str | None,
    db_path: str | None,
    extractor: str,
    model: str | None,
    base_urls: tuple[str, ...],
    workers: int,
    since: str | None,
    max_calls: int | None,
    max_cost: float | None,
    executor: str,
    jobs: int | None,
    ray_address: str | None,
    batch_size: int,
    as_json: bool,
) -> None:
    """Run the pipeline on files, folders, URLs, PDFs, feeds and sitemaps: load, clean, store, extract claims,
    flag conflicts.

    A feed or sitemap (RSS, Atom, sitemap.xml; a URL or a .xml/.rss/.atom file) stands for its entries; those
    already stored are not fetched again. A source whose text changed is stored as a new version of its article.
    Exits with status 1 if any source failed, 0 otherwise.
    """
    from . import executors, feeds, load, pipeline

    try:
        since_day = feeds.parse_since(since) if since is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None

    all_sources = list(sources)
    if from_file:
        try:
            all_sources += load.read_url_list(from_file)
        except OSError as exc:
            raise click.UsageError(f"--from-file {from_file}: cannot read it ({exc.strerror}).") from exc
        except UnicodeDecodeError as exc:
            message = f"--from-file {from_file}: not UTF-8 text ({exc.reason}); save it as UTF-8."
            raise click.UsageError(message) from exc
    if not all_sources:
        raise click.UsageError("no sources: give files, folders or URLs, or --from-file FILE.")
    runner = executors.Ray(ray_address, batch_size) if executor == "ray" else executors.Local(jobs)
    db = open_db(db_path, create=True)
    options = None
    if extractor != "none":
        options = pipeline.ExtractOptions(
            extractor=extractor,
            model=model,
            base_url=list(base_urls) if len(base_urls) > 1 else next(iter(base_urls), None),
            workers=workers,
            max_calls=max_calls,
            max_cost=max_cost,
        )
    try:
        echo = None if as_json else click.echo
        summary = pipeline.run(all_sources, db, extract=options, echo=echo, since=since_day, executor=runner)
    except KeyboardInterrupt:
        raise click.ClickException("interrupted: what was stored is kept; run the same command to finish.") from None
    click.echo(summary.model_dump_json(indent=2) if as_json else format_summary(summary))
    if summary.failed:
        sys.exit(1)


def format_summary(summary) -> str:
    """The closing table of a run."""
    c = summary.counts
    rows = [
        ("sources seen", summary.sources),
        ("new", c["new"]),
        ("new versions", c["new_version"]),
        ("unchanged", c["unchanged"]),
        ("not modified (304)", c["not_modified"]),
        ("near-duplicates", c["near_duplicate"]),
        ("skipped (robots.txt)", c["skipped"]),
        ("failed", c["failed"]),
    ]
    f = summary.feeds
    if f["feeds"]:
        rows.append(("feeds and sitemaps", f"{f['feeds']}: {f['entries']} entries queued, {f['stored']} stored before"))
        rows.append(("  older than --since", f["older"]))
    if summary.executor:
        rows.append(("executor", summary.executor))
    if summary.extractor:
        cl = summary.claims
        rows += [
            (f"claims ({summary.extractor})", f"{cl['new']} new from {cl['documents']} documents"),
            ("  grounded / ungrounded", f"{cl['grounded']} / {cl['ungrounded']}"),
        ]
    if summary.model:
        m = summary.model
        rows += [
            ("model calls", f"{m['calls']:.0f} ({m['cached']:.0f} cached, {m['failed_chunks']:.0f} chunks failed)"),
            ("tokens in / out", f"{m['prompt_tokens']:.0f} / {m['completion_tokens']:.0f}"),
            ("model time (s)", f"{m['seconds']:.1f} calls + {m['load_seconds']:.1f} load"),
            ("estimated cost (USD)", f"{m['cost_usd']:.4f}"),
        ]
        if summary.budget:
            rows.append(("model budget", budget_line(summary.budget)))
        if summary.extractor == "passage":  # the rules cross-check the model's reading
            rows.append(("recall gaps", f"{m['recall_gaps']:.0f} figures the rules claim and the model missed"))
    if summary.facts:
        rows.append(("facts", ", ".join(f"{k} {v}" for k, v in summary.facts.items())))
    rows += [(f"time {stage} (s)", f"{seconds:.2f}") for stage, seconds in summary.timings.items()]
    lines = [f"run {summary.run_id}: {summary.status}", *(f"  {k:<22} {v}" for k, v in rows)]
    lines += [f"  skipped: {e.source}: {e.message}" for e in summary.skipped]
    lines += [f"  failed: {e.source}: {e.message}" for e in summary.failed]
    lines.append(f"database: {summary.db}")
    return "\n".join(lines)


def budget_line(budget: dict) -> str:
    """Spend against --max-calls/--max-cost: "12 of 12 calls, $0.0042 of $0.0100 (reached: run again ...)"."""
    calls = f"{budget['calls']} of {budget['max_calls']} calls" if budget["max_calls"] else f"{budget['calls']} calls"
    cost = f"${budget['cost_usd']:.4f}" + (f" of ${budget['max_cost_usd']:.4f}" if budget["max_cost_usd"] else "")
    return f"{calls}, {cost}" + (" (reached: run again to continue)" if budget["reached"] else "")


@cli.command()
@db_option
@click.option("--limit", type=COUNT, help="Show at most this many documents.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def docs(db_path: str | None, limit: int | None, as_json: bool) -> None:
    """List stored documents, newest first."""
    rows = store.documents.docs(open_db(db_path), limit=limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        dup = f"  (copy of {r['duplicate_of']})" if r["duplicate_of"] else ""
        click.echo(f"{r['id']}  {r['chars']:>7} chars  {r['title'] or '-'}  [{r['source']}]{dup}")


@cli.command()
@db_option
@click.option("--unlisted", is_flag=True, help="Only parties missing from the alias table.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def parties(db_path: str | None, unlisted: bool, as_json: bool) -> None:
    """List the parties of stored claims with their claim counts; `*` marks names missing from the alias
    table (src/ingest/data/aliases.yaml), where one line makes them canonical everywhere."""
    from .aliases import canonical

    rows = [{**r, "listed": canonical(r["name"]) is not None} for r in store.claims.parties(open_db(db_path))]
    rows = [r for r in rows if not (unlisted and r["listed"])]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        click.echo(f"{r['claims']:>6} claims {r['documents']:>5} docs  {'' if r['listed'] else '*'}{r['name']}")


@cli.command("partnerships")
@db_option
@click.option("--company", help="Only partnerships of this company (an alias such as Azure names Microsoft).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every partnership with its timeline and patterns).")
def partnerships_(db_path: str | None, company: str | None, as_json: bool) -> None:
    """List partnerships, one per pair of organisations: status (active, restructured, ended), first and latest
    dated facts, totals, rights, independent sources, conflicts and the patterns its documents signal."""
    from . import partnerships as pt

    rows = pt.partnerships(open_db(db_path), company)
    if company and not rows:
        raise Failed(f"no partnership of {company!r}: list the parties with `ingest parties`.")
    if as_json:
        click.echo(json.dumps([p.model_dump(mode="json") for p in rows], indent=2, ensure_ascii=False))
        return
    click.echo(pt.format_table(rows))


@cli.command()
@click.argument("doc_id")
@db_option
@click.option("--raw", is_flag=True, help="Print the raw input instead of the cleaned text (a PDF: its pages' text).")
@click.option(
    "--versions", is_flag=True, help="Print the versions of the article, what changed, and the claims that changed."
)
def show(doc_id: str, db_path: str | None, raw: bool, versions: bool) -> None:
    """Print one document (metadata and cleaned text) by id, id prefix, or source."""
    db = open_db(db_path)
    if versions:
        from . import versions as history

        click.echo(history.report(db, doc_id))
        return
    rows = store.documents.show(db, doc_id)
    if not rows:
        raise Failed(f"no document {doc_id!r}: list ids with `ingest docs`.")
    if len(rows) > 1:
        ids = ", ".join(r["id"][:12] for r in rows)
        raise Failed(f"{doc_id!r} names several documents ({ids}); give more of the id.")
    row = rows[0]
    for key in ("id", "source", "url", "title", "author", "published", "site", "language", "duplicate_of"):
        if row[key]:
            click.echo(f"{key}: {row[key]}")
    if row["pages"]:
        starts = json.loads(row["pages"])
        click.echo(f"pages: {len(starts)} (starting at characters {', '.join(map(str, starts))})")
    if (row["version"] or 1) > 1 or row["superseded_by"]:
        state = f"superseded by {row['superseded_by']}" if row["superseded_by"] else "current"
        click.echo(f"version: {row['version'] or 1} ({state}; see --versions)")
    click.echo("")
    click.echo(row["raw"] if raw else row["text"])


@cli.command("eval")
@click.argument("gold", type=click.Path(exists=True))
@click.option(
    "--extractor",
    "extractors",
    multiple=True,
    type=click.Choice(["rules", "hybrid", "passage"]),
    help="Extractor to score; repeat to compare side by side.  [default: rules]",
)
@click.option("--model", help="Model for hybrid/passage: an embedded model or the endpoint's.")
@click.option("--base-url", envvar="OPENAI_BASE_URL", help="OpenAI-compatible endpoint (default: the embedded model).")
@click.option("--details", is_flag=True, help="Also list the missed gold claims and the unmatched predictions.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
def eval_(
    gold: str,
    extractors: tuple[str, ...],
    model: str | None,
    base_url: str | None,
    details: bool,
    as_json: bool,
    db_path: str | None,
) -> None:
    """Score extractors against a hand-labelled gold set: P/R/F1 per kind, and grounding rate.

    GOLD is a gold file, or a dev-set folder (docs/NNN.json, gold.json): then the table has a row for the
    whole set, its tune split and its check split (docs whose number ends in 0, 3 or 6), matched as the
    dev sets' scorer matches (one shared party word). Model calls are cached in the database, so a second
    eval of the same strategy makes none.
    """
    from . import pipeline
    from .evaluate import evaluate, format_comparison, format_report

    cache = store.calls.CallLog(open_db(db_path, create=True))
    client = None
    reports = []
    for name in extractors or ("rules",):
        if name != "rules" and client is None:
            client = pipeline.model_client(pipeline.ExtractOptions(model=model, base_url=base_url))
        splits = (None, "tune", "check") if os.path.isdir(gold) else (None,)
        try:
            reports += [evaluate(gold, name, cache, client=client, split=split) for split in splits]
        except (ValueError, KeyError) as e:
            raise Failed(f"{gold}: {e}") from e
        except OSError as e:  # a document it names is missing, a folder, unreadable
            why = f"cannot read {e.filename} ({e.strerror})" if e.strerror else str(e)
            raise Failed(f"{gold}: {why}") from e
    if as_json:
        click.echo(json.dumps([r.as_dict(details=details) for r in reports], indent=2, ensure_ascii=False))
        return
    click.echo("\n\n".join(format_report(r, details) for r in reports if r.split == "all"))
    if len(reports) > 1:
        click.echo("\n" + format_comparison(reports))


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

    rows = store.ledger.facts(open_db(db_path), status)
    click.echo(json.dumps(rows, indent=2, ensure_ascii=False) if as_json else cf.format_facts(rows))


@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to this file instead of stdout."
)
@click.option(
    "--reason",
    type=click.Choice(
        ["value", "qualifier", "date", "period", "target", "stream", "attribution", "magnitude", "currency", "decline"]
    ),
    help="Only groups of this class of disagreement (magnitude: decimal or unit slips).",
)
def conflicts(db_path: str | None, as_json: bool, output: str | None, reason: str | None) -> None:
    """List the conflict groups, largest disagreement first, with their sources side by side.

    With --json each side lists its claims in the export row format (schemas/claim.schema.json).
    """
    from . import conflicts as cf
    from .exports import conflict_rows

    db = open_db(db_path)
    if as_json:
        groups = conflict_rows(db, reason)
        text = json.dumps(groups, indent=2, ensure_ascii=False, sort_keys=True)
    else:
        groups = store.ledger.conflicts(db, reason)
        text = cf.format_conflicts(groups)
    if not output:
        click.echo(text)
        return
    try:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    except OSError as e:
        raise Failed(f"-o {output}: cannot write it ({e.strerror}); choose another path.") from e
    click.echo(f"wrote {len(groups)} conflict groups to {shown(output)}", err=True)


@cli.command("import-claims")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@db_option
@click.option(
    "--docs",
    "docs_dir",
    type=click.Path(exists=True, file_okay=False),
    help="Folder of the documents the claims name (NNN.json with a text field, or NNN.txt), stored as needed.",
)
def import_claims(file: str, db_path: str | None, docs_dir: str | None) -> None:
    """Import claims from FILE (JSONL or a JSON list): export rows or the dev sets' gold format.

    Claims are grounded against their document's text, stored with extractor `import` and their origin
    (file:line), and the ledger is rebuilt. Each bad record is reported on one line and skipped; exits with
    status 1 if there was any.
    """
    from . import imports

    db = open_db(db_path, create=True)
    summary = imports.import_claims(db, file, docs_dir)
    for line in summary.errors:
        click.echo(f"skipped {line}", err=True)
    known = f", {summary.known} already stored" if summary.known else ""
    click.echo(
        f"imported {summary.new} claims from {summary.records} records ({summary.grounded} grounded, "
        f"{summary.ungrounded} ungrounded{known}; {len(summary.errors)} skipped; {summary.documents} documents stored)"
    )
    if summary.ledger:
        ledger = summary.ledger
        click.echo(f"ledger: {ledger.facts} facts, {ledger.groups} conflict groups")
    if summary.errors:
        sys.exit(1)


def decision_size(db, decision: int) -> int:
    """How many claims a review decision changed."""
    return store.reviews.decision_size(db, decision)


def verdict(fn, verb: str, ids: tuple[int, ...], db_path: str | None, note: str | None, reviewer: str | None) -> None:
    """Accept or reject claims as one decision and say how many changed."""
    db = open_db(db_path)
    decision = fn(db, list(ids), reviewer, note)
    click.echo(f"decision {decision}: {verb} {decision_size(db, decision)} claim(s)")


reviewer_option = click.option("--reviewer", help="Name recorded in the audit log (default: the OS user).")


def _field_options(fn):
    """One --field option per editable claim field (``ingest correct``)."""
    from .review import EDITABLE

    for name in reversed(EDITABLE):
        fn = click.option(f"--{name.replace('_', '-')}", name, help=f"New {name} (an empty string clears it).")(fn)
    return fn


@cli.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (keep it local).")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on (0: any free)."
)
@click.option(
    "--token",
    envvar="INGEST_REVIEW_TOKEN",
    help="Secret every request must carry (?token= in the URL, then a cookie); off loopback a random one by default.",
)
@reviewer_option
def review(db_path: str | None, host: str, port: int, token: str | None, reviewer: str | None) -> None:
    """Review claims in the browser: queue, claim and source, facts, conflicts (prints the URL)."""
    import secrets

    from . import review as rv
    from .review import web

    open_db(db_path)
    path = store.db_path(db_path)
    try:
        sock = web.bind(host, port)
    except OSError as e:
        message = f"--host {host} --port {port}: cannot listen there ({e.strerror}); try another --port."
        raise Failed(message) from None
    if not web.is_loopback(host):
        token = token or secrets.token_urlsafe(32)
        click.echo(f"warning: --host {host} makes the review page reachable from other machines", err=True)
    url = web.url(host, sock.getsockname()[1], token)
    click.echo(f"Reviewing {shown(path)} as {rv.reviewer_name(reviewer)} at {url} (Ctrl-C to stop)")
    web.serve(path, sock, reviewer=reviewer, secret=token)


@cli.command()
@db_option
@click.option("--kind", help="Only this kind (investment, equity_stake, compute_commitment, ...).")
@click.option("--status", help="Only this review status: pending, accepted, rejected or corrected.")
@click.option("--party", help="Only claims with this subject or counterparty (case-insensitive).")
@click.option("--doc", help="Only claims of this document (id, id prefix, or source as given to `ingest run`).")
@click.option("--conflict/--no-conflict", default=None, help="Only claims in (or not in) a conflict group.")
@click.option("--ungrounded/--grounded", default=None, help="Only claims whose quote is (not) grounded.")
@click.option("--search", help="Words that the quote contains (full-text search).")
@click.option(
    "--superseded", is_flag=True, help="Only the claims of earlier versions of changed articles (not in the queue)."
)
@click.option("--after", type=click.IntRange(0, store.MAX_INT), help="Start after this claim id (the next page).")
@click.option("--limit", type=COUNT, default=50, show_default=True, help="Show at most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def claims(db_path: str | None, after: int | None, limit: int, as_json: bool, **filters) -> None:
    """List claims with their quotes, by id: the review queue in the terminal."""
    from . import review as rv

    rows = rv.claims(open_db(db_path), after=after, limit=limit, **filters)
    click.echo(json.dumps(rows, indent=2, ensure_ascii=False) if as_json else rv.format_claims(rows))


@cli.command()
@click.argument("ids", nargs=-1, type=ID, required=True)
@db_option
@click.option("--note", help="Why (kept in the audit log).")
@reviewer_option
def accept(ids: tuple[int, ...], db_path: str | None, note: str | None, reviewer: str | None) -> None:
    """Accept claims (grounded ones only), logging the decision."""
    from . import review as rv

    verdict(rv.accept, "accepted", ids, db_path, note, reviewer)


@cli.command()
@click.argument("ids", nargs=-1, type=ID, required=True)
@db_option
@click.option("--note", help="Why (kept in the audit log).")
@reviewer_option
def reject(ids: tuple[int, ...], db_path: str | None, note: str | None, reviewer: str | None) -> None:
    """Reject claims, logging the decision."""
    from . import review as rv

    verdict(rv.reject, "rejected", ids, db_path, note, reviewer)


@cli.command()
@click.argument("claim_id", type=ID)
@db_option
@_field_options
@click.option("--note", help="Why (kept in the audit log).")
@reviewer_option
def correct(claim_id: int, db_path: str | None, note: str | None, reviewer: str | None, **fields) -> None:
    """Correct fields of a claim, validated like an extracted one: `ingest correct 12 --value 13e9`."""
    from . import review as rv

    changes = {k: v for k, v in fields.items() if v is not None}
    if not changes:
        raise click.UsageError("give at least one field to change, e.g. --value 13e9; see `ingest correct --help`.")
    db = open_db(db_path)
    decision = rv.correct(db, claim_id, changes, reviewer, note)
    ungrounded = "" if rv.get(db, claim_id)["grounded"] else "; now UNGROUNDED (its quote does not state it all)"
    click.echo(f"decision {decision}: corrected claim {claim_id} ({', '.join(sorted(changes))}){ungrounded}")


@cli.command()
@click.argument("group", type=ID)
@click.argument("side", type=click.IntRange(min=1))
@db_option
@click.option("--note", help="Why (kept in the audit log).")
@reviewer_option
def settle(group: int, side: int, db_path: str | None, note: str | None, reviewer: str | None) -> None:
    """Settle a conflict group: accept the grounded claims of SIDE (numbered as `ingest conflicts` shows them)
    and reject the claims of the other sides, as one decision."""
    from . import review as rv

    db = open_db(db_path)
    decision = rv.accept_side(db, group, side - 1, reviewer, note)
    click.echo(f"decision {decision}: settled conflict {group} for side {side} ({decision_size(db, decision)} claims)")


@cli.command()
@click.argument("group", type=ID)
@db_option
@click.option("--note", required=True, help="Why it is not a conflict (kept in the audit log).")
@reviewer_option
def dismiss(group: int, db_path: str | None, note: str, reviewer: str | None) -> None:
    """Mark conflict GROUP "not a conflict" (two facts that look alike, a change over time): it leaves the
    conflict list and does not come back when the ledger is recomputed, unless a new claim joins it. Logged as
    one decision; `ingest undo` brings the group back."""
    from . import review as rv

    decision = rv.dismiss(open_db(db_path), group, note, reviewer)
    click.echo(f"decision {decision}: conflict {group} marked not a conflict")


@cli.command()
@db_option
@reviewer_option
def undo(db_path: str | None, reviewer: str | None) -> None:
    """Undo your last review decision (repeat to go further back)."""
    from . import review as rv

    ids = rv.undo(open_db(db_path), reviewer)
    click.echo(f"restored claim(s) {', '.join(map(str, ids))}")


@cli.command("export")
@db_option
@click.option(
    "--status",
    type=click.Choice(["accepted", "all"]),
    default="accepted",
    show_default=True,
    help="accepted: verified (accepted or corrected) grounded claims; all: every claim.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), help="Default: from the suffix, else jsonl."
)
@click.option("--facts", is_flag=True, help="Write the fact ledger (one row per fact) instead of claims.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="File to write.")
def export_(db_path: str | None, status: str, fmt: str | None, facts: bool, output: str) -> None:
    """Export claims or the fact ledger as JSONL, CSV or Parquet, with a manifest beside the file.

    The file's folder also gets metadata.json (Datasette: table and column descriptions, facets, canned
    queries; `datasette DB -m metadata.json`) and datapackage.json (Frictionless: every export in the folder
    with its schema, SHA-256, size and rows)."""
    from . import catalog
    from . import exports as ex

    try:
        manifest = ex.export(open_db(db_path), output, status=status, fmt=fmt, facts=facts)
    except OSError as e:
        raise Failed(f"-o {output}: cannot write it ({e.strerror}); choose another path.") from None
    click.echo(f"wrote {manifest.rows} rows to {shown(output)} (manifest: {shown(ex.manifest_path(output))})")
    metadata, package = (Path(output).parent / name for name in (catalog.METADATA, catalog.DATAPACKAGE))
    click.echo(f"described in {shown(metadata)} (Datasette) and {shown(package)} (Frictionless)")


@cli.command()
@click.argument("directory", default="schemas", type=click.Path(file_okay=False))
def schema(directory: str) -> None:
    """Write the JSON Schemas (exported claim and fact rows, extracted claim, pattern signal) into DIRECTORY."""
    from .exports import write_schemas

    try:
        paths = write_schemas(directory)
    except OSError as e:
        raise Failed(f"{directory}: cannot write there ({e.strerror}); choose another folder.") from None
    for path in paths:
        click.echo(shown(path))

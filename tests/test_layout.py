"""The layout the issue asks for: SQL only in ingest/store/, and extraction that never sees the database."""

import ast
from pathlib import Path

import ingest

PACKAGE = Path(ingest.__file__).parent
TABLE_METHODS = {
    "insert", "insert_all", "upsert", "upsert_all", "update", "delete", "delete_where", "rows_where",
    "count_where", "execute", "executemany", "executescript", "query", "table_names", "view_names", "lookup",
}  # fmt: skip


def modules(folder: Path = PACKAGE) -> list[tuple[str, ast.Module]]:
    return [(str(p.relative_to(PACKAGE)), ast.parse(p.read_text(encoding="utf-8"))) for p in folder.rglob("*.py")]


def imported(tree: ast.Module) -> set[str]:
    """Every module an import statement names (relative ones as written, with their dots)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names |= {base} | {f"{base}.{a.name}".replace("..", ".", 1) if base.endswith(".") else f"{base}.{a.name}"
                               for a in node.names}  # fmt: skip
    return names


def database(node: ast.expr) -> bool:
    """Whether an expression is a database, a connection, or a table of one: ``db``, ``self.db``, ``conn``,
    ``db["claims"]``."""
    if isinstance(node, ast.Subscript):
        node = node.value
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name in ("db", "conn")


def test_no_sql_outside_the_store():
    found = []
    for name, tree in modules():
        if name.startswith("store/"):
            continue
        found += [f"{name}: imports {m}" for m in imported(tree) if m.split(".")[0] in ("sqlite3", "sqlite_utils")]
        found += [
            f"{name}:{node.lineno}: {ast.unparse(node)}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and node.attr in TABLE_METHODS
            and database(node.value)
            or isinstance(node, ast.Subscript)
            and database(node.value)
        ]
    assert found == []


def test_extraction_never_imports_the_store():
    found = [
        f"{name}: imports {m}"
        for name, tree in modules(PACKAGE / "extract")
        for m in imported(tree)
        if "store" in m.split(".") or m.split(".")[0] in ("sqlite3", "sqlite_utils")
    ]
    assert found == []

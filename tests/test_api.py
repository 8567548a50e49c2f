"""The README's Python API section runs as written."""

import re
from pathlib import Path

import ingest

ROOT = Path(__file__).resolve().parents[1]


def readme_examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Python API\n(.*?)^## ", text, re.S | re.M).group(1)
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_readme_examples_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INGEST_DB", raising=False)
    (tmp_path / "seeds").symlink_to(ROOT / "seeds")
    examples = readme_examples()
    assert examples
    for code in examples:
        exec(compile(code, "README.md", "exec"), {})
    assert "30 rows written" in capsys.readouterr().out
    assert (tmp_path / "out" / "claims.jsonl").is_file()


def test_the_public_api_is_listed():
    assert set(ingest.__all__) >= {"run", "extract_text", "open_db", "claims", "export", "IngestError", "__version__"}
    assert all(hasattr(ingest, name) for name in ingest.__all__)
    assert ingest.__version__

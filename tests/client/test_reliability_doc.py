"""docs/reliability.md stays true: its fault table has at least 30 rows, every row names a
test, every test it names exists, and the README's error table links to it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reliability.md"
NODE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def fault_rows() -> list[str]:
    text = DOC.read_text("utf-8")
    table = text.split("## The fault table", 1)[1].split("\n## ", 1)[0]
    return [line for line in table.splitlines() if re.match(r"\|\s*\d+\s*\|", line)]


def test_the_fault_table_has_at_least_30_rows_each_naming_a_test():
    rows = fault_rows()
    assert len(rows) >= 30
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 6, row  # number, fault, seen, kept, retried, proved by
        assert all(cells), row
        assert NODE.search(cells[-1]), row


def test_every_test_the_document_names_exists():
    named = NODE.findall(DOC.read_text("utf-8"))
    assert len(named) >= 30
    functions: dict[str, set[str]] = {}
    for path, name in named:
        if path not in functions:
            tree = ast.parse((ROOT / path).read_text("utf-8"))
            functions[path] = {
                node.name
                for node in tree.body
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            }
        assert name in functions[path], f"{path}::{name} does not exist"


def test_the_readme_error_table_links_to_the_fault_table():
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## When something goes wrong", 1)[1].split("\n## ", 1)[0]
    assert "(docs/reliability.md)" in section

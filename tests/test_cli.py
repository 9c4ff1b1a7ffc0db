"""`python -m bot` commands, and their errors for bad knowledge or settings."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from bot.__main__ import cli
from bot.settings import PROJECT_ROOT


def test_validate_reports_ok() -> None:
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 0 and "knowledge OK: 16 FAQ entries, 18 catalog entries" in result.output


def test_compile_check_passes_on_the_committed_files() -> None:
    result = CliRunner().invoke(cli, ["compile", "--check"])
    assert result.exit_code == 0, result.output


def test_compile_writes_then_check_detects_an_edit(knowledge_copy: Path, tmp_path: Path) -> None:
    env = {"BOT_KNOWLEDGE_DIR": str(knowledge_copy), "BOT_GENERATED_DIR": str(tmp_path / "out")}
    assert CliRunner().invoke(cli, ["compile"], env=env).exit_code == 0
    assert (tmp_path / "out" / "responses.yml").exists()
    entry = knowledge_copy / "faq" / "how_to_obtain.yml"
    entry.write_text(entry.read_text(encoding="utf-8").replace("Usually", "Normally"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["compile", "--check"], env=env)
    assert result.exit_code != 0 and "bot reviewed faq/how_to_obtain" in str(result.exception)
    # Once the edit is reviewed, the generated files are what is out of date.
    assert CliRunner().invoke(cli, ["reviewed", "faq/how_to_obtain"], env=env).exit_code == 0
    assert f"reviewed: {date.today().isoformat()}" in entry.read_text(encoding="utf-8")
    result = CliRunner().invoke(cli, ["compile", "--check"], env=env)
    assert result.exit_code != 0 and "responses.yml" in str(result.exception)


def test_reviewed_names_an_unknown_part(knowledge_copy: Path) -> None:
    result = CliRunner().invoke(cli, ["reviewed", "faq/no_such_entry"], env={"BOT_KNOWLEDGE_DIR": str(knowledge_copy)})
    assert result.exit_code != 0 and "'faq/no_such_entry' is not a part of the knowledge" in result.output


def run_module(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env=env, check=False)


def test_bad_knowledge_exits_1_with_located_errors(knowledge_copy: Path) -> None:
    (knowledge_copy / "catalog" / "teacher.yml").write_text("id: teacher\n", encoding="utf-8")
    result = run_module("validate", env={"BOT_KNOWLEDGE_DIR": str(knowledge_copy), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1
    assert "error: " in result.stderr
    assert "knowledge/catalog/teacher.yml, entry 'teacher', field 'title': missing" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_setting_exits_1_naming_the_variable() -> None:
    result = run_module("validate", env={"BOT_ANSWER_CONFIDENCE": "high", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1 and "BOT_ANSWER_CONFIDENCE='high' is not a number" in result.stderr

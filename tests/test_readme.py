"""The README's code blocks run as written: its Python blocks each in a fresh process, its
command-line block in bash (servers and long runs checked through their ``--help``), and the
extras and make targets it names exist."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# commands that serve forever, need a remote database, or train for minutes: the test checks
# that the subcommand and every flag the README gives it exist, instead of running them
NOT_RUN = ("dashboard", "worker", "lr-find")
pytestmark = pytest.mark.slow  # end to end: the blocks train a network and run the CLI


def blocks(language: str) -> list[str]:
    """The fenced code blocks of the README in ``language``, in order."""
    text = README.read_text(encoding="utf-8")
    return [m.group(1) for m in re.finditer(rf"^```{language}\n(.*?)^```$", text,
                                            flags=re.M | re.S)]


def clean_env() -> dict[str, str]:
    """The test's environment, with one torch thread (the CPUs are shared) and no forced
    progress output."""
    env = {k: v for k, v in os.environ.items() if k != "TUNECRAFT_PROGRESS"}
    env["OMP_NUM_THREADS"] = "1"
    return env


def test_readme_has_the_blocks_this_test_runs() -> None:
    assert len(blocks("python")) >= 2
    assert len(blocks("bash")) >= 3


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_block_runs_as_written(index: int, tmp_path: Path) -> None:
    code = blocks("python")[index]
    script = tmp_path / f"block{index}.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=clean_env(),
                          capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, f"README python block {index} failed:\n{code}\n{done.stderr}"
    if "print(" in code:
        assert done.stdout.strip(), "the block prints its result"


def test_first_commands_are_make_targets() -> None:
    first = blocks("bash")[0]
    targets = [line.split()[1] for line in first.splitlines() if line.startswith("make ")]
    assert targets == ["demo", "test", "docs"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in targets:
        assert re.search(rf"^{target}:", makefile, flags=re.M), f"no make target {target!r}"


def test_every_extra_the_readme_installs_exists() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = pyproject.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    extras = set(re.findall(r"^([a-z]+) = ", section, flags=re.M))
    named = set()
    for block in blocks("bash"):
        for group in re.findall(r"'tunecraft\[([a-z,]+)\]'", block):
            named.update(group.split(","))
    assert named, "the README names its extras"
    assert named <= extras, f"unknown extras: {sorted(named - extras)}"


def cli_block() -> str:
    found = [b for b in blocks("bash") if "tunecraft run " in b]
    assert len(found) == 1, "one command-line block"
    return found[0]


def split_commands(block: str) -> list[str]:
    """The block's commands, without comments, one per ``;``-separated part of a line."""
    commands = []
    for line in block.splitlines():
        code = line.split("#", 1)[0].strip()
        commands += [part.strip() for part in code.split(";") if part.strip()]
    return commands


def test_command_line_block_runs_after_make_demo(tmp_path: Path) -> None:
    # the checkout as `make demo` leaves it: .venv (this interpreter's environment) + examples
    (tmp_path / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    shutil.copytree(ROOT / "examples", tmp_path / "examples",
                    ignore=shutil.ignore_patterns("__pycache__"))
    commands = split_commands(cli_block())
    assert commands[0] == "source .venv/bin/activate", "the block first puts tunecraft on PATH"
    run, check = [], []
    for command in commands:
        words = shlex.split(command)
        (check if words[0] == "tunecraft" and words[1] in NOT_RUN else run).append(command)
    assert run[1:], "the block runs some commands"
    script = "set -e\n" + "\n".join(run) + "\n"
    env = clean_env()
    env["PATH"] = "/usr/bin:/bin"  # tunecraft is on PATH only through the activation
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=240, check=False)
    assert done.returncode == 0, f"{script}\n{done.stdout}\n{done.stderr}"
    for command in run:
        for path in re.findall(r"(?:-o|--output) (\S+)", command):
            assert (tmp_path / path).stat().st_size > 0, f"{command!r} wrote nothing"
            assert path in done.stdout, f"{command!r} does not say where it wrote"
    assert "quadratic" in done.stdout
    for command in check:
        words = shlex.split(command)
        helped = subprocess.run([str(Path(sys.prefix) / "bin" / "tunecraft"), words[1],
                                 "--help"], env=env, capture_output=True, text=True,
                                timeout=60, check=False)
        assert helped.returncode == 0, f"no subcommand {words[1]!r}: {helped.stderr}"
        for flag in (w.split("=", 1)[0] for w in words[2:] if w.startswith("--")):
            assert flag in helped.stdout, f"{command!r}: {flag} is not an option"

"""Clear errors for bad storages, study names and spaces, through the CLI and the Python API
(issue #12, item 8): each names the file, line, key or flag where there is one, and the fix."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import tunecraft
from tests.cli.test_cli import COMMAND, tc
from tunecraft.exceptions import StorageError
from tunecraft.samplers import RandomSampler
from tunecraft.storage import Storage, get_storage

BAD_PORT = "postgresql://user@host:notaport/db"
FLAT = "def objective(trial):\n    return 0.0\n"


def config(storage: str | None = None, study: str = "s", space: str = "x: {type: float, "
           "low: 0, high: 1}", n_trials: int = 2) -> str:
    """A run config; ``storage`` on line 3 and ``space.x`` on line 6."""
    return (f"objective: flat:objective\nstudy: {study}\n"
            f"{'storage: ' + storage if storage else '# default storage'}\n"
            f"n_trials: {n_trials}\nspace:\n  {space}\n")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "flat.py").write_text(FLAT, encoding="utf-8")
    return tmp_path


def one_line(out: subprocess.CompletedProcess[str], code: int) -> str:
    assert out.returncode == code, out.stdout + out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    return out.stderr


# ---------------------------------------------------------------------- storage URLs
@pytest.mark.parametrize(("storage", "expected"), [
    (BAD_PORT, "bad.yaml:3: storage: storage URL 'postgresql://user@host:notaport/db' has a "
               "bad port in 'host:notaport': a port is a number from 1 to 65535"),
    ("sqlite://", "names no SQLite file"),
    ("sqlite:///", "or storage=None for an in-memory study"),
    ("sqlite://x.db", "write three slashes, sqlite:///x.db"),
    ("postgresql://localhost", "names no database"),
    ("'postgresql://me:s3cret@localhost'", "postgresql://me:***@localhost"),
    ("mysql://u@h/db", "tunecraft supports sqlite:/// and postgresql://"),
])
def test_a_bad_storage_in_a_config_cites_file_line_and_key(project: Path, storage: str,
                                                           expected: str) -> None:
    (project / "bad.yaml").write_text(config(storage), encoding="utf-8")
    err = one_line(tc(project, "run", "bad.yaml"), 2)
    assert "bad.yaml:3: storage: storage URL" in err and expected in err
    assert "s3cret" not in err and "invalid literal" not in err
    assert not list(project.glob("*.db")) and not list(project.glob("*:*"))  # nothing opened


@pytest.mark.parametrize("command", [("studies",), ("trials", "s"), ("run", "ok.yaml")])
def test_a_bad_storage_flag_or_variable_is_a_usage_error_naming_it(project: Path,
                                                                   command: tuple[str, ...]
                                                                   ) -> None:
    (project / "ok.yaml").write_text(config(), encoding="utf-8")
    flag = one_line(tc(project, *command, "--storage", BAD_PORT), 2)
    assert flag.startswith(f"tunecraft {command[0]}: error: --storage: storage URL "
                           f"'{BAD_PORT}' has a bad port")
    env = one_line(tc(project, *command, env={"TUNECRAFT_STORAGE": "sqlite://"}), 2)
    assert f"tunecraft {command[0]}: error: $TUNECRAFT_STORAGE: storage URL 'sqlite://' " \
           "names no SQLite file" in env and "unset it" in env
    assert not (project / "tunecraft.db").exists()


@pytest.mark.parametrize(("url", "fix"), [
    ("sqlite://", "give a file path such as 'tunecraft.db'"), ("sqlite:///", "storage=None"),
    (":memory:", "storage=None"), ("sqlite:///:memory:", "storage=None"),
    ("postgresql://", "name it, as in postgresql://USER@HOST:5432/DATABASE"),
    ("postgres://me@db.example:5432", "names no database"),
    (BAD_PORT, "a port is a number from 1 to 65535"),
])
def test_the_python_api_refuses_urls_that_would_lose_or_misplace_data(url: str,
                                                                       fix: str) -> None:
    with pytest.raises(ValueError, match=fix.replace("(", r"\(").replace(".", r"\.")):
        get_storage(url)
    with pytest.raises(ValueError, match="storage URL"):
        tunecraft.create_study(storage=url, study_name="s")


def test_a_directory_or_a_non_database_file_is_explained(project: Path) -> None:
    (project / "folder").mkdir()
    junk = project / "notes.txt"
    junk.write_text("root:x:0:0:root:/root:/bin/bash\n" * 100, encoding="utf-8")
    before = junk.read_bytes()
    err = one_line(tc(project, "studies", "--storage", "folder"), 1)
    assert "SQLite storage 'folder' is a directory; give a file path such as " \
           f"'{os.path.join('folder', 'tunecraft.db')}'" in err
    err = one_line(tc(project, "best", "s", "--storage", str(junk)), 1)
    assert f"'{junk}' is not a SQLite database (file is not a database)" in err
    (project / "ok.yaml").write_text(config(str(junk)), encoding="utf-8")
    assert "is not a SQLite database" in one_line(tc(project, "run", "ok.yaml"), 1)
    assert junk.read_bytes() == before
    for path, expected in ((project / "folder", "is a directory"),
                           (junk, "is not a SQLite database")):
        with pytest.raises(StorageError, match=expected):
            get_storage(str(path))


# ---------------------------------------------------------------------- study names
@pytest.mark.parametrize(("study", "expected"), [
    ('"a\\0b"', r"bad.yaml:2: study: study name 'a\x00b' contains the control character \x00"),
    ('"\\e[2J"', r"contains the control character \x1b"),
    ("'" + "n" * 10240 + "'", "'... (10240 characters) is longer than 512 characters; choose"),
    ("'   '", "bad.yaml:2: study: must be a non-empty string"),
])
def test_a_bad_study_name_in_a_config_cites_file_and_line(project: Path, study: str,
                                                          expected: str) -> None:
    (project / "bad.yaml").write_text(config(study=study), encoding="utf-8")
    err = one_line(tc(project, "run", "bad.yaml"), 2)
    assert expected in err and len(err) < 400  # a long name is clipped, not echoed whole
    assert not (project / "tunecraft.db").exists()


def test_bad_study_names_on_the_command_line_are_clipped(project: Path) -> None:
    (project / "ok.yaml").write_text(config(), encoding="utf-8")
    long = "n" * 10240
    err = one_line(tc(project, "run", "ok.yaml", "--study", long), 2)
    assert err.startswith("tunecraft run: error: --study: study name 'nnn") and len(err) < 400
    assert "... (10240 characters) is longer than 512" in err
    assert tc(project, "run", "ok.yaml").returncode == 0
    err = one_line(tc(project, "trials", long), 1)
    assert "no study named 'nnn" in err and "(10240 characters)" in err and len(err) < 400


@pytest.mark.parametrize("storage", ["memory", "sqlite"])
def test_every_storage_refuses_the_same_study_names(tmp_path: Path, storage: str) -> None:
    where = None if storage == "memory" else str(tmp_path / "s.db")
    for bad in ("a\x00b", "x" * 513, "tab\tname", ""):
        with pytest.raises(ValueError, match="study[ _]name"):
            tunecraft.create_study(storage=where, study_name=bad)
    assert tunecraft.create_study(storage=where, study_name="[/] ok").study_name == "[/] ok"


@pytest.mark.postgres
def test_postgres_refuses_nul_names_cleanly_and_stores_nul_in_params(pg_url: str) -> None:
    storage = get_storage(pg_url)
    try:
        _nul_names_on(storage)
    finally:
        storage.close()


def _nul_names_on(storage: Storage) -> None:
    with pytest.raises(ValueError, match=r"contains the control character \\x00"):
        tunecraft.create_study(storage=storage, study_name="a\x00b")
    study = tunecraft.create_study(storage=storage, study_name=f"nul-{os.getpid()}",
                                   sampler=RandomSampler(seed=0))
    with pytest.raises(ValueError, match="NUL character"):
        study.set_user_attr("k\x00", 1)
    with pytest.raises(ValueError, match="longer than 512"):
        study.set_user_attr("k" * 600, 1)

    def objective(trial: tunecraft.Trial) -> float:
        trial.set_user_attr("a\x00", "b\x00")
        return trial.suggest_float("x\x00y", 0.0, 1.0)

    study.optimize(objective, n_trials=2, catch=())
    (t0, t1) = study.trials
    assert set(t0.params) == {"x\x00y"} and dict(t1.user_attrs) == {"a\x00": "b\x00"}
    tunecraft.delete_study(study_name=study.study_name, storage=storage)


# ---------------------------------------------------------------------- spaces
def test_a_space_that_contradicts_the_study_is_refused_before_any_trial(project: Path) -> None:
    (project / "v1.yaml").write_text(config(), encoding="utf-8")
    assert tc(project, "run", "v1.yaml").returncode == 0
    (project / "v2.yaml").write_text(
        config(space="x: {type: int, low: 0, high: 10}", n_trials=300), encoding="utf-8")
    err = one_line(tc(project, "run", "v2.yaml"), 2)
    assert ("v2.yaml:6: space.x: parameter 'x' is Float(0, 1) in study 's' in tunecraft.db, "
            "but this config declares Int(0, 10)") in err
    assert "rename the parameter, or start a new study (--study NEW_NAME)" in err
    trials = tunecraft.load_study(study_name="s", storage=str(project / "tunecraft.db"),
                                  sampler=RandomSampler()).trials
    assert len(trials) == 2 and all(t.state is tunecraft.TrialState.COMPLETE for t in trials)
    assert tc(project, "run", "v2.yaml", "--study", "s2").returncode == 0  # the fix works


# ---------------------------------------------------------------------- read-only files
@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder that another user may enter (tests drop root privileges to test access)."""
    path = Path(tempfile.mkdtemp(prefix="tunecraft-ro-"))
    path.chmod(0o777)
    try:
        yield path
    finally:
        for p in [path, *path.rglob("*")]:
            if p.is_dir():
                p.chmod(0o777)
        shutil.rmtree(path)


def as_another_user(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI run by a user without write access: this one, or nobody when we are root
    (root ignores file permissions)."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.fail("running as root, these tests need setpriv (util-linux) to drop to "
                        "user nobody; install it or run the tests as a normal user")
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    env = {k: v for k, v in os.environ.items() if k != "TUNECRAFT_STORAGE"}
    return subprocess.run([*prefix, *COMMAND, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file permissions")
@pytest.mark.parametrize("locked", ["file", "folder"])
def test_a_read_only_database_can_be_read_and_refuses_writes_clearly(shared_dir: Path,
                                                                     locked: str) -> None:
    (shared_dir / "flat.py").write_text(FLAT, encoding="utf-8")
    (shared_dir / "ok.yaml").write_text(config(), encoding="utf-8")
    data = shared_dir / "data"
    data.mkdir()
    db = data / "x.db"
    study = tunecraft.create_study(storage=str(db), study_name="s",
                                   sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=3)
    study.storage.close()
    assert sorted(os.listdir(data)) == ["x.db"]
    readable = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
    if locked == "file":
        db.chmod(readable)
        data.chmod(0o777)
    else:
        db.chmod(readable | stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        data.chmod(0o555)
    shown: dict[str, str] = {}
    reads: list[tuple[str, ...]] = [("studies",), ("trials", "s"), ("best", "s"), ("export", "s")]
    for args in reads:
        out = as_another_user(shared_dir, *args, "--storage", "data/x.db")
        assert out.returncode == 0, out.stderr
        shown[args[0]] = out.stdout
    assert "Best trial of 's': #" in shown["best"] and "(3 of 3)" in shown["trials"]
    assert len(shown["export"].splitlines()) == 4  # header + 3 trials
    assert sorted(os.listdir(data)) == ["x.db"]  # reading left no -wal or -shm behind
    writes: list[tuple[str, ...]] = [("run", "ok.yaml"), ("delete", "s", "--yes")]
    for args in writes:
        err = one_line(as_another_user(shared_dir, *args, "--storage", "data/x.db"), 1)
        if locked == "file":
            assert "SQLite file 'data/x.db' is read-only" in err
            assert "make it writable (chmod u+w data/x.db)" in err
        else:
            assert f"its folder '{data}' is read-only, and SQLite must create x.db-wal" in err
            assert "make the folder writable" in err
    assert sorted(os.listdir(data)) == ["x.db"]

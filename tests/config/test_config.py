"""YAML loading with file:line errors, run-config validation, and building samplers/pruners."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from tunecraft.config import (
    ConfigError,
    RunConfig,
    dump_yaml,
    load_run_config,
    load_space,
    load_yaml,
    loads_yaml,
    parse_run_config,
)
from tunecraft.config.build import build_pruner, build_sampler, load_objective, with_space
from tunecraft.direction import StudyDirection
from tunecraft.pruners import MedianPruner, NopPruner, PercentilePruner
from tunecraft.samplers import GridSampler, QMCSampler, RandomSampler
from tunecraft.space import Categorical, Float, Int


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# ---------------------------------------------------------------------- YAML loading
def test_yaml_12_scalars_exponent_floats_and_strict_booleans() -> None:
    data, _ = loads_yaml("a: 1e-5\nb: 3E8\nc: yes\nd: off\ne: true\nf: 1.5\ng: 12\nh: '1e5'\n")
    assert data == {"a": 1e-5, "b": 3e8, "c": "yes", "d": "off", "e": True, "f": 1.5, "g": 12,
                    "h": "1e5"}


def test_dump_yaml_quotes_strings_that_would_read_back_as_other_types() -> None:
    data = {"s": ["1e5", "yes", "on", "true", "12"], "x": 1e-5, "n": None}
    text = dump_yaml(data)
    assert loads_yaml(text)[0] == data
    import yaml

    assert yaml.safe_load(text) == data  # plain PyYAML readers agree


def test_lines_are_recorded_for_every_key_and_list_item() -> None:
    _, source = loads_yaml("a:\n  b: 1\n  c:\n    - x\n    - y\n", "f.yaml")
    assert source.line(("a", "b")) == 2
    assert source.line(("a", "c", 1)) == 5
    assert source.line(("a", "missing")) == 1  # the nearest ancestor
    assert source.error(("a", "c", 1), "bad").args[0] == "f.yaml:5: a.c[1]: bad"


@pytest.mark.parametrize(("text", "message"), [
    ("a: [1, 2\n", r"^f\.yaml:2: invalid YAML: expected ',' or '\]'.*flow sequence at line 1"),
    ("a: 1\n b: 2\n", r"^f\.yaml:2: invalid YAML: mapping values are not allowed here"),
    ("a:\n  x: 1\n  x: 2\n", r"^f\.yaml:3: a\.x: duplicate key"),
    ("a: !!python/object:os.system x\n", r"^f\.yaml:1: invalid YAML: could not determine"),
    ("a: &r [1, *r]\n", r"^f\.yaml:1: a\[1\]: recursive YAML alias"),
    ("? [1]\n: 2\n", r"^f\.yaml:1: \(top level\): keys must be names"),
])
def test_yaml_problems_cite_file_and_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        loads_yaml(text, "f.yaml")


def test_merge_keys_work_and_may_be_overridden() -> None:
    data, source = loads_yaml("b: &b {type: float, low: 0, high: 1}\nx: {<<: *b, high: 2}\n")
    assert data["x"] == {"type": "float", "low": 0, "high": 2}
    assert source.line(("x", "high")) == 2


def test_load_yaml_names_a_missing_or_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: no such file"):
        load_yaml(tmp_path / "nope.yaml")
    (tmp_path / "bin.yaml").write_bytes(b"a: \xff\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_yaml(tmp_path / "bin.yaml")


def test_load_space_reads_the_space_key_or_the_whole_file(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", """
        space:
          lr: {type: float, low: 1e-4, high: 1e-1, log: true}
        """)
    assert load_space(path).dims == {"lr": Float(1e-4, 1e-1, log=True)}
    whole = write(tmp_path, "w.yaml", "n: {type: int, low: 1, high: 4}\n")
    assert load_space(whole, key=None).dims == {"n": Int(1, 4)}
    with pytest.raises(ConfigError, match=r"w\.yaml:1: has no 'space' key"):
        load_space(whole)


# ---------------------------------------------------------------------- run configs
def test_defaults_and_study_name_from_the_file_name(tmp_path: Path) -> None:
    config = load_run_config(write(tmp_path, "my_study.yaml", "objective: m:f\nn_trials: 3\n"))
    assert config.study == "my_study"
    assert (config.sampler.name, config.pruner.name) == ("auto", "median")
    assert config.directions == (StudyDirection.MINIMIZE,)
    assert config.storage is None and config.space is None and config.n_jobs == 1
    assert config.base_dir == str(tmp_path)


def test_a_full_config_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "full.yaml", """
        objective: train.py:main
        study: s1
        storage: results.db
        directions: [minimize, maximize]
        n_trials: 10
        timeout: 2.5
        seed: 3
        n_jobs: 2
        sampler: {name: random}
        pruner: {name: percentile, percentile: 25.0, n_warmup_steps: 2}
        space:
          opt: [sgd, adam]
        """)
    c = load_run_config(path)
    assert (c.objective, c.study, c.storage, c.n_trials, c.timeout, c.seed, c.n_jobs) == (
        "train.py:main", "s1", "results.db", 10, 2.5, 3, 2)
    assert c.directions == (StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE)
    assert c.pruner.kwargs == {"percentile": 25.0, "n_warmup_steps": 2}
    assert c.space is not None and c.space.dims == {"opt": Categorical(("sgd", "adam"))}


@pytest.mark.parametrize(("body", "where", "fragment"), [
    ("objective: m:f\nn_trial: 3\n", "c.yaml:2: n_trial", "did you mean 'n_trials'"),
    ("n_trials: 3\n", "c.yaml:1", "missing 'objective'"),
    ("objective: justaname\n", "c.yaml:1: objective", "module:function"),
    ("objective: m:f\ndirection: minimise\n", "c.yaml:2: direction", "did you mean 'minimize'"),
    ("objective: m:f\ndirection: minimize\ndirections: [maximize]\n", "c.yaml:3: directions",
     "not both"),
    ("objective: m:f\ndirections: []\n", "c.yaml:2: directions", "non-empty list"),
    ("objective: m:f\nn_trials: -1\n", "c.yaml:2: n_trials", "must be an integer >= 0"),
    ("objective: m:f\nn_trials: many\n", "c.yaml:2: n_trials", "must be an integer"),
    ("objective: m:f\ntimeout: 0\n", "c.yaml:2: timeout", "positive number"),
    ("objective: m:f\nn_jobs: 0\n", "c.yaml:2: n_jobs", "positive integer or -1"),
    ("objective: m:f\nseed: 1.5\n", "c.yaml:2: seed", "must be an integer"),
    ("objective: m:f\nsampler: tpee\n", "c.yaml:2: sampler", "did you mean 'tpe'"),
    ("objective: m:f\nsampler: {seed: 1}\n", "c.yaml:2: sampler", "needs 'name'"),
    ("objective: m:f\nsampler:\n  name: random\n  seed: 1\n", "c.yaml:4: sampler.seed",
     "top-level 'seed'"),
    ("objective: m:f\npruner:\n  name: medain\n", "c.yaml:3: pruner.name",
     "did you mean 'median'"),
    ("objective: m:f\npruner: 3\n", "c.yaml:2: pruner", "pruner name"),
    ("objective: m:f\nspace:\n  x: {type: float, low: 0, high: abc}\n", "c.yaml:3: space.x.high",
     "must be a number, got 'abc'"),
    ("- 1\n", "c.yaml:1", "must be a mapping"),
])
def test_run_config_errors_cite_file_line_and_key(tmp_path: Path, body: str, where: str,
                                                  fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_run_config(write(tmp_path, "c.yaml", body))
    message = str(info.value)
    assert message.startswith(str(tmp_path / where)), message
    assert fragment in message


def test_python_dict_configs_name_only_the_key() -> None:
    with pytest.raises(ConfigError, match=r"^space\.x\.low: must be a number"):
        parse_run_config({"objective": "m:f",
                          "space": {"x": {"type": "float", "low": "a", "high": 1}}})


# ---------------------------------------------------------------------- building
def _config(tmp_path: Path, body: str) -> RunConfig:
    return load_run_config(write(tmp_path, "c.yaml", "objective: m:f\n" + body))


def test_samplers_and_pruners_are_built_with_their_arguments_and_the_seed(tmp_path: Path
                                                                          ) -> None:
    c = _config(tmp_path, "seed: 11\nsampler: random\n"
                          "pruner: {name: median, n_startup_trials: 2, n_warmup_steps: 1}\n")
    sampler, pruner = build_sampler(c), build_pruner(c)
    assert isinstance(sampler, RandomSampler) and sampler.seed == 11
    assert isinstance(pruner, MedianPruner)
    assert (pruner.n_startup_trials, pruner.n_warmup_steps) == (2, 1)
    assert isinstance(build_pruner(_config(tmp_path, "pruner: none\n")), NopPruner)
    p = build_pruner(_config(tmp_path, "pruner: {name: percentile, percentile: 10}\n"))
    assert isinstance(p, PercentilePruner) and p.percentile == 10.0


def test_grid_sampler_takes_its_grid_from_the_space(tmp_path: Path) -> None:
    c = _config(tmp_path, "sampler: grid\nspace:\n  a: [x, y]\n  b: {type: int, low: 1, "
                          "high: 3}\n  c: {type: float, low: 0, high: 1, step: 0.5}\n")
    sampler = build_sampler(c)
    assert isinstance(sampler, GridSampler)
    assert sampler.search_space == {"a": ("x", "y"), "b": (1, 2, 3), "c": (0.0, 0.5, 1.0)}
    assert sampler.n_points == 18


def test_qmc_sampler_covers_the_unconditional_part_of_the_space(tmp_path: Path) -> None:
    c = _config(tmp_path, "sampler: qmc\nspace:\n  a: [x, y]\n  b: {type: float, low: 0, "
                          "high: 1, when: {a: x}}\n  c: {type: int, low: 0, high: 9}\n")
    sampler = build_sampler(c)
    assert isinstance(sampler, QMCSampler)
    assert sampler.search_space == {"a": Categorical(("x", "y")), "c": Int(0, 9)}


@pytest.mark.parametrize(("body", "where", "fragment"), [
    ("sampler: grid\nspace:\n  x: {type: float, low: 0, high: 1}\n", "c.yaml:4: space.x",
     "needs finite parameters"),
    ("sampler: grid\n", "c.yaml:2: sampler", "needs a 'space'"),
    ("sampler: {name: qmc, qmc_typ: sobol}\n", "c.yaml:2: sampler.qmc_typ",
     "did you mean 'qmc_type'"),
    ("sampler: {name: qmc, qmc_type: lattice}\n", "c.yaml:2: sampler", "'sobol' or 'halton'"),
    ("pruner: percentile\n", "c.yaml:2: pruner", "PercentilePruner needs 'percentile'"),
    ("pruner: {name: median, n_startup_trials: -1}\n", "c.yaml:2: pruner", ">= 0"),
    ("sampler: no_such_module_xyz:Sampler\n", "c.yaml:2: sampler", "no module named"),
    ("sampler: tunecraft.samplers:BaseSamplerz\n", "c.yaml:2: sampler",
     "(tunecraft.samplers has no attribute 'BaseSamplerz')"),
    ("pruner: tunecraft.samplers:RandomSampler\n", "c.yaml:2: pruner",
     "is not a tunecraft pruner (a class that does not derive from BasePruner); name a "
     "subclass of tunecraft.pruners.BasePruner, or a built-in pruner"),
    ("sampler: collections:OrderedDict\n", "c.yaml:2: sampler",
     "'collections:OrderedDict' is not a tunecraft sampler (a class that does not derive "
     "from BaseSampler)"),
    ("sampler: os:system\n", "c.yaml:2: sampler",
     "(a builtin_function_or_method, not a class)"),
    ("sampler: 'os:'\n", "c.yaml:2: sampler", "is not a class reference"),
])
def test_build_errors_cite_the_config(tmp_path: Path, body: str, where: str,
                                      fragment: str) -> None:
    c = _config(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        build_sampler(c)
        build_pruner(c)
    assert str(info.value).startswith(str(tmp_path / where)), str(info.value)
    assert fragment in str(info.value)


@pytest.mark.parametrize("body", [
    "sampler: {{name: 'subprocess:Popen', args: [touch, '{marker}']}}\n",
    "pruner: {{name: 'subprocess:Popen', args: [touch, '{marker}']}}\n",
    "pruner: {{name: patient, patience: 1, wrapped: {{name: 'subprocess:Popen', "
    "args: [touch, '{marker}']}}}}\n",
])
def test_a_class_named_in_a_config_is_checked_before_it_is_called(tmp_path: Path,
                                                                   body: str) -> None:
    """A config naming any importable class (here one that runs a command) is refused
    before the class is called: nothing runs."""
    marker = tmp_path / "ran"
    c = _config(tmp_path, body.format(marker=marker))
    with pytest.raises(ConfigError, match="'subprocess:Popen' is not a tunecraft"):
        build_sampler(c)
        build_pruner(c)
    assert not marker.exists()


def test_custom_sampler_classes_load_by_module_and_name(tmp_path: Path) -> None:
    c = _config(tmp_path, "seed: 5\nsampler: tunecraft.samplers.random:RandomSampler\n")
    sampler = build_sampler(c)
    assert isinstance(sampler, RandomSampler) and sampler.seed == 5


# ---------------------------------------------------------------------- objectives
@pytest.fixture
def clean_modules() -> object:
    before = set(sys.modules)
    path = list(sys.path)
    yield None
    for name in set(sys.modules) - before:
        del sys.modules[name]
    sys.path[:] = path


@pytest.mark.usefixtures("clean_modules")
def test_objectives_import_from_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "objmod_a.py").write_text("def f(trial):\n    return 1.5\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "objfile_b.py").write_text("def g(trial):\n    return 2.5\n",
                                                   encoding="utf-8")
    a = load_run_config(write(tmp_path, "a.yaml", "objective: objmod_a:f\n"))
    assert load_objective(a)(None) == 1.5
    b = load_run_config(write(tmp_path, "b.yaml", "objective: sub/objfile_b.py:g\n"))
    assert load_objective(b)(None) == 2.5


@pytest.mark.usefixtures("clean_modules")
@pytest.mark.parametrize(("objective", "fragment"), [
    ("objmod_missing_q:f", "no module named 'objmod_missing_q'"),
    ("objmod_c:fn", "has no attribute 'fn'; did you mean 'fun'?"),
    ("objmod_c:CONST", "'objmod_c:CONST' is not callable"),
    ("nofile_q.py:f", "no file 'nofile_q.py'"),
])
def test_objective_errors_cite_the_objective_key(tmp_path: Path, objective: str,
                                                 fragment: str) -> None:
    (tmp_path / "objmod_c.py").write_text("CONST = 3\ndef fun(trial):\n    return 0.0\n",
                                          encoding="utf-8")
    body = f"# the objective\nobjective: {objective}\n"
    config = load_run_config(write(tmp_path, "c.yaml", body))
    with pytest.raises(ConfigError) as info:
        load_objective(config)
    assert str(info.value).startswith(f"{tmp_path / 'c.yaml'}:2: objective: ")
    assert fragment in str(info.value)


@pytest.mark.usefixtures("clean_modules")
def test_errors_inside_the_objective_module_propagate(tmp_path: Path) -> None:
    (tmp_path / "objmod_d.py").write_text("import no_such_dependency_q\n", encoding="utf-8")
    config = load_run_config(write(tmp_path, "c.yaml", "objective: objmod_d:f\n"))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_q"):
        load_objective(config)


def test_with_space_suggests_the_space_before_the_objective() -> None:
    import tunecraft
    from tunecraft.config import parse_space

    seen: dict[str, object] = {}

    def objective(trial: tunecraft.Trial) -> float:
        seen.update(trial.params)
        return float(trial.params["x"])

    space = parse_space({"x": {"type": "int", "low": 0, "high": 3}})
    study = tunecraft.create_study(sampler=RandomSampler(seed=0))
    study.optimize(with_space(objective, space), n_trials=3)
    assert set(seen) == {"x"} and all(t.params.keys() == {"x"} for t in study.trials)
    assert with_space(objective, None) is objective


@pytest.mark.parametrize("name, cls", [
    ("auto", "AutoSampler"), ("gp", "GPSampler"), ("cmaes", "CmaEsSampler"),
    ("nsga2", "NSGAIISampler"), ("random", "RandomSampler"),
])
def test_every_builtin_sampler_name_builds(tmp_path: Path, name: str, cls: str) -> None:
    from tunecraft.config.build import build_sampler

    config = load_run_config(write(tmp_path, "s.yaml",
                                   f"objective: m:f\nn_trials: 3\nseed: 1\nsampler: {name}\n"))
    sampler = build_sampler(config)
    assert type(sampler).__name__ == cls and sampler.seed == 1


@pytest.mark.parametrize("spec, cls", [
    ("{name: asha, min_resource: 1, reduction_factor: 3}", "SuccessiveHalvingPruner"),
    ("{name: hyperband, min_resource: 1, max_resource: 27}", "HyperbandPruner"),
    ("{name: threshold, lower: 0.1}", "ThresholdPruner"),
    ("{name: patient, wrapped: median, patience: 2}", "PatientPruner"),
    ("{name: smoothed, wrapped: {name: percentile, percentile: 25}, window: 3}",
     "SmoothedPruner"),
    ("{name: wilcoxon, p_threshold: 0.05}", "WilcoxonPruner"),
])
def test_scheduler_pruner_names_build(tmp_path: Path, spec: str, cls: str) -> None:
    from tunecraft.config.build import build_pruner

    config = load_run_config(write(tmp_path, "p.yaml", f"objective: m:f\npruner: {spec}\n"
                                                       "n_trials: 3\n"))
    assert type(build_pruner(config)).__name__ == cls

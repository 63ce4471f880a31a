"""Declared search spaces: parsing, validation messages, round trips and suggest_space."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tunecraft
from tunecraft.config import (
    ConfigError,
    DeclaredSpace,
    dump_yaml,
    loads_yaml,
    parse_space,
    space_to_dict,
    suggest_space,
)
from tunecraft.exceptions import IncompatibleSpace
from tunecraft.samplers import RandomSampler
from tunecraft.space import Categorical, Dim, Float, Int

EXAMPLE = {
    "lr": {"type": "float", "low": 1.0e-5, "high": 1.0e-1, "log": True},
    "batch_size": {"type": "int", "low": 16, "high": 128, "step": 16},
    "optimizer": {"type": "categorical", "choices": ["sgd", "adam", "adamw"]},
    "momentum": {"type": "float", "low": 0.0, "high": 0.99, "when": {"optimizer": "sgd"}},
}


def _study(seed: int = 0) -> tunecraft.Study:
    return tunecraft.create_study(sampler=RandomSampler(seed=seed),
                                  pruner=tunecraft.pruners.NopPruner())


# ---------------------------------------------------------------------- the mapping to dims
def test_example_space_maps_to_the_define_by_run_distributions() -> None:
    space = parse_space(EXAMPLE)
    assert space.dims == {
        "lr": Float(1e-5, 1e-1, log=True),
        "batch_size": Int(16, 128, step=16),
        "optimizer": Categorical(("sgd", "adam", "adamw")),
        "momentum": Float(0.0, 0.99),
    }
    assert space.unconditional() == {k: v for k, v in space.dims.items() if k != "momentum"}
    assert space.params[3].when == (("optimizer", ("sgd",)),)


def test_shorthands_list_and_untyped_choices_are_categoricals() -> None:
    space = parse_space({"a": ["x", "y"], "b": {"choices": [1, 2]}, "c": Int(0, 3)})
    assert space.dims == {"a": Categorical(("x", "y")), "b": Categorical((1, 2)), "c": Int(0, 3)}


def test_declared_and_define_by_run_trials_draw_the_same_values() -> None:
    declared, manual = _study(seed=7), _study(seed=7)
    for _ in range(6):
        t1 = declared.ask()
        got = suggest_space(t1, EXAMPLE)
        t2 = manual.ask()
        want = {"lr": t2.suggest_float("lr", 1e-5, 1e-1, log=True),
                "batch_size": t2.suggest_int("batch_size", 16, 128, step=16),
                "optimizer": t2.suggest_categorical("optimizer", ["sgd", "adam", "adamw"])}
        if want["optimizer"] == "sgd":
            want["momentum"] = t2.suggest_float("momentum", 0.0, 0.99)
        assert got == want == dict(t1.params)
        assert t1.distributions == t2.distributions
        declared.tell(t1, 0.0)
        manual.tell(t2, 0.0)


def test_suggesting_a_declared_name_again_returns_the_same_value() -> None:
    trial = _study().ask()
    values = suggest_space(trial, EXAMPLE)
    assert trial.suggest_float("lr", 1e-5, 1e-1, log=True) == values["lr"]
    assert trial.suggest_int("extra", 0, 3) in range(4)  # the objective may add parameters
    with pytest.raises(IncompatibleSpace):
        trial.suggest_float("lr", 0.0, 1.0)


def test_conditions_accept_lists_and_chain_in_declaration_order() -> None:
    data: dict[str, Any] = {
        "model": ["mlp", "cnn", "rnn"],
        "layers": {"type": "int", "low": 1, "high": 3, "when": {"model": ["mlp", "cnn"]}},
        "width": {"type": "int", "low": 8, "high": 64, "step": 8, "when": {"layers": [2, 3]}},
        "dropout": {"type": "float", "low": 0.0, "high": 0.5,
                    "when": {"model": "cnn", "layers": 3}},
    }
    space = parse_space(data)
    seen = set()
    study = _study(seed=3)
    for _ in range(60):
        trial = study.ask()
        v = suggest_space(trial, space)
        study.tell(trial, 0.0)
        assert ("layers" in v) == (v["model"] in ("mlp", "cnn"))
        assert ("width" in v) == (v.get("layers") in (2, 3))  # inactive parent: inactive child
        assert ("dropout" in v) == (v["model"] == "cnn" and v.get("layers") == 3)
        seen.add(frozenset(v))
    assert len(seen) >= 4


def test_groups_apply_one_condition_to_several_parameters() -> None:
    data = {
        "optimizer": ["sgd", "adam"],
        "sgd_params": {"when": {"optimizer": "sgd"}, "space": {
            "momentum": {"type": "float", "low": 0.0, "high": 0.99},
            "nesterov": [True, False],
        }},
    }
    space = parse_space(data)
    assert space.names == ("optimizer", "momentum", "nesterov")
    assert all(p.when == (("optimizer", ("sgd",)),) for p in space.params[1:])
    # Written back flat, each parameter with its full condition, and read back equal.
    assert parse_space(space.to_dict()) == space


def test_a_condition_inside_a_group_must_be_compatible_with_the_group() -> None:
    data: dict[str, Any] = {"opt": ["a", "b", "c"], "g": {"when": {"opt": ["a", "b"]}, "space": {
        "x": {"type": "int", "low": 0, "high": 1, "when": {"opt": ["b", "c"]}}}}}
    assert parse_space(data).params[1].when == (("opt", ("b",)),)
    data["g"]["space"]["x"]["when"] = {"opt": "c"}
    with pytest.raises(ConfigError, match=r"g\.space\.x\.when\.opt: can never hold"):
        parse_space(data)


def test_conditions_are_type_aware() -> None:
    space = parse_space({"flag": [True, False], "n": [1, 2.5],
                         "x": {"type": "int", "low": 0, "high": 1, "when": {"flag": True}},
                         "y": {"type": "int", "low": 0, "high": 1, "when": {"n": 1.0}}})
    assert space.params[2].when == (("flag", (True,)),)
    assert space.params[3].when == (("n", (1,)),)  # the choice itself, not the 1.0 written
    assert not space.params[2].is_active({"flag": 1})
    assert space.params[3].is_active({"n": 1.0})
    with pytest.raises(ConfigError, match="1 is not a value of 'flag'"):
        parse_space({"flag": [True, False], "x": {"choices": [0], "when": {"flag": 1}}})


# ---------------------------------------------------------------------- validation messages
@pytest.mark.parametrize(("spec", "key", "fragment"), [
    ({"x": {"type": "flaot", "low": 0, "high": 1}}, "x.type", "did you mean 'float'"),
    ({"x": {"type": "float", "lwo": 0, "high": 1}}, "x.lwo", "did you mean 'low'"),
    ({"x": {"type": "float", "low": "abc", "high": 1}}, "x.low", "must be a number, got 'abc'"),
    ({"x": {"type": "float", "low": 2, "high": 1}}, "x.low", "swap them"),
    ({"x": {"type": "float", "low": 0, "high": 1, "log": True}}, "x.log", "needs low > 0"),
    ({"x": {"type": "float", "low": 0, "high": 1, "step": 0.3}}, "x.step", "use high=0.9"),
    ({"x": {"type": "int", "low": 0, "high": 10, "step": 3}}, "x.step", "use high=9"),
    ({"x": {"type": "int", "low": 0.5, "high": 10}}, "x.low", "must be an integer"),
    ({"x": {"type": "float", "low": 0, "high": 1, "log": "yes"}}, "x.log", "true or false"),
    ({"x": {"type": "float", "low": 0}}, "x", "needs 'high'"),
    ({"x": {"low": 0, "high": 1}}, "x", "missing 'type'"),
    ({"x": "float"}, "x", "must be a mapping"),
    ({"x": {"type": "categorical", "choices": []}}, "x.choices", "at least one choice"),
    ({"x": {"type": "categorical", "choices": ["a", "a"]}}, "x.choices", "duplicates"),
    ({"x": {"type": "categorical", "choices": [[1]]}}, "x.choices[0]", "choices must be"),
    ({"x": ["a"], "y": {"type": "int", "low": 0, "high": 1, "when": {"z": "a"}}},
     "y.when.z", "unknown parameter 'z'"),
    ({"x": ["a"], "y": {"type": "int", "low": 0, "high": 1, "when": {"xx": "a"}}},
     "y.when.xx", "did you mean 'x'"),
    ({"y": {"type": "int", "low": 0, "high": 1, "when": {"x": "a"}}, "x": ["a"]},
     "y.when.x", "declared after 'y'"),
    ({"x": ["a"], "y": {"type": "int", "low": 0, "high": 1, "when": {"x": "b"}}},
     "y.when.x", "'b' is not a value of 'x'"),
    ({"x": {"type": "float", "low": 0, "high": 1},
      "y": {"type": "int", "low": 0, "high": 1, "when": {"x": 0.5}}},
     "y.when.x", "continuous float"),
    ({"x": ["a"], "y": {"type": "int", "low": 0, "high": 1, "when": {"y": 0}}},
     "y.when.y", "cannot depend on itself"),
    ({"x": ["a"], "y": {"type": "int", "low": 0, "high": 1, "when": {}}}, "y.when", "empty"),
    ({"x": ["a"], "g": {"when": {"x": "a"}, "space": {"x": [1]}}}, "g.space.x",
     "declared twice"),
    ({"x": ["a"], "g": {"when": {"x": "a"}, "spaces": {}}}, "g", "missing 'type'"),
    ({"x": ["a"], "g": {"when": {"x": "a"}, "space": {}, "extra": 1}}, "g.extra",
     "unknown key in a group"),
    ({1: ["a"]}, "[1]", "names must be strings"),
])
def test_invalid_specs_raise_config_errors_naming_the_key(spec: dict[Any, Any], key: str,
                                                          fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_space(spec, path=("space",))
    message = str(info.value)
    sep = "" if key.startswith("[") else "."
    assert message.startswith(f"space{sep}{key}: "), message
    assert fragment in message


def test_yaml_errors_cite_file_line_and_key() -> None:
    text = "# a comment\nobjective: m:f\nspace:\n  x:\n    type: float\n    low: abc\n"
    data, source = loads_yaml(text, "examples/bad.yaml")
    want = r"^examples/bad\.yaml:6: space\.x\.low: must be a number, got 'abc'$"
    with pytest.raises(ConfigError, match=want):
        parse_space(data["space"], source=source, path=("space",))


# ---------------------------------------------------------------------- round trips
def test_plain_space_round_trips_through_dict() -> None:
    space: dict[str, Dim] = {"a": Float(0.5, 2.0, step=0.5), "b": Int(1, 64, log=True),
                             "c": Categorical((None, True, 3, 2.5, "s"))}
    assert parse_space(space_to_dict(space)).dims == space
    assert space_to_dict(space)["b"] == {"type": "int", "low": 1, "high": 64, "log": True}


_names = st.text(alphabet="abcdefghij_", min_size=1, max_size=6)
_choice = st.one_of(st.none(), st.booleans(), st.integers(-5, 5),
                    st.floats(-1e6, 1e6, allow_nan=False), st.text(max_size=5))


@st.composite
def _dims(draw: st.DrawFn) -> Dim:
    kind = draw(st.sampled_from(["float", "float_log", "float_step", "int", "int_log",
                                 "int_step", "cat"]))
    if kind == "cat":
        values = draw(st.lists(_choice, min_size=1, max_size=5))
        unique: list[Any] = []
        for v in values:
            if not any(u == v for u in unique):  # Categorical rejects True and 1 together
                unique.append(v)
        return Categorical(tuple(unique))
    if kind.startswith("int"):
        ilow = draw(st.integers(1 if kind == "int_log" else -50, 50))
        istep = draw(st.integers(1, 5)) if kind == "int_step" else 1
        n = draw(st.integers(0, 10))
        return Int(ilow, ilow + n * istep, log=kind == "int_log", step=istep)
    if kind == "float_log":
        low = draw(st.floats(1e-6, 10.0))
        return Float(low, low * draw(st.floats(1.0, 1e4)), log=True)
    low = draw(st.floats(-100, 100))
    if kind == "float_step":
        step = draw(st.sampled_from([0.25, 0.5, 1.0, 2.0]))
        return Float(low, low + draw(st.integers(0, 8)) * step, step=step)
    return Float(low, low + draw(st.floats(0.0, 100.0)))


def _accepted(dim: Dim, draw: Any) -> list[Any] | None:
    if isinstance(dim, Categorical):
        values: list[Any] = draw(st.lists(st.sampled_from(dim.choices), min_size=1,
                                          max_size=2))
        return values
    if isinstance(dim, Int) and dim.high - dim.low <= 20 * dim.step:
        return [draw(st.sampled_from(range(dim.low, dim.high + 1, dim.step)))]
    return None


@st.composite
def declared_specs(draw: st.DrawFn) -> dict[str, Any]:
    """Random valid declared spaces (as plain data), some parameters conditional."""
    names = draw(st.lists(_names, min_size=1, max_size=6, unique=True))
    data: dict[str, Any] = {}
    dims: dict[str, Dim] = {}
    for name in names:
        dim = draw(_dims())
        spec = space_to_dict({name: dim})[name]
        conditional: bool = draw(st.booleans())
        if dims and conditional:
            parent = draw(st.sampled_from(list(dims)))
            accepted = _accepted(dims[parent], draw)
            if accepted is not None:
                spec["when"] = {parent: accepted}
        data[name] = spec
        dims[name] = dim
    return data


@given(declared_specs())
@settings(max_examples=60)
def test_random_declared_spaces_round_trip_through_dict_and_yaml(data: dict[str, Any]) -> None:
    space = parse_space(data)
    assert isinstance(space, DeclaredSpace)
    assert parse_space(space.to_dict()) == space
    text = dump_yaml({"space": space.to_dict()})
    loaded, source = loads_yaml(text, "roundtrip.yaml")
    assert parse_space(loaded["space"], source=source, path=("space",)) == space


@given(declared_specs(), st.integers(0, 2**31))
@settings(max_examples=30)
def test_suggested_values_are_legal_and_respect_conditions(data: dict[str, Any],
                                                           seed: int) -> None:
    space = parse_space(data)
    study = _study(seed)
    for _ in range(3):
        trial = study.ask()
        values = suggest_space(trial, space)
        study.tell(trial, 1.0)
        assert values == dict(trial.params)
        active: dict[str, Any] = {}
        for p in space.params:
            if p.is_active(active):
                assert p.name in values and p.dim.contains(values[p.name])
                active[p.name] = values[p.name]
            else:
                assert p.name not in values
        assert list(values) == [n for n in space.names if n in values]  # declaration order


@given(declared_specs(), st.data())
@settings(max_examples=40)
def test_corrupted_specs_name_the_broken_key(data: dict[str, Any], draw: st.DataObject) -> None:
    name = draw.draw(st.sampled_from(list(data)))
    spec = dict(data[name])
    how = draw.draw(st.sampled_from(["unknown_key", "bad_type", "bad_low"]))
    if how == "unknown_key":
        spec["colour"] = 1
        key = f"space.{name}.colour"
    elif how == "bad_type":
        spec["type"] = "string"
        key = f"space.{name}.type"
    else:
        if spec["type"] == "categorical":
            spec["choices"] = "not a list"
            key = f"space.{name}.choices"
        else:
            spec["low"] = "abc"
            key = f"space.{name}.low"
    broken = {**data, name: spec}
    with pytest.raises(ConfigError) as info:
        parse_space(broken, path=("space",))
    assert str(info.value).startswith(key + ": "), str(info.value)


def test_large_and_tiny_floats_survive_yaml() -> None:
    space: dict[str, Dim] = {"x": Float(1e-12, 1e12, log=True),
                             "c": Categorical(("1e5", "yes", 1e5))}
    text = dump_yaml(space_to_dict(space))
    loaded, _ = loads_yaml(text)
    assert parse_space(loaded).dims == space
    assert math.isclose(loaded["x"]["low"], 1e-12)

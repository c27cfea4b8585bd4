"""The recipe: every key, its range, its messages, JSON round trips and the figures."""

from __future__ import annotations

import json

import pytest

from nnfx.errors import NnfxError
from nnfx.exporter.random_recipe import (
    ACTIVATIONS,
    FLOAT_RANGES,
    INITS,
    INT_RANGES,
    MAX_RECEPTIVE_FIELD,
    Recipe,
    RecipeError,
)

SPEC_KEYS = [
    "layers",
    "kernel",
    "channels",
    "growth",
    "activation",
    "init",
    "bias",
    "depthwise",
    "in_channels",
    "out_channels",
    "in_gain_db",
    "out_gain_db",
    "seed",
]


def test_defaults_and_keys_are_the_specs() -> None:
    d = Recipe().to_dict()
    assert list(d) == SPEC_KEYS
    assert d == {
        "layers": 6,
        "kernel": 3,
        "channels": 8,
        "growth": 2,
        "activation": "tanh",
        "init": "normal",
        "bias": 0,
        "depthwise": 0,
        "in_channels": 1,
        "out_channels": 1,
        "in_gain_db": 0.0,
        "out_gain_db": 0.0,
        "seed": 42,
    }
    assert len(ACTIVATIONS) == 13 and len(set(ACTIVATIONS)) == 13
    assert len(INITS) == 9 and len(set(INITS)) == 9


@pytest.mark.parametrize("key", list(INT_RANGES))
def test_integer_ranges_are_inclusive_and_enforced(key: str) -> None:
    lo, hi = INT_RANGES[key]
    base = dict(layers=2, kernel=2, growth=1)  # keeps the receptive field small at any value
    for ok in (lo, hi):
        Recipe(**{**base, key: ok}).validate()
    for bad in (lo - 1, hi + 1):
        with pytest.raises(RecipeError) as exc:
            Recipe(**{**base, key: bad}).validate()
        msg = str(exc.value)
        assert f"'{key}'" in msg and f"{lo}-{hi}" in msg and "\n" not in msg


@pytest.mark.parametrize("key", list(FLOAT_RANGES))
def test_gain_ranges(key: str) -> None:
    Recipe(**{key: -60.0}).validate()
    Recipe(**{key: 60}).validate()  # an int is a number too
    for bad in (-60.5, 61.0, float("nan"), float("inf")):
        with pytest.raises(RecipeError, match=key):
            Recipe(**{key: bad}).validate()


@pytest.mark.parametrize("key,allowed", [("activation", ACTIVATIONS), ("init", INITS)])
def test_unknown_names_list_the_allowed_values(key: str, allowed: tuple[str, ...]) -> None:
    with pytest.raises(RecipeError) as exc:
        Recipe(**{key: "banana"}).validate()
    msg = str(exc.value)
    assert "banana" in msg and all(name in msg for name in allowed)
    assert isinstance(exc.value, NnfxError) and isinstance(exc.value, ValueError)


def test_wrong_types_are_refused() -> None:
    for bad in (dict(layers=2.0), dict(layers=True), dict(seed="1")):
        with pytest.raises(RecipeError):
            Recipe(**bad).validate()


def test_receptive_field_limit() -> None:
    # kernel 64, growth 2: 1 + 63 * (2**16 - 1) = 4128706 <= 2**22; one more layer is too long
    Recipe(layers=16, kernel=64, growth=2).validate()
    assert Recipe(layers=16, kernel=64, growth=2).receptive_field == 1 + 63 * (2**16 - 1)
    with pytest.raises(RecipeError, match="receptive field"):
        Recipe(layers=17, kernel=64, growth=2).validate()
    assert Recipe(layers=17, kernel=64, growth=2).receptive_field > MAX_RECEPTIVE_FIELD


def test_json_round_trip_and_bad_json() -> None:
    r = Recipe(
        layers=5,
        kernel=7,
        channels=3,
        growth=3,
        activation="sine30",
        init="dirac",
        bias=1,
        depthwise=1,
        in_channels=2,
        out_channels=2,
        in_gain_db=-6.5,
        out_gain_db=12.0,
        seed=16777215,
    )
    assert Recipe.from_json(r.to_json()) == r
    arch = r.architecture()
    assert arch["kind"] == "random_tcn" and arch["generator"] == "nnfx-splitmix64-irwinhall-1"
    assert Recipe.from_dict(json.loads(json.dumps(arch))["recipe"]) == r
    # missing keys take defaults; JSON booleans are accepted for the 0/1 keys
    assert Recipe.from_json('{"bias": true, "in_gain_db": 3}') == Recipe(bias=1, in_gain_db=3.0)
    with pytest.raises(RecipeError, match="unknown recipe key 'colour'"):
        Recipe.from_json('{"colour": 1}')
    with pytest.raises(RecipeError, match="not valid JSON"):
        Recipe.from_json("{layers: 3")
    with pytest.raises(RecipeError, match="JSON object"):
        Recipe.from_json("[1, 2]")
    with pytest.raises(RecipeError, match="'kernel' = 0"):
        Recipe.from_json('{"kernel": 0}')


@pytest.mark.parametrize("growth", [1, 2, 3, 4])
@pytest.mark.parametrize("kernel", [1, 2, 3, 5])
def test_receptive_field_formula(growth: int, kernel: int) -> None:
    r = Recipe(layers=4, kernel=kernel, growth=growth)
    dilations = [s.dilation for s in r.layer_shapes()]
    assert dilations == [growth**i for i in range(4)]
    assert r.receptive_field == 1 + sum((kernel - 1) * d for d in dilations)
    assert r.lookback == r.receptive_field - 1


def test_layer_shapes_and_figures() -> None:
    r = Recipe(layers=4, kernel=3, channels=5, depthwise=1, bias=1, in_channels=2, out_channels=1)
    shapes = [(s.cin, s.cout, s.groups, s.cin_g) for s in r.layer_shapes()]
    assert shapes == [(2, 5, 1, 2), (5, 5, 5, 1), (5, 5, 5, 1), (5, 1, 1, 5)]
    weights = 5 * 2 * 3 + 5 * 1 * 3 + 5 * 1 * 3 + 1 * 5 * 3
    assert r.macs_per_sample == weights  # bias additions are not multiply-accumulates
    assert r.parameter_count == weights + 5 + 5 + 5 + 1
    one = Recipe(layers=1, kernel=4, in_channels=2, out_channels=2, channels=9)
    assert [(s.cin, s.cout) for s in one.layer_shapes()] == [(2, 2)]  # straight in to out
    assert one.macs_per_sample == 2 * 2 * 4
    assert Recipe(kernel=1, layers=3).receptive_field == 1
    assert Recipe().receptive_field == 1 + 2 * (1 + 2 + 4 + 8 + 16 + 32)
    assert Recipe().receptive_field_ms(48000) == pytest.approx(1000 * 127 / 48000)


def test_gains_in_double() -> None:
    assert Recipe().gain("in") is None and Recipe().gain("out") is None
    assert Recipe(in_gain_db=20.0).gain("in") == 10.0
    assert Recipe(out_gain_db=-6.0).gain("out") == pytest.approx(0.501187, rel=1e-6)

"""The numpy weight generator against docs/random-networks.md.

The vectorised code is checked against a second, independent implementation written here with
plain Python ints and floats (one draw at a time), against published SplitMix64 outputs, and
for the statistics and structure each init promises.
"""

from __future__ import annotations

import hashlib
import math
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

from nnfx.exporter import random_weights as rw
from nnfx.exporter.random_recipe import INITS, Recipe

MASK = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15


# ----------------------------------------------------------- the plain-Python second implementation


def py_mix64(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def py_key(seed: int, layer: int, tensor: int) -> int:
    return py_mix64(seed ^ py_mix64(4 * layer + tensor + 1))


def py_raw(key: int, j: int) -> int:
    return py_mix64((key + (j + 1) * GAMMA) & MASK)


def py_u(key: int, j: int) -> float:
    return (py_raw(key, j) >> 40) * 2.0**-24


def py_normal(key: int, j: int) -> float:
    total = sum(py_raw(key, 12 * j + i) >> 40 for i in range(12))
    return (total - 6 * 2**24) * 2.0**-24  # an int below 2**53 converts exactly


def f32(x: float) -> float:
    """Round a double to float32 (round to nearest even, as C's (float) cast)."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def py_weight(recipe: Recipe, layer_index: int, o: int, i: int, k: int) -> float:
    """One weight element by the spec's table, for every init but orthogonal."""
    layer = recipe.layer_shapes()[layer_index]
    j = (o * layer.cin_g + i) * layer.kernel + k
    key = py_key(recipe.seed, layer_index, 0)
    fi, fo = layer.fan_in, layer.fan_out
    init = recipe.init
    if init == "normal":
        return f32(py_normal(key, j))
    if init == "uniform":
        return f32(-0.25 + (0.25 - -0.25) * py_u(key, j))
    if init == "uniform1":
        return f32(-1.0 + (1.0 - -1.0) * py_u(key, j))
    if init == "xavier_normal":
        return f32(math.sqrt(2.0 / (fi + fo)) * py_normal(key, j))
    if init == "xavier_uniform":
        b = math.sqrt(6.0 / (fi + fo))
        return f32(-b + (b - -b) * py_u(key, j))
    if init == "kaiming_normal":
        return f32(math.sqrt(2.0 / fi) * py_normal(key, j))
    if init == "kaiming_uniform":
        b = math.sqrt(6.0 / fi)
        return f32(-b + (b - -b) * py_u(key, j))
    if init == "dirac":
        return 1.0 if (i == o % layer.cin_g and k == (layer.kernel - 1) // 2) else 0.0
    raise AssertionError(init)


def py_mgs(vectors: list[list[float]]) -> list[list[float]]:
    """The spec's modified Gram-Schmidt, row by row, with explicit sequential sums."""

    def dot(a: list[float], b: list[float]) -> float:
        s = 0.0
        for x, y in zip(a, b, strict=True):
            s += x * y
        return s

    done: list[list[float]] = []
    for v in vectors:
        v = list(v)
        for q in done:
            c = dot(q, v)
            v = [vi - c * qi for vi, qi in zip(v, q, strict=True)]
        norm = math.sqrt(dot(v, v))
        v = [0.0] * len(v) if norm < 1e-12 else [vi / norm for vi in v]
        done.append(v)
    return done


def py_orthogonal(recipe: Recipe, layer_index: int) -> np.ndarray:
    layer = recipe.layer_shapes()[layer_index]
    rows, cols = layer.cout, layer.cin_g * layer.kernel
    key = py_key(recipe.seed, layer_index, 0)
    a = [[py_normal(key, r * cols + c) for c in range(cols)] for r in range(rows)]
    if rows <= cols:
        out = py_mgs(a)
    else:
        cols_done = py_mgs([[a[r][c] for r in range(rows)] for c in range(cols)])
        out = [[cols_done[c][r] for c in range(cols)] for r in range(rows)]
    return np.array([[f32(x) for x in row] for row in out], dtype=np.float32).reshape(
        layer.weight_shape
    )


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


# ------------------------------------------------------------------------------------ streams


def test_raw_draws_match_published_splitmix64_outputs() -> None:
    # SplitMix64 (Vigna's splitmix64.c) seeded with 0 returns these four values first; our
    # counter form with key 0 is that same sequence.
    published = [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F, 0xF88BB8A8724C81EC]
    got = rw.raw_draws(np.array([0], dtype=np.uint64), 4)
    assert [int(v) for v in got] == published


@pytest.mark.parametrize("seed,layer,tensor", [(0, 0, 0), (42, 3, 1), (16777215, 23, 0)])
def test_streams_match_plain_python(seed: int, layer: int, tensor: int) -> None:
    key = rw.stream_key(seed, layer, tensor)
    assert key.dtype == np.uint64
    assert int(key[0]) == py_key(seed, layer, tensor)
    k = int(key[0])
    for j, r in enumerate(rw.raw_draws(key, 40)):
        assert int(r) == py_raw(k, j)
    assert list(rw.uniforms(key, 25)) == [py_u(k, j) for j in range(25)]
    assert list(rw.normals(key, 7)) == [py_normal(k, j) for j in range(7)]


def test_chunked_generation_is_seamless() -> None:
    # Draw counts around the internal chunk size: draw j must not depend on how many are drawn.
    key = rw.stream_key(7, 1, 0)
    n = rw._CHUNK + 5
    long = rw.raw_draws(key, n)
    assert np.array_equal(long[:10], rw.raw_draws(key, 10))
    k = int(key[0])
    for j in (rw._CHUNK - 1, rw._CHUNK, rw._CHUNK + 4):
        assert int(long[j]) == py_raw(k, j)
    normals = rw.normals(key, rw._CHUNK // 12 + 3)
    for j in (rw._CHUNK // 12 - 1, rw._CHUNK // 12, rw._CHUNK // 12 + 2):
        assert normals[j] == py_normal(k, j)


def test_irwin_hall_normals_have_unit_variance() -> None:
    n = rw.normals(rw.stream_key(1, 0, 0), 100_000)
    # Standard error of the mean is 1/sqrt(1e5) = 0.003 and of the variance about 0.0045:
    # 5 standard errors keeps the test deterministic-safe and still catches a wrong scale.
    assert abs(n.mean()) < 0.016
    assert abs(n.var() - 1.0) < 0.023
    assert n.max() <= 6.0 and n.min() >= -6.0


# ---------------------------------------------------------------------- weights, element-wise


SPOT_RECIPES = [
    Recipe(layers=3, kernel=5, channels=6, init=init, seed=1234 + n, bias=1, in_channels=2)
    for n, init in enumerate(INITS)
    if init != "orthogonal"
]


@pytest.mark.parametrize("recipe", SPOT_RECIPES, ids=lambda r: r.init)
def test_weights_match_plain_python_spot_checks(recipe: Recipe) -> None:
    ws = rw.weights(recipe)
    for layer in recipe.layer_shapes():
        w, b = ws[layer.index]
        assert w.dtype == np.float32 and w.shape == layer.weight_shape
        cout, cin_g, kernel = layer.weight_shape
        # first, last and a few middle elements: the draw index mapping is exercised fully
        picks = {(0, 0, 0), (cout - 1, cin_g - 1, kernel - 1), (cout // 2, cin_g // 2, 1)}
        picks |= {(o, o % cin_g, (kernel - 1) // 2) for o in range(cout)}
        for o, i, k in sorted(picks):
            expected = py_weight(recipe, layer.index, o, i, k)
            assert bits(w[o, i, k]) == bits(np.float32(expected)), (layer.index, o, i, k)
        assert b is not None and b.shape == (cout,)
        if recipe.init == "dirac":
            assert np.all(b == 0.0)
        else:
            bkey = py_key(recipe.seed, layer.index, 1)
            bound = 1.0 / math.sqrt(layer.fan_in)
            for o in range(cout):
                expected = f32(-bound + (bound - -bound) * py_u(bkey, o))
                assert bits(b[o]) == bits(np.float32(expected))


@pytest.mark.parametrize(
    "shape",
    [
        dict(layers=3, kernel=3, channels=4),  # middle layer 4 x 12: rows
        dict(layers=2, kernel=2, channels=5),  # first layer 5 x 2: columns
        dict(layers=2, kernel=1, channels=2, in_channels=2),  # 2 x 2: one column left at the end
        dict(layers=3, kernel=4, channels=3, depthwise=1),  # depthwise middle: 3 x 4
    ],
    ids=["rows", "columns", "square", "depthwise"],
)
def test_orthogonal_matches_plain_python_bit_for_bit(shape: dict[str, int]) -> None:
    recipe = Recipe(init="orthogonal", seed=99, **shape)
    for layer, (w, _) in zip(recipe.layer_shapes(), rw.weights(recipe), strict=True):
        assert np.array_equal(bits(w), bits(py_orthogonal(recipe, layer.index))), layer.index


def test_orthonormalise_zeroes_dependent_vectors_like_the_spec() -> None:
    vectors = [[1.0, 2.0], [2.0, 4.0], [0.5, -1.0], [3.0, 1.0]]  # 2nd dependent, 4th in span
    got = rw.orthonormalise(np.array(vectors))
    want = np.array(py_mgs(vectors))
    assert np.array_equal(got.view(np.uint64), want.view(np.uint64))
    assert np.all(got[1] == 0.0) and np.all(got[3] == 0.0)


@pytest.mark.parametrize("count", [1, 2, 7])
@pytest.mark.parametrize("spread", [False, True], ids=["plain", "wide"])
def test_column_sums_are_sequential(count: int, spread: bool) -> None:
    # 1000 values of one magnitude: numpy's pairwise summation (8 interleaved partial sums)
    # rounds differently from a sequential loop, so any reordering shows in the last bits;
    # the "wide" case spreads values over 16 decades. Columns are taken from a wider array so
    # that they are strided, as in orthonormalise.
    rng = np.random.default_rng(count)
    a = rng.standard_normal((1000, count + 3))[:, :count]
    if spread:
        a = a * np.logspace(-8, 8, 1000)[:, None]
    want = []
    for c in range(count):
        s = 0.0
        for r in range(1000):
            s += float(a[r, c])
        want.append(s)
    assert np.array_equal(rw._column_sums(a), np.array(want))


# ------------------------------------------------------------------------- init definitions


def _middle(init: str) -> tuple[np.ndarray, np.ndarray | None, object]:
    recipe = Recipe(layers=3, kernel=16, channels=32, init=init, seed=5, bias=1)
    layer = recipe.layer_shapes()[1]  # [32, 32, 16]: fan_in = fan_out = 512
    w, b = rw.layer_weights(recipe, layer)
    return w.astype(np.float64), b, layer


def _kurtosis(x: np.ndarray) -> float:
    x = x - x.mean()
    return float(np.mean(x**4) / np.mean(x**2) ** 2)


# init -> (bound or None, standard deviation) for the [32, 32, 16] layer (fan_in = fan_out = 512)
EXPECTED_STD = {
    "normal": (None, 1.0),
    "uniform": (0.25, 0.5 / math.sqrt(12.0)),
    "uniform1": (1.0, 2.0 / math.sqrt(12.0)),
    "xavier_normal": (None, math.sqrt(2.0 / 1024)),
    "xavier_uniform": (math.sqrt(6.0 / 1024), math.sqrt(6.0 / 1024) / math.sqrt(3.0)),
    "kaiming_normal": (None, math.sqrt(2.0 / 512)),
    "kaiming_uniform": (math.sqrt(6.0 / 512), math.sqrt(6.0 / 512) / math.sqrt(3.0)),
}


@pytest.mark.parametrize("init", list(EXPECTED_STD))
def test_random_inits_follow_their_definition(init: str) -> None:
    w, b, layer = _middle(init)
    bound, std = EXPECTED_STD[init]
    # 16384 draws: the sample deviation is within 2% of the true one with a wide margin
    # (its standard error is about 0.6% for these distributions).
    assert abs(w.std() / std - 1.0) < 0.02, (w.std(), std)
    assert abs(w.mean()) < 4 * std / math.sqrt(w.size)
    if bound is None:
        # Irwin-Hall normal: kurtosis 2.9 (a uniform has 1.8); support at most 6 deviations
        assert 2.7 < _kurtosis(w) < 3.1
        assert np.abs(w).max() <= 6.0 * std * (1 + 1e-6)
        assert np.abs(w).max() > 3.0 * std  # tails are there (uniform would stop at 1.73 std)
    else:
        assert 1.7 < _kurtosis(w) < 1.9
        assert w.min() >= np.float32(-bound) and w.max() < np.float32(bound) * (1 + 1e-7)
        assert w.max() > 0.99 * bound and w.min() < -0.99 * bound  # fills the range
    b_bound = 1.0 / math.sqrt(layer.fan_in)
    assert b is not None and np.all(np.abs(b) <= b_bound) and np.abs(b).max() > 0.5 * b_bound


def test_orthogonal_rows_and_columns_are_orthonormal() -> None:
    recipe = Recipe(layers=3, kernel=8, channels=16, init="orthogonal", seed=3)
    ws = rw.weights(recipe)
    first = ws[0][0].reshape(16, 8).astype(np.float64)  # rows 16 > cols 8: W^T W = I
    middle = ws[1][0].reshape(16, 128).astype(np.float64)  # rows 16 <= cols 128: W W^T = I
    last = ws[2][0].reshape(1, 128).astype(np.float64)
    # float32 rounding of entries ~0.1 leaves dot products off by a few 1e-8: 1e-6 is ample and
    # still far below anything a non-orthogonal matrix gives (off-diagonals ~0.1).
    assert np.abs(first.T @ first - np.eye(8)).max() < 1e-6
    assert np.abs(middle @ middle.T - np.eye(16)).max() < 1e-6
    assert abs(float((last @ last.T)[0, 0]) - 1.0) < 1e-6
    # and it is not merely orthonormal: it is the Gram-Schmidt of the normal draws, so its
    # first row is the first normal row scaled
    n = rw.normals(rw.stream_key(3, 1, 0), 128)
    assert np.allclose(middle[0], n / np.linalg.norm(n), atol=1e-7)


def test_dirac_structure() -> None:
    for shape in (dict(channels=6, kernel=4), dict(channels=3, kernel=5, in_channels=2)):
        recipe = Recipe(layers=3, init="dirac", bias=1, **shape)
        for layer, (w, b) in zip(recipe.layer_shapes(), rw.weights(recipe), strict=True):
            want = np.zeros(layer.weight_shape, np.float32)
            for o in range(layer.cout):
                want[o, o % layer.cin_g, (layer.kernel - 1) // 2] = 1.0
            assert np.array_equal(w, want)
            assert b is not None and np.all(b == 0.0)


def test_every_init_gives_different_weights() -> None:
    # The original plugin's fault: every init fell through to one scheme.
    ws = {init: _middle(init)[0] for init in INITS}
    for a in INITS:
        for b in INITS:
            if a < b:
                assert not np.allclose(ws[a], ws[b], rtol=0.05, atol=1e-3), (a, b)
    # orthogonality singles out "orthogonal" from the random inits of the same deviation
    # (dirac, a channel identity here, is orthonormal too and is told apart by its zeros)
    for init in INITS:
        if init == "dirac":
            assert np.count_nonzero(ws[init]) == 32
            continue
        m = ws[init].reshape(32, 512)
        gram = m @ m.T
        is_orthonormal = np.abs(gram - np.eye(32)).max() < 1e-5
        assert is_orthonormal == (init == "orthogonal"), init


# ------------------------------------------------------------------------------ stream layout


def test_changing_layers_keeps_the_other_layers_weights() -> None:
    a = rw.weights(Recipe(layers=4, seed=11, bias=1))
    b = rw.weights(Recipe(layers=6, seed=11, bias=1))
    for n in range(3):  # layer 3 is the last of `a`, so its output channels differ
        assert np.array_equal(a[n][0], b[n][0]) and np.array_equal(a[n][1], b[n][1])
    c = rw.weights(Recipe(layers=4, seed=12, bias=1))
    assert not np.array_equal(a[1][0], c[1][0])


_DIGEST = (
    "import hashlib, sys\n"
    "from nnfx.exporter.random_recipe import Recipe\n"
    "from nnfx.exporter.random_weights import weights\n"
    "h = hashlib.sha256()\n"
    "for init in ('normal', 'orthogonal', 'kaiming_uniform'):\n"
    "    for w, b in weights(Recipe(layers=5, kernel=4, channels=7, init=init, bias=1, seed=77)):\n"
    "        h.update(w.tobytes()); h.update(b.tobytes())\n"
    "print(h.hexdigest())\n"
)


def test_generator_is_deterministic_across_processes() -> None:
    runs = [
        subprocess.run(
            [sys.executable, "-c", _DIGEST], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    ]
    h = hashlib.sha256()
    for init in ("normal", "orthogonal", "kaiming_uniform"):
        recipe = Recipe(layers=5, kernel=4, channels=7, init=init, bias=1, seed=77)
        for w, b in rw.weights(recipe):
            h.update(w.tobytes())
            assert b is not None
            h.update(b.tobytes())
    assert runs[0] == runs[1] == h.hexdigest()


def test_largest_network_generates_quickly() -> None:
    # 24 layers x 64 channels x kernel 64 (5.8 M weights, growth 1 to stay under the receptive
    # field limit). About 0.4 s of CPU here; 5 s only guards against a fall back to per-draw
    # Python loops, which take minutes. CPU time, not wall time: CI machines are shared.
    recipe = Recipe(layers=24, kernel=64, channels=64, growth=1, init="normal", bias=1)
    start = time.process_time()
    ws = rw.weights(recipe)
    elapsed = time.process_time() - start
    assert sum(w.size + (0 if b is None else b.size) for w, b in ws) == recipe.parameter_count
    assert elapsed < 5.0, elapsed

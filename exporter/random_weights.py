"""The weight generator of docs/random-networks.md, vectorised with numpy.

Everything here follows the spec operation by operation, because the C builder
(runtime_c/src/random_net.c) must produce bit-identical float32 weights from the same recipe:

- all 64-bit integer work is done on ``np.uint64`` arrays (never numpy scalars, which warn on
  wrap-around, and never Python ints mixed in, which could promote to float64);
- doubles are combined with single IEEE operations (numpy never fuses a multiply and an add
  across two ufunc calls), then rounded once to float32;
- the sequential sums of the orthogonal init use ``np.cumsum`` (``add.accumulate``, which is
  sequential by definition), never ``np.dot``/``np.sum`` (BLAS and pairwise summation reorder).

Public entry points: ``weights(recipe)`` (what the C builder's tests compare against),
``layer_weights``, ``gains``, and the stream primitives ``mix64``, ``stream_key``, ``raw_draws``,
``uniform_ints``, ``normals``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from nnfx.exporter.random_recipe import Layer, Recipe

_U64 = np.uint64
GAMMA = _U64(0x9E3779B97F4A7C15)
_MUL1 = _U64(0xBF58476D1CE4E5B9)
_MUL2 = _U64(0x94D049BB133111EB)
_S30, _S27, _S31, _S40 = _U64(30), _U64(27), _U64(31), _U64(40)
_TWO_M24 = 2.0**-24  # exact power of two: scaling by it is exact in double
_IRWIN_HALL_MEAN = 6 << 24  # sum of 12 uniforms of 24 bits has mean 6 * 2**24
_ORTHO_EPS = 1e-12
_CHUNK = 12 * 8192  # draws per chunk: a multiple of 12, small enough to stay in cache
_COUNTER = np.arange(_CHUNK, dtype=_U64)


def mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on a uint64 array (wrapping arithmetic); returns a new array."""
    z = np.array(z, dtype=_U64, copy=True)
    _mix64_inplace(z, np.empty_like(z))
    return z


def _mix64_inplace(z: np.ndarray, tmp: np.ndarray) -> None:
    with np.errstate(over="ignore"):
        np.right_shift(z, _S30, out=tmp)
        z ^= tmp
        z *= _MUL1
        np.right_shift(z, _S27, out=tmp)
        z ^= tmp
        z *= _MUL2
        np.right_shift(z, _S31, out=tmp)
        z ^= tmp


def stream_key(seed: int, layer: int, tensor: int) -> np.ndarray:
    """key(l, t) = mix64(seed ^ mix64(4*l + t + 1)), as a one-element uint64 array."""
    inner = mix64(np.array([4 * layer + tensor + 1], dtype=_U64))
    return mix64(np.array([seed], dtype=_U64) ^ inner)


def _raw_chunks(key: np.ndarray, count: int) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (start, r) with r = r_start .. r_start+len-1, in cache-sized chunks (reused buffer)."""
    z = np.empty(min(count, _CHUNK), dtype=_U64)
    tmp = np.empty_like(z)
    for start in range(0, count, _CHUNK):
        m = min(_CHUNK, count - start)
        zz, tt = z[:m], tmp[:m]
        with np.errstate(over="ignore"):
            np.add(_COUNTER[:m], _U64(start + 1), out=zz)  # j + 1
            zz *= GAMMA
            zz += key
        _mix64_inplace(zz, tt)
        yield start, zz


def raw_draws(key: np.ndarray, count: int) -> np.ndarray:
    """r_j = mix64(key + (j + 1) * GAMMA) for j = 0 .. count-1 (SplitMix64 in counter form)."""
    out = np.empty(count, dtype=_U64)
    for start, r in _raw_chunks(key, count):
        out[start : start + r.shape[0]] = r
    return out


def uniform_ints(key: np.ndarray, count: int) -> np.ndarray:
    """U_j = r_j >> 40: 24-bit integers (uint64 array); u_j = U_j * 2**-24."""
    out = np.empty(count, dtype=_U64)
    for start, r in _raw_chunks(key, count):
        np.right_shift(r, _S40, out=out[start : start + r.shape[0]])
    return out


def uniforms(key: np.ndarray, count: int) -> np.ndarray:
    """u_j in [0, 1) as float64 (exact: 24-bit integers scaled by a power of two)."""
    return uniform_ints(key, count).astype(np.float64) * _TWO_M24


def normals(key: np.ndarray, count: int) -> np.ndarray:
    """n_j: Irwin-Hall sum of 12 uniforms, centred, float64 (exact); raw draws 12j..12j+11."""
    sums = np.empty(count, dtype=_U64)
    for start, r in _raw_chunks(key, 12 * count):  # chunks are whole multiples of 12 draws
        r >>= _S40
        np.sum(r.reshape(-1, 12), axis=1, out=sums[start // 12 : (start + r.shape[0]) // 12])
    # the integer sum is exact (< 12 * 2**24); centring and scaling by 2**-24 are exact in double
    return (sums.astype(np.int64) - _IRWIN_HALL_MEAN).astype(np.float64) * _TWO_M24


def _uniform_on(key: np.ndarray, count: int, a: float, b: float) -> np.ndarray:
    """a + (b - a) * u_j in double (the caller rounds to float32)."""
    return a + (b - a) * uniforms(key, count)


def _column_sums(a: np.ndarray) -> np.ndarray:
    """Sum of every column of ``a`` [length, count], each a sequential sum in index order.

    The spec's ``s = 0; s += a[i] * b[i]`` loop, vectorised across columns. ``np.cumsum`` is
    add.accumulate (partial sum i = partial sum i-1 + element i) and so sequential by
    definition, but slow; ``np.add.reduce`` over the outer axis of an array whose inner axis is
    contiguous adds each row to the running result in order (numpy uses pairwise summation
    only when the reduced axis is the inner loop, which happens when a single column is left,
    so that case takes cumsum). tests/export/test_random_weights.py checks both paths against a
    plain Python loop. The final ``+ 0.0`` gives what starting from ``s = 0`` gives when every
    product is -0 (the sum is then +0).
    """
    if a.ndim == 2 and a.shape[1] >= 2 and a.strides[1] == a.itemsize and a.strides[0] > 0:
        return np.add.reduce(a, axis=0) + 0.0
    return np.cumsum(a, axis=0)[-1] + 0.0


def orthonormalise(vectors: np.ndarray) -> np.ndarray:
    """Modified Gram-Schmidt over the rows of ``vectors`` (float64), in index order.

    For row p, the projections on the finished rows 0..p-1 are removed one after another,
    then the row is divided by its norm (set to zero below 1e-12). Here the projection of a
    finished row is removed from all later rows at once; each row still sees exactly the
    same operations in the same order as the row-by-row loop of the spec. Rows are held as
    columns of ``work`` so that the sums run down columns (see ``_column_sums``).
    """
    work = np.array(vectors, dtype=np.float64, copy=True).T.copy()  # [length, count]
    length, count = work.shape
    out = np.zeros_like(work)
    buf = np.empty_like(work)
    for p in range(count):
        v = np.ascontiguousarray(work[:, p])
        norm = math.sqrt(float(np.cumsum(v * v)[-1] + 0.0))
        if norm < _ORTHO_EPS:
            # stays zero; a later row's projection on a zero vector is (+0)*0 = +0, and
            # subtracting +0 leaves every value (and every sign of zero) unchanged
            continue
        q = v / norm
        out[:, p] = q
        if p + 1 < count:
            rest = work[:, p + 1 :]  # a view: updated in place
            prods = np.multiply(rest, q[:, None], out=buf[:, : count - p - 1])
            dots = _column_sums(prods)
            np.subtract(rest, np.multiply(q[:, None], dots[None, :]), out=rest)
    return out.T


def _orthogonal(key: np.ndarray, layer: Layer) -> np.ndarray:
    rows, cols = layer.cout, layer.cin_g * layer.kernel
    a = normals(key, rows * cols).reshape(rows, cols)
    if rows <= cols:
        return orthonormalise(a)
    return orthonormalise(a.T).T


def _dirac(layer: Layer) -> np.ndarray:
    w = np.zeros(layer.weight_shape, dtype=np.float64)
    o = np.arange(layer.cout)
    w[o, o % layer.cin_g, (layer.kernel - 1) // 2] = 1.0
    return w


def _weight_double(init: str, key: np.ndarray, layer: Layer) -> np.ndarray:
    n = layer.cout * layer.cin_g * layer.kernel
    fan_in, fan_out = layer.fan_in, layer.fan_out
    if init == "normal":
        flat = normals(key, n)
    elif init == "uniform":
        flat = _uniform_on(key, n, -0.25, 0.25)
    elif init == "uniform1":
        flat = _uniform_on(key, n, -1.0, 1.0)
    elif init == "xavier_normal":
        flat = math.sqrt(2.0 / float(fan_in + fan_out)) * normals(key, n)
    elif init == "xavier_uniform":
        b = math.sqrt(6.0 / float(fan_in + fan_out))
        flat = _uniform_on(key, n, -b, b)
    elif init == "kaiming_normal":
        flat = math.sqrt(2.0 / float(fan_in)) * normals(key, n)
    elif init == "kaiming_uniform":
        b = math.sqrt(6.0 / float(fan_in))
        flat = _uniform_on(key, n, -b, b)
    elif init == "orthogonal":
        flat = _orthogonal(key, layer)
    elif init == "dirac":
        return _dirac(layer)
    else:  # Recipe.validate() refuses this before we get here
        raise ValueError(f"unknown init {init!r}")
    return np.asarray(flat).reshape(layer.weight_shape)


def layer_weights(recipe: Recipe, layer: Layer) -> tuple[np.ndarray, np.ndarray | None]:
    """Float32 weight ``[cout, cin_g, kernel]`` and bias ``[cout]`` (None without bias)."""
    w = _weight_double(recipe.init, stream_key(recipe.seed, layer.index, 0), layer)
    w32 = w.astype(np.float32)
    if not recipe.bias:
        return w32, None
    if recipe.init == "dirac":
        return w32, np.zeros(layer.cout, dtype=np.float32)
    b = 1.0 / math.sqrt(float(layer.fan_in))
    bias = _uniform_on(stream_key(recipe.seed, layer.index, 1), layer.cout, -b, b)
    return w32, bias.astype(np.float32)


def weights(recipe: Recipe) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """All layers' (weight, bias) in float32, exactly as docs/random-networks.md specifies."""
    recipe.validate()
    return [layer_weights(recipe, layer) for layer in recipe.layer_shapes()]


def gains(recipe: Recipe) -> tuple[np.float32 | None, np.float32 | None]:
    """Input and output gains 10**(db/20) rounded to float32; None where the gain is 0 dB."""
    g_in, g_out = recipe.gain("in"), recipe.gain("out")
    return (
        None if g_in is None else np.float32(g_in),
        None if g_out is None else np.float32(g_out),
    )

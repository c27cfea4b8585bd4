"""Loss functions against hand-computed values (nnfx.exporter.train.losses, aweight)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnfx.exporter.train import aweight
from nnfx.exporter.train.losses import (
    DCLoss,
    ESRDCLoss,
    ESRLoss,
    MultiResolutionSTFT,
    PreEmphasis,
)

# Float32 arithmetic on a handful of values: relative error of a few ulps, so 1e-6.
TOL = 1e-6


def t(values: list[float]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32).view(1, 1, -1)


def test_esr_without_pre_emphasis_is_error_over_energy() -> None:
    # error (0, 1, 2) -> 0 + 1 + 4 = 5; target energy 3
    assert float(ESRLoss("none")(t([1, 2, 3]), t([1, 1, 1]))) == pytest.approx(5 / 3, rel=TOL)


def test_esr_with_first_order_pre_emphasis_by_hand() -> None:
    # 1 - 0.85 z^-1 keeps the valid frames: target (1,1,1) -> (0.15, 0.15);
    # output (1,2,3) -> (2 - 0.85, 3 - 1.7) = (1.15, 1.3)
    err = (1.15 - 0.15) ** 2 + (1.3 - 0.15) ** 2
    energy = 2 * 0.15**2
    got = float(ESRLoss("fir", coef=0.85)(t([1, 2, 3]), t([1, 1, 1])))
    assert got == pytest.approx(err / energy, rel=1e-5)  # 0.15 is not exact in float32


def test_pre_emphasis_filter_values() -> None:
    y = PreEmphasis("fir", 0.5)(t([2, 4, 6, 8]))
    assert y.flatten().tolist() == pytest.approx([3, 4, 5], rel=TOL)  # x[n] - 0.5 x[n-1]


def test_dc_loss_by_hand() -> None:
    # mean error of (1,-1,1,-1) - 0.5 is -0.5 -> 0.25; mean target power 1
    assert float(DCLoss()(t([0.5] * 4), t([1, -1, 1, -1]))) == pytest.approx(0.25, rel=TOL)
    assert float(DCLoss()(t([0, 0, 0, 0]), t([1, 1, 1, 1]))) == pytest.approx(1.0, rel=TOL)


def test_esr_dc_is_the_sum() -> None:
    o, g = t([0.1, 0.5, -0.2, 0.3]), t([0.2, 0.4, -0.1, 0.1])
    total = float(ESRDCLoss("fir", dc_weight=2.0)(o, g))
    parts = float(ESRLoss("fir")(o, g)) + 2.0 * float(DCLoss()(o, g))
    assert total == pytest.approx(parts, rel=TOL)


def test_reductions_mean_none_pooled() -> None:
    # item 0: error 1, energy 1; item 1: error 1, energy 100
    target = torch.tensor([[[1.0, 0.0]], [[10.0, 0.0]]])
    output = torch.tensor([[[0.0, 0.0]], [[9.0, 0.0]]])
    assert ESRLoss("none", reduction="none")(output, target).tolist() == pytest.approx(
        [1.0, 0.01], rel=TOL)
    assert float(ESRLoss("none")(output, target)) == pytest.approx(0.505, rel=TOL)
    assert float(ESRLoss("none", reduction="pooled")(output, target)) == pytest.approx(
        2 / 101, rel=TOL)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="pre-emphasis"):
        ESRLoss("bogus")
    with pytest.raises(ValueError, match="batch, channels, frames"):
        ESRLoss()(torch.zeros(1, 4), torch.zeros(1, 4))
    with pytest.raises(ValueError, match="reduction"):
        ESRLoss(reduction="sum")(t([1, 2]), t([1, 2]))


def test_a_weighting_curve_matches_the_standard_table() -> None:
    # IEC 61672-1 table values (dB, given to 0.1 dB, hence the 0.1 dB tolerance) at the
    # exact base-ten band frequencies 1000 * 10**(k/10) that the nominal 31.5 ... 16000 name
    table = {-15: -39.4, -12: -26.2, -9: -16.1, -6: -8.6, -3: -3.2, 0: 0.0,
             3: 1.2, 6: 1.0, 9: -1.1, 12: -6.6}
    freqs = 1000.0 * 10.0 ** (np.array(list(table)) / 10.0)
    got = aweight.a_weighting_db(freqs)
    assert np.allclose(got, list(table.values()), atol=0.1)


def test_a_weighting_fir_follows_the_curve_above_200_hz() -> None:
    # The docstring promises 0.5 dB from 200 Hz to 20 kHz at 48 kHz with 301 taps.
    f = np.geomspace(200, 20000, 40)
    fir = aweight.a_weighting_fir(48000)
    err = np.abs(aweight.fir_response_db(fir, f, 48000) - aweight.a_weighting_db(f))
    assert err.max() < 0.5
    esr = ESRLoss("aweight", sample_rate=48000)
    x = torch.randn(1, 1, 2000)
    assert float(esr(x, x)) == pytest.approx(0.0, abs=1e-12)


def test_mrstft_zero_for_identical_and_known_for_doubled() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 1, 8192, generator=g)
    mr = MultiResolutionSTFT((256, 1024))
    assert float(mr(x, x)) == pytest.approx(0.0, abs=1e-7)
    # output = 2 * target: spectral convergence |T - 2T| / |T| = 1 and log distance ln 2;
    # the 1e-5 magnitude floor moves the log term by far less than 1e-3 for unit noise.
    assert float(mr(2 * x, x)) == pytest.approx(1.0 + np.log(2.0), abs=1e-3)

"""The training loop: Adam on ESR + DC, truncated back-propagation, validation, early stopping.

Data is a list of ``Clip`` (dry, wet, knob values). Each clip is split in
time: the first ``1 - val_fraction`` trains, the rest validates, unless
validation clips are given explicitly (held-out material). Look-back models
train on random segments of ``segment`` output frames (plus their M frames of
look-back); recurrent models on random sequences of ``sequence`` frames,
warmed up for ``warmup`` frames without gradient, then updated every
``tbptt`` frames with the state carried and detached (truncated
back-propagation through time). An epoch is as many steps as it takes to
draw about as many frames as the training data holds. After each epoch the
whole validation material is run from silence; the best model (by the
training loss on validation) is kept, the learning rate halves after
``patience // 2`` epochs without improvement and training stops after
``patience`` (early stopping), after ``epochs``, or when ``time_limit``
wall-clock seconds or ``cpu_time_limit`` CPU seconds of this process have
passed (the CPU limit makes runs comparable on a machine shared with other
jobs).
"""

from __future__ import annotations

import copy
import math
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from nnfx.errors import NnfxError
from nnfx.exporter.train.losses import ESRDCLoss, ESRLoss
from nnfx.exporter.train.trainee import Trainee


@dataclass
class Clip:
    """One dry/wet pair (mono float32 of equal length) and the knob values it was made at."""

    dry: np.ndarray
    wet: np.ndarray
    knobs: tuple[float, ...] = ()


@dataclass
class TrainConfig:
    epochs: int = 200
    time_limit: float | None = None  # wall-clock seconds of training (validation included)
    cpu_time_limit: float | None = None  # CPU seconds of this process (fair on a shared machine)
    lr: float = 5e-3
    batch_size: int = 16
    segment: int = 8192  # output frames per look-back training segment
    sequence: int = 16384  # frames per recurrent training sequence (after warm-up)
    warmup: int = 1024  # recurrent warm-up frames without gradient
    tbptt: int = 2048  # frames per truncated back-propagation step
    val_fraction: float = 0.15
    patience: int = 12  # epochs without validation improvement before stopping
    pre_emphasis: str = "fir"  # fir (1 - 0.85 z^-1), aweight or none
    dc_weight: float = 1.0
    sample_rate: int = 48000
    device: str = "cpu"
    seed: int = 0
    steps_per_epoch: int | None = None  # default: about one pass over the training frames
    max_steps: int | None = None  # hard cap on optimizer steps (tests)
    progress: bool = True


@dataclass
class Epoch:
    epoch: int
    steps: int
    train_loss: float
    val_loss: float
    val_esr: float  # plain ESR, no pre-emphasis
    seconds: float
    cpu_seconds: float = 0.0  # CPU seconds of this process since training began, at its end


@dataclass
class TrainResult:
    history: list[Epoch] = field(default_factory=list)
    best_epoch: int = 0
    best_val_loss: float = math.inf
    initial_val_loss: float = math.nan  # the untrained model's validation loss
    steps: int = 0
    seconds: float = 0.0  # wall clock
    cpu_seconds: float = 0.0  # CPU time of this process (all threads)
    stopped_because: str = ""
    first_losses: list[float] = field(default_factory=list)  # first training step losses
    last_losses: list[float] = field(default_factory=list)  # last training step losses


def pick_device(name: str) -> torch.device:
    if name == "cuda":
        if not torch.cuda.is_available():
            raise NnfxError("--device cuda: no CUDA device is available here (use --device cpu)")
        return torch.device("cuda")
    if name != "cpu":
        raise NnfxError(f"--device must be cpu or cuda, got {name!r}")
    return torch.device("cpu")


def split(clips: list[Clip], val_fraction: float) -> tuple[list[Clip], list[Clip]]:
    """Splits every clip in time: head for training, tail for validation."""
    if not 0.0 < val_fraction < 0.9:
        raise NnfxError(f"validation fraction must be in (0, 0.9), got {val_fraction}")
    train, val = [], []
    for c in clips:
        cut = int(len(c.dry) * (1.0 - val_fraction))
        train.append(Clip(c.dry[:cut], c.wet[:cut], c.knobs))
        val.append(Clip(c.dry[cut:], c.wet[cut:], c.knobs))
    return train, val


class _Progress:
    """One status line on stderr: redrawn in place on a terminal, once per epoch otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.tty = enabled and sys.stderr.isatty()
        self.last = 0.0

    def step(self, text: str) -> None:
        now = time.monotonic()
        if self.tty and now - self.last > 0.2:
            sys.stderr.write("\r" + text.ljust(100)[:100])
            sys.stderr.flush()
            self.last = now

    def epoch(self, text: str) -> None:
        if not self.enabled:
            return
        sys.stderr.write(("\r" if self.tty else "") + text.ljust(100 if self.tty else 0) + "\n")
        sys.stderr.flush()


def _tensor(a: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).to(device)


def _knob_tensor(clips: list[Clip], idx: list[int], device: torch.device) -> torch.Tensor | None:
    if not clips[0].knobs:
        return None
    return torch.tensor([clips[i].knobs for i in idx], dtype=torch.float32, device=device)


def evaluate(trainee: Trainee, clips: list[Clip], loss_fn: Callable, device: torch.device
             ) -> tuple[float, float]:
    """(training loss, plain ESR) over ``clips`` run from silence; energy-weighted means."""
    plain = ESRLoss("none")
    was = trainee.module.training
    trainee.module.eval()
    losses, esrs, weights = [], [], []
    for c in clips:
        x = _tensor(c.dry, device).view(1, 1, -1)
        t = _tensor(c.wet, device).view(1, 1, -1)
        p = _knob_tensor([c], [0], device)
        y = trainee.run_long(x, p)
        losses.append(float(loss_fn(y, t)))
        esrs.append(float(plain(y, t)))
        weights.append(float((t**2).sum()))
    trainee.module.train(was)
    w = np.asarray(weights) / max(sum(weights), 1e-12)
    return float(np.dot(w, losses)), float(np.dot(w, esrs))


def _lookback_batch(trainee: Trainee, clips: list[Clip], cfg: TrainConfig,
                    rng: np.random.Generator, device: torch.device):
    m, n = trainee.lookback, cfg.segment
    idx = rng.integers(0, len(clips), cfg.batch_size).tolist()
    xs, ts = [], []
    for i in idx:
        c = clips[i]
        s = int(rng.integers(0, len(c.dry) - (m + n) + 1))
        xs.append(c.dry[s : s + m + n])
        ts.append(c.wet[s + m : s + m + n])
    x = _tensor(np.stack(xs), device).unsqueeze(1)
    t = _tensor(np.stack(ts), device).unsqueeze(1)
    return x, t, _knob_tensor(clips, idx, device)


class _StopOnCtrlC:
    """Ctrl-C ends training, not the run: the first SIGINT only asks the loop to stop after the
    current step (the epoch is then validated, and the best model so far kept), the second
    one interrupts as usual. Only in the main thread, where Python delivers signals."""

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.requested = False
        self._previous: object = None

    def __enter__(self) -> _StopOnCtrlC:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if self.verbose:
            sys.stderr.write("\ninterrupted: finishing the step, validating, then exporting the "
                             "best model so far (Ctrl-C again to abort)\n")

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]


def train(trainee: Trainee, clips: list[Clip], cfg: TrainConfig,
          val_clips: list[Clip] | None = None) -> TrainResult:
    """Trains ``trainee.module`` in place (ending with its best weights); returns the history.
    Ctrl-C stops training early (see ``_StopOnCtrlC``)."""
    with _StopOnCtrlC(cfg.progress) as stop:
        return _train(trainee, clips, cfg, val_clips, stop)


def _train(trainee: Trainee, clips: list[Clip], cfg: TrainConfig,
           val_clips: list[Clip] | None, stop: _StopOnCtrlC) -> TrainResult:
    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    if val_clips is None:
        clips, val_clips = split(clips, cfg.val_fraction)
    need = trainee.lookback + cfg.segment if not trainee.recurrent else cfg.warmup + cfg.tbptt
    short = [len(c.dry) for c in clips if len(c.dry) < need]
    if short:
        raise NnfxError(
            f"training material too short: {short[0]} frames in a clip, the model needs "
            f"{need} (look-back/warm-up plus one segment); record more or use a smaller "
            f"segment"
        )
    module = trainee.module.to(device)
    module.train()
    loss_fn = ESRDCLoss(cfg.pre_emphasis, sample_rate=cfg.sample_rate,
                        dc_weight=cfg.dc_weight, reduction="pooled").to(device)
    opt = torch.optim.Adam(module.parameters(), lr=cfg.lr)
    frames = sum(len(c.dry) for c in clips)
    if trainee.recurrent:
        seq = min(cfg.sequence, min(len(c.dry) for c in clips) - cfg.warmup)
        per_step = cfg.batch_size * cfg.tbptt
    else:
        seq = 0
        per_step = cfg.batch_size * cfg.segment
    steps_per_epoch = cfg.steps_per_epoch or max(1, math.ceil(frames / per_step))
    result = TrainResult()
    result.initial_val_loss = evaluate(trainee, val_clips, loss_fn, device)[0]
    module.train()
    best_state = copy.deepcopy(module.state_dict())
    progress = _Progress(cfg.progress)
    start = time.monotonic()
    cpu_start = time.process_time()
    since_best = 0
    running = math.nan

    def out_of_time() -> bool:
        if cfg.cpu_time_limit is not None and time.process_time() - cpu_start > cfg.cpu_time_limit:
            return True
        return cfg.time_limit is not None and time.monotonic() - start > cfg.time_limit

    def capped() -> bool:
        return cfg.max_steps is not None and result.steps >= cfg.max_steps

    epoch_losses: list[float] = []

    def descend(loss: torch.Tensor) -> None:
        """One optimizer step on ``loss``, and its bookkeeping."""
        nonlocal running
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        value = loss.item()
        result.steps += 1
        running = value if math.isnan(running) else 0.95 * running + 0.05 * value
        if len(result.first_losses) < 10:
            result.first_losses.append(value)
        result.last_losses = (result.last_losses + [value])[-10:]
        epoch_losses.append(value)

    for epoch in range(1, cfg.epochs + 1):
        t0 = time.monotonic()
        epoch_losses.clear()
        step = 0
        while (step < steps_per_epoch and not out_of_time() and not capped()
               and not stop.requested):
            if trainee.recurrent:
                idx = rng.integers(0, len(clips), cfg.batch_size).tolist()
                starts = [int(rng.integers(0, len(clips[i].dry) - (cfg.warmup + seq) + 1))
                          for i in idx]
                x = _tensor(np.stack([clips[i].dry[s : s + cfg.warmup + seq]
                                      for i, s in zip(idx, starts, strict=True)]), device)
                t = _tensor(np.stack([clips[i].wet[s : s + cfg.warmup + seq]
                                      for i, s in zip(idx, starts, strict=True)]), device)
                x, t = x.unsqueeze(1), t.unsqueeze(1)
                p = _knob_tensor(clips, idx, device)
                with torch.no_grad():
                    _, state = trainee(x[..., : cfg.warmup], p)
                for s in range(cfg.warmup, cfg.warmup + seq - cfg.tbptt + 1, cfg.tbptt):
                    state = [v.detach() for v in state]
                    y, state = trainee(x[..., s : s + cfg.tbptt], p, state)
                    descend(loss_fn(y, t[..., s : s + cfg.tbptt]))
                    step += 1
                    if (step >= steps_per_epoch or out_of_time() or capped()
                            or stop.requested):
                        break
            else:
                x, t, p = _lookback_batch(trainee, clips, cfg, rng, device)
                y, _ = trainee(x, p)
                descend(loss_fn(y, t))
                step += 1
            if not math.isfinite(running):
                raise NnfxError("training diverged (loss is not finite); try a lower --lr")
            progress.step(f"epoch {epoch} step {step}/{steps_per_epoch}  running ESR+DC "
                          f"{running:.4f}  {time.monotonic() - start:.0f} s")
        val_loss, val_esr = evaluate(trainee, val_clips, loss_fn, device)
        module.train()
        result.history.append(Epoch(epoch, step, float(np.mean(epoch_losses or [math.nan])),
                                    val_loss, val_esr, time.monotonic() - t0,
                                    time.process_time() - cpu_start))
        improved = val_loss < result.best_val_loss
        if improved:
            result.best_val_loss, result.best_epoch = val_loss, epoch
            best_state = copy.deepcopy(module.state_dict())
            since_best = 0
        else:
            since_best += 1
            if since_best == max(1, cfg.patience // 2):
                for g in opt.param_groups:
                    g["lr"] *= 0.5
        progress.epoch(f"epoch {epoch}: train {result.history[-1].train_loss:.4f}  val ESR+DC "
                       f"{val_loss:.4f}  val ESR {val_esr:.3g}{'  *' if improved else ''}  "
                       f"{time.monotonic() - start:.0f} s "
                       f"({time.process_time() - cpu_start:.0f} CPU s)")
        if stop.requested:
            result.stopped_because = "interrupted (Ctrl-C)"
            break
        if out_of_time():
            which = [f"{cfg.time_limit:g} s" if cfg.time_limit is not None else "",
                     f"{cfg.cpu_time_limit:g} CPU s" if cfg.cpu_time_limit is not None else ""]
            result.stopped_because = f"time limit ({' / '.join(w for w in which if w)})"
            break
        if capped():
            result.stopped_because = f"step limit ({cfg.max_steps})"
            break
        if since_best >= cfg.patience:
            result.stopped_because = f"early stopping ({cfg.patience} epochs without improvement)"
            break
    else:
        result.stopped_because = f"epoch limit ({cfg.epochs})"
    module.load_state_dict(best_state)
    module.eval()
    result.seconds = time.monotonic() - start
    result.cpu_seconds = time.process_time() - cpu_start
    return result

#!/usr/bin/env bash
# Reproduces the training experiments of docs/experiments.md: the datasets, every training
# run, the Raspberry Pi 4 estimates, `nnfx parity` on every model and playback in real Pure
# Data through [nnfx~].
#
#   bash .ci/setup && . .venv/bin/activate      # the project's environment
#   bash docs/experiments/run.sh [WORKDIR]       # default WORKDIR: experiments-out
#
# Two training runs at a time, one torch thread each (a 2-core machine); every run is
# limited by the CPU seconds of its own process (--cpu-time-limit), so the figures do not
# depend on what else the machine does. About 35 minutes of wall clock on 2 idle cores.
# A run stopped by a time limit can end a step or two apart on another machine; see
# docs/experiments.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-experiments-out}
mkdir -p "$out"
cd "$out"

say() { printf '\n== %s\n' "$*"; }

say "datasets (deterministic, seed 0)"
for fx in highpass440 distortion fuzz delay chorus; do
    nnfx dataset synth --out "$fx" --effect "$fx" --seconds 60
done
nnfx dataset synth --out distortion-knob --effect distortion --knob-steps 5
nnfx dataset synth --out highpass-knob --effect highpass440 --knob-steps 5

# held-out test material of a dataset: the speech-like and the music-like signal
unlike() { echo "$1/test_speech_dry.wav:$1/test_speech_wet.wav $1/test_music_dry.wav:$1/test_music_wet.wav"; }
# every knob setting of a --knob-steps 5 dataset, three of which are not trained on
settings() {
    local d=$1 k=$2 f
    for f in "$d"/test_wet_"$k"=*.wav; do printf '%s ' "$d/test_dry.wav:$f"; done
}
# NAME ARGS...: one training run, its output in NAME.log
train() {
    local name=$1
    shift
    nnfx train "$@" -o "$name.onnx" --threads 1 > "$name.log" 2>&1 || {
        echo "training $name failed:"; tail -n 20 "$name.log"; return 1; }
    echo "trained $name: $(grep -m1 '^stopped' "$name.log")"
}

say "training (two at a time)"
# shellcheck disable=SC2046  # the test lists are meant to split into words
# (a and b: the two runs of a pair; waiting on each by pid stops the script if one fails)
{
    train hp440_lstm --input highpass440/train_dry.wav --target highpass440/train_wet.wav \
        --arch lstm --preset lstm32 --pre-emphasis none --cpu-time-limit 300 \
        --test $(unlike highpass440) & a=$!
    train hp440_tcn --input highpass440/train_dry.wav --target highpass440/train_wet.wav \
        --arch tcn --preset tcn --cpu-time-limit 300 --test $(unlike highpass440) & b=$!
    wait "$a"; wait "$b"
    train hp440_gru --input highpass440/train_dry.wav --target highpass440/train_wet.wav \
        --arch gru --preset gru32 --pre-emphasis none --cpu-time-limit 300 \
        --test $(unlike highpass440) & a=$!
    train chorus_tcn --input chorus/train_dry.wav --target chorus/train_wet.wav \
        --arch tcn --preset tcn-delay --cpu-time-limit 300 --test $(unlike chorus) & b=$!
    wait "$a"; wait "$b"
    train distortion_wn --input distortion/train_dry.wav --target distortion/train_wet.wav \
        --arch wavenet --preset wavenet-small --cpu-time-limit 600 --test $(unlike distortion) & a=$!
    train fuzz_wn --input fuzz/train_dry.wav --target fuzz/train_wet.wav \
        --arch wavenet --preset wavenet-small --cpu-time-limit 600 --patience 30 \
        --test $(unlike fuzz) & b=$!
    wait "$a"; wait "$b"
    train fuzz_wn16 --input fuzz/train_dry.wav --target fuzz/train_wet.wav \
        --arch wavenet --preset wavenet1 --cpu-time-limit 600 --test $(unlike fuzz) & a=$!
    train delay_tcn --input delay/train_dry.wav --target delay/train_wet.wav \
        --arch tcn --preset tcn-delay --cpu-time-limit 600 --test $(unlike delay) & b=$!
    wait "$a"; wait "$b"
    train distortion_knob --input distortion-knob/train_dry.wav \
        --knob drive=distortion-knob/train_wet_drive=10.wav distortion-knob/train_wet_drive=20.wav \
        distortion-knob/train_wet_drive=30.wav \
        --arch wavenet --preset wavenet-small --cpu-time-limit 600 \
        --test $(settings distortion-knob drive) & a=$!
    train highpass_knob --input highpass-knob/train_dry.wav \
        --knob cutoff=highpass-knob/train_wet_cutoff=110.wav highpass-knob/train_wet_cutoff=935.wav \
        highpass-knob/train_wet_cutoff=1760.wav \
        --arch lstm --preset lstm32 --pre-emphasis none --cpu-time-limit 600 \
        --test $(settings highpass-knob cutoff) & b=$!
    wait "$a"; wait "$b"
}

say "figures (report JSON next to each model)"
python - <<'EOF'
import glob
import json

for path in sorted(glob.glob("*.report.json")):
    r = json.load(open(path))
    print(f"{r['model']}: {r['preset']}, {r['train_cpu_seconds']:.0f} CPU s "
          f"({r['train_seconds']:.0f} s wall), {r['steps']} steps, best epoch "
          f"{r['best_epoch']} of {r['epochs']} ({r['stopped_because']}), "
          f"{r['macs_per_sample']} MACs/sample")
    for e in r["evaluation"]:
        print(f"    {e['name']:<36} ESR {e['esr']:.3g} / pre-emphasised "
              f"{e['esr_pre_emphasis']:.3g}, MR-STFT {e['mrstft']:.3f}, "
              f"spectrum within {e['spectrum_max_db']:.2f} dB")
EOF

say "Raspberry Pi 4 estimates"
for m in *.onnx; do
    echo "$m: $(nnfx info "$m" --target rpi4 | grep 'load on rpi4')"
done

say "parity: PyTorch vs ONNX Runtime vs C stream vs C look-back"
for m in *.onnx; do
    nnfx parity "$m" > "${m%.onnx}.parity.txt" || { cat "${m%.onnx}.parity.txt"; exit 1; }
    echo "$m: $(tail -n 1 "${m%.onnx}.parity.txt")"
done

say "Pure Data: [nnfx~] vs the binding, 1 s of the music-like test signal"
python "$here/play_in_pd.py" fuzz/test_music_dry.wav hp440_lstm.onnx hp440_tcn.onnx hp440_gru.onnx \
    distortion_wn.onnx fuzz_wn.onnx fuzz_wn16.onnx delay_tcn.onnx chorus_tcn.onnx \
    distortion_knob.onnx:drive=15 highpass_knob.onnx:cutoff=522.5

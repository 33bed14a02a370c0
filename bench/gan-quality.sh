#!/usr/bin/env bash
# GAN quality against PyTorch's (issue 19 point 5): the fashion-dcgan recipe
# trained by `nn train-gan` and by bench/dcgan_torch.py (the same architecture,
# data, batch, optimiser, label smoothing, EMA and number of iterations), three
# seeds a side, every generator scored by `nn gan-score` with the same
# classifier, test set and sampling seed. Prints a Markdown table.
#
#   bench/gan-quality.sh [BUILD_DIR]
#
# Environment: EPOCHS (default 2; 938 iterations each), SEEDS (default "1 2 3",
# the same list both sides), OUT (default build/gan-quality), JOBS (trainings
# run at once, default 6), SCORE_ONLY=1 (score the generators OUT already holds).
set -eu
BUILD=${1:-build}
NN=$BUILD/cli/nn
EPOCHS=${EPOCHS:-2}
SEEDS=${SEEDS:-1 2 3}
OUT=${OUT:-$BUILD/gan-quality}
JOBS=${JOBS:-6}
PY=/usr/bin/python3
DATA=/usr/share/datasets/fashion-mnist
HERE=$(dirname "$0")
ROOT=$HERE/..
[ -x "$NN" ] || { echo "gan-quality.sh: $NN not found: build first (meson setup build && ninja -C build)" >&2; exit 1; }
mkdir -p "$OUT"

# a fair comparison needs the two sides to read one file the same way
$PY "$HERE/dcgan_torch.py" check --nn "$NN" >&2

if [ "${SCORE_ONLY:-0}" != 1 ]; then
  running=0
  for s in $SEEDS; do
    for side in ours torch; do
      if [ $side = ours ]; then
        nice -n 10 "$NN" train-gan "$ROOT/models/fashion-dcgan-g.json" "$ROOT/models/fashion-dcgan-d.json" \
          --data "idx:$DATA/train" --latent 64 --epochs "$EPOCHS" --batch 64 --lr 0.0002 --beta1 0.5 \
          --label-smooth 0.1 --ema 0.999 --seed "$s" --threads 1 -o "$OUT/ours-$s.safetensors" \
          >"$OUT/ours-$s.log" 2>&1 &
      else
        nice -n 10 $PY "$HERE/dcgan_torch.py" train --seed "$s" --epochs "$EPOCHS" --threads 1 \
          -o "$OUT/torch-$s.safetensors" >"$OUT/torch-$s.log" 2>&1 &
      fi
      running=$((running + 1))
      if [ $running -ge "$JOBS" ]; then
        wait
        running=0
      fi
    done
  done
  wait
  failed=0
  for s in $SEEDS; do
    for side in ours torch; do
      if ! grep -q "^saved" "$OUT/$side-$s.log" || [ ! -s "$OUT/$side-$s.safetensors" ]; then
        echo "gan-quality.sh: training $side seed $s failed, see $OUT/$side-$s.log" >&2
        failed=1
      fi
    done
  done
  [ $failed = 0 ] || exit 1
fi

for s in $SEEDS; do
  for side in ours torch; do
    # a score newer than its generator is kept (a rerun with SCORE_ONLY=1 only scores what is new)
    [ "$OUT/$side-$s.score" -nt "$OUT/$side-$s.safetensors" ] && grep -q "^generated" "$OUT/$side-$s.score" && continue
    nice -n 10 "$NN" gan-score "$OUT/$side-$s.safetensors" --classifier "$ROOT/models/fashion-lenet.safetensors" \
      --data "idx:$DATA/t10k" --train "idx:$DATA/train" -n 10000 --seed 1 --threads 1 >"$OUT/$side-$s.score"
  done
done

CPU=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
# shellcheck disable=SC2086 # one argument per seed
$PY - "$OUT" "$EPOCHS" "$CPU" $SEEDS <<'EOF'
import statistics, sys
out, epochs, cpu, seeds = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
def score(path):
    for line in open(path):
        f = line.split()
        if f and f[0] == "generated":
            return float(f[6]), float(f[5].rstrip("%"))
    sys.exit("gan-quality.sh: no 'generated' row in " + path)
res = {side: [score("%s/%s-%s.score" % (out, side, s)) for s in seeds] for side in ("ours", "torch")}
name = {"ours": "gst-nn (`nn train-gan`)", "torch": "PyTorch 1.13 (`bench/dcgan_torch.py`)"}
print("GAN quality, fashion-dcgan recipe, %d epoch(s) = %d iterations of batch 64, 1 thread a run; CPU: %s\n"
      % (epochs, epochs * 938, cpu))
print("| trainer | seed | Fréchet distance to test | class-ok |")
print("| --- | --- | --- | --- |")
for side in ("ours", "torch"):
    for s, (fd, ok) in zip(seeds, res[side]):
        print("| %s | %s | %.3f | %.2f %% |" % (name[side], s, fd, ok))
mean = {}
for side in ("ours", "torch"):
    fd = [r[0] for r in res[side]]
    ok = [r[1] for r in res[side]]
    sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
    mean[side] = (statistics.mean(fd), statistics.mean(ok))
    print("| %s | mean ± sd | **%.3f ± %.3f** | **%.2f ± %.2f %%** |"
          % (name[side], mean[side][0], sd(fd), mean[side][1], sd(ok)))
fd_ok = mean["ours"][0] <= mean["torch"][0]
cls_ok = mean["ours"][1] >= mean["torch"][1]
print("\nGoal (ours at least as good as PyTorch's mean): Fréchet %s (%.3f vs %.3f, ratio %.2f), class-ok %s (%.2f vs %.2f %%)"
      % ("met" if fd_ok else "NOT met", mean["ours"][0], mean["torch"][0], mean["ours"][0] / mean["torch"][0],
         "met" if cls_ok else "NOT met", mean["ours"][1], mean["torch"][1]))
EOF

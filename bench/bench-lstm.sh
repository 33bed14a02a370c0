#!/usr/bin/env bash
# Character-LSTM training against PyTorch 1.13 in the same run on this machine:
# models/char-lstm.json (embedding 32, lstm 128, T = 64, 93 characters) for one
# epoch on the same text:FILE windows, batch 32, Adam; samples/s, medians of
# REPEAT (>= 5) runs with min and max. PyTorch at its best here: OPENBLAS_NUM_THREADS=1 and
# torch.set_num_threads(2); gst-nn with --threads 1 and 2.
# Usage: bench/bench-lstm.sh [BUILDDIR] [--append]   (appends to bench/RESULTS.md)
# The corpus: the first CHARS (default 60000) characters of the fortunes
# package's "cookie" file (scripts/install-deps.sh --dev).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
. bench/lib.sh
CHARS=${CHARS:-60000}
SPEC=models/char-lstm.json
SRC=/usr/share/games/fortunes/cookie
[ -r "$SRC" ] || { echo "bench-lstm: $SRC missing: scripts/install-deps.sh --dev installs fortunes" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c "$CHARS" "$SRC" > "$tmp/corpus.txt"

one() { # threads
  rm -f "$tmp/log.jsonl"
  "$B/cli/nn" train "$SPEC" --data "text:$tmp/corpus.txt" --epochs 1 --batch 32 --threads "$1" \
    --log "$tmp/log.jsonl" -o "$tmp/m.safetensors" >/dev/null
  /usr/bin/python3 -c 'import json,sys; print("%.1f" % json.loads(open(sys.argv[1]).readline())["samples_per_s"])' "$tmp/log.jsonl"
}
ours() { stats one "$1"; }
theirs() { OPENBLAS_NUM_THREADS=1 BENCH_THREADS=$1 stats /usr/bin/python3 bench/bench_lstm_torch.py "$SPEC" "$tmp/corpus.txt" 32; }

a1=$(ours 1); b1=$(theirs 1); a2=$(ours 2); b2=$(theirs 2)
table=$(cat <<EOT
### Character LSTM training (models/char-lstm.json: embedding 32, lstm 128, T = 64, 93 characters), $(date -u +%Y-%m-%d)

$(bench/cpuinfo.sh "$B")

One epoch of $CHARS characters of fortunes' cookie (windows of 64, stride 32), batch 32, Adam; samples (windows) per second, median of $REPEAT runs (min–max).

| threads | gst-nn (nn train) | PyTorch 1.13 | gst-nn / PyTorch |
| --- | --- | --- | --- |
| 1 | $(fmt "$a1") | $(fmt "$b1") | $(calc "$(med "$a1") / $(med "$b1")") |
| 2 | $(fmt "$a2") | $(fmt "$b2") | $(calc "$(med "$a2") / $(med "$b2")") |
EOT
)
echo "$table"
if [ "${2:-}" = --append ]; then
  printf '\n%s\n' "$table" >> bench/RESULTS.md
fi

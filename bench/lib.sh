# Shared by the bench scripts (sourced): repeated measurements and their
# summary. A "run" is one process measuring one figure (itself a median of
# many iterations); a row reports the median of REPEAT runs with their min
# and max, so a slow or a lucky process shows as spread, not as the result.
REPEAT=${REPEAT:-5}
[ "$REPEAT" -ge 5 ] || { echo "bench: REPEAT=$REPEAT: rows are medians of at least 5 runs" >&2; exit 1; }

# stats CMD... : runs CMD REPEAT times (each prints one number) -> "median min max"
stats() {
  local i out
  for i in $(seq "$REPEAT"); do
    out=$("$@") || { echo "bench: failed: $*" >&2; return 1; }
    echo "$out"
  done | sort -g | awk '{ a[NR] = $1 } END { printf "%s %s %s\n", a[int((NR + 1) / 2)], a[1], a[NR] }'
}
# med "median min max" -> median;  fmt "median min max" -> "median (min–max)"
med() { echo "${1%% *}"; }
fmt() { set -- $1; printf '%s (%s–%s)' "$1" "$2" "$3"; }
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }

# One training epoch of nn train / of PyTorch (torch_ref.py) on an idx: data
# set, batch BATCH: samples/s (nn's from its JSON log).
nn_epoch() { # BUILDDIR SPEC THREADS BATCH IDX_PREFIX
  local d
  d=$(mktemp -d)
  "$1/cli/nn" train "$2" --data "idx:$5" --epochs 1 --batch "$4" --threads "$3" --log "$d/log.jsonl" \
    -o "$d/m.safetensors" >/dev/null || { rm -rf "$d"; return 1; }
  /usr/bin/python3 -c 'import json,sys; print("%.0f" % json.loads(open(sys.argv[1]).readline())["samples_per_s"])' "$d/log.jsonl"
  rm -rf "$d"
}
torch_epoch() { # SPEC THREADS BATCH IDX_PREFIX
  OPENBLAS_NUM_THREADS=1 TORCH_THREADS=$2 /usr/bin/python3 bench/torch_ref.py train "$1" "$4" "$3"
}
# The first N samples of an idx: data set, written as PREFIX-{images-idx3,labels-idx1}-ubyte.gz
idx_subset() { # SRC_PREFIX N DST_PREFIX
  /usr/bin/python3 - "$@" <<'PY'
import gzip, struct, sys
src, n, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for kind, head in (("images-idx3", 16), ("labels-idx1", 8)):
    data = gzip.open(f"{src}-{kind}-ubyte.gz").read()
    total = struct.unpack(">I", data[4:8])[0]
    size = (len(data) - head) // total
    k = min(n, total)
    with gzip.open(f"{dst}-{kind}-ubyte.gz", "wb", compresslevel=1) as f:
        f.write(data[:4] + struct.pack(">I", k) + data[8:head] + data[head:head + k * size])
PY
}

#!/usr/bin/env bash
# The main job: install, build, then run the demo pipelines on the shipped models.
# Everything it writes goes to build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
export GST_PLUGIN_PATH="$PWD/build/plugins"
NN=build/cli/nn
out=build/demo
mkdir -p "$out"
fm=/usr/share/datasets/fashion-mnist

echo "== The shipped models on the Fashion-MNIST test set =="
for m in models/fashion-mlp.safetensors models/fashion-lenet.safetensors; do
  printf '%s: ' "$m"
  $NN eval "$m" --data "idx:$fm/t10k" | grep accuracy
done

echo
echo "== Classify a video of 200 Fashion-MNIST test images (H.264), overlay, re-encode =="
build/tools/nn-idx2video -d "idx:$fm/t10k" -n 200 --offset 5000 -o "$out/fashion.mp4" -l "$out/fashion-labels.txt"
$NN run pipelines/classify-file.pipeline INPUT="$out/fashion.mp4" OUTPUT="$out/fashion-classified.mp4" \
  > "$out/fashion-results.jsonl"
head -n 3 "$out/fashion-results.jsonl"
python3 - "$out/fashion-results.jsonl" "$out/fashion-labels.txt" <<'PY'
import json, sys
res = [json.loads(l) for l in open(sys.argv[1]) if '"nn-classification"' in l]
truth = [int(l) for l in open(sys.argv[2])]
ok = sum(r["class-index"] == truth[r["frame"]] for r in res)
print(f"{len(res)} frames classified, {ok} correct ({100.0 * ok / max(len(res), 1):.1f} %)")
PY
echo "wrote $out/fashion-classified.mp4"

echo
echo "== A live source (10 s of GStreamer's test source at 30 fps, classified every 3rd frame) =="
timeout 20 $NN run pipelines/classify-live.pipeline SOURCE="videotestsrc is-live=true num-buffers=300" \
  INTERVAL=3 SINK="fakesink sync=true" | tail -n 1

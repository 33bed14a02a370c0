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

echo
echo "== Movie-trailer genre from the dynamics (ConvLSTM streaming in nnvideoclassify) =="
for g in action drama; do
  build/tools/nn-trailer-gen --genre "$g" --seed 7 "$out/trailer-$g.mp4" >/dev/null
  printf 'rendered %-7s -> ' "$g"
  $NN run pipelines/trailer-genre.pipeline INPUT="$out/trailer-$g.mp4" | python3 -c '
import json, sys
for r in map(json.loads, sys.stdin):
    if r.get("final"):
        print("verdict", r["verdict"], r["genres"])'
done

echo
echo "== Text from the character LSTM (the seed's temperature rule) =="
$NN generate models/char-lstm.safetensors --prime "A man " --length 200 --temperature 0.6 --seed 5
echo

echo
echo "== GAN: ask the generator for sneakers, let the LeNet classify them =="
$NN run pipelines/gan-to-classifier.pipeline CLASS=sneaker FRAMES=100 OUTPUT="$out/gan-sneakers.mp4" \
  | python3 -c '
import collections, json, sys
c = collections.Counter(json.loads(l)["label"] for l in sys.stdin if "nn-classification" in l)
print("classifier labels of 100 generated sneakers:", dict(c))'
$NN generate models/fashion-dcgan.safetensors -n 64 --class bag --seed 3 -o "$out/gan-bags.png"
echo "wrote $out/gan-sneakers.mp4 and $out/gan-bags.png"

echo
echo "== Live gesture stand-in: a rendered video paced like a camera, one line per stable gesture =="
build/tools/nn-gesture-render video "$out/gestures.mp4" --sequence fist,peace,palm,thumbs-up,none --hold 2 >/dev/null
$NN run pipelines/gesture-live-standin.pipeline VIDEO="$out/gestures.mp4" SINK="fakesink sync=false" \
  | grep '"nn-gesture"' | python3 -c '
import json, sys
print("announced:", [json.loads(l)["gesture"] for l in sys.stdin])'
echo "(rendered: fist, peace, palm, thumbs-up, none)"

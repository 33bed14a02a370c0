#!/bin/sh
# Issue 17: the shipped gesture and trailer models, trained on both styles of
# their generators. Renders the training data, links it into one folder per
# model (the names decide the order nn train reads, so a rerun is the same
# run) and trains with the exact options used for the shipped files.
#   models/train-across-styles.sh gesture-lenet|gesture-fcn|trailer|test-data [DIR]
# DIR (default /tmp/across-styles) holds the renders; the trained model is
# written to DIR/<model>.safetensors. Run from the source root after
# `ninja -C build`. Each training runs on one thread (--threads 1); about
# 40 minutes (gesture-lenet), 15 (gesture-fcn) and 30 (trailer) on one core
# of this AMD EPYC. models/README.md ("Across styles") has the figures.
set -eu
what=${1:?usage: models/train-across-styles.sh gesture-lenet|gesture-fcn|trailer|test-data [DIR]}
D=${2:-/tmp/across-styles}
B=${BUILD:-build}
R=$B/tools/nn-gesture-render
G=$B/tools/nn-trailer-gen
NN=$B/cli/nn
mkdir -p "$D"

# link DEST PREFIX SRC...: DEST/<class>/PREFIX-<file> for every file of SRC/<class>/
link() {
  dest=$1 prefix=$2
  shift 2
  for src in "$@"; do
    for c in "$src"/*/; do
      c=$(basename "$c")
      mkdir -p "$dest/$c"
      for f in "$src/$c"/*; do ln -sf "$(realpath "$f")" "$dest/$c/$prefix-$(basename "$f")"; done
    done
  done
}

case $what in
test-data)
  # held out: other seeds than any training render
  $R crops "$D/g1-test" --n 150 --seed 2 --style 1
  $R crops "$D/g2-test" --n 150 --seed 2 --style 2
  $G -n 20 --seed 2 "$D/tr1-test"
  $G --style 2 -n 20 --seed 2 "$D/tr2-test"
  ;;
gesture-lenet)
  $R crops "$D/g1-a" --n 500 --seed 1 --style 1
  $R crops "$D/g1-b" --n 800 --seed 3 --style 1
  $R crops "$D/g1-c" --n 500 --seed 5 --style 1
  $R crops "$D/g2-d" --n 1800 --seed 1 --style 2
  rm -rf "$D/g12"
  link "$D/g12" a "$D/g1-a"; link "$D/g12" b "$D/g1-b"; link "$D/g12" c "$D/g1-c"; link "$D/g12" d "$D/g2-d"
  # 25,200 crops, 1,800 per class and style
  $NN train models/gesture-lenet.json --data "folder:$D/g12" --val-split 0.05 --batch 32 --threads 1 \
    --epochs 30 --lr 0.002 --schedule cosine:warmup=1,min=0.00002 --seed 1 --augment flip=h \
    -o "$D/gesture-lenet.safetensors"
  ;;
gesture-fcn)
  $R fcn "$D/f1-train" --n 400 --seed 11 --style 1; $R fcn "$D/f2-train" --n 400 --seed 11 --style 2
  $R fcn "$D/f1b-train" --n 400 --seed 13 --style 1; $R fcn "$D/f2b-train" --n 400 --seed 13 --style 2
  $R fcn "$D/f1c" --n 1000 --seed 15 --style 1; $R fcn "$D/f2c" --n 1000 --seed 15 --style 2
  $R fcn "$D/f1d" --n 400 --seed 17 --style 1; $R fcn "$D/f2d" --n 1200 --seed 17 --style 2
  rm -rf "$D/fbb"
  for t in f1-train f1b-train f1c f1d f2-train f2b-train f2c f2d; do link "$D/fbb" "$t" "$D/$t"; done
  # 36,400 crops: 2,200 per class of style 1, 3,000 of style 2
  $NN train models/gesture-fcn.json --data "folder:$D/fbb" --val-split 0.05 --batch 32 --threads 1 --epochs 30 \
    --lr 0.002 --schedule cosine:warmup=1,min=0.00001 --seed 3 \
    --augment flip=h,rotate=10,scale=0.15,colour=0.2,brightness=0.15,contrast=0.2,blur=0.8,noise=0.05 \
    -o "$D/fcn-32.safetensors"
  $R reshape "$D/fcn-32.safetensors" --width 128 --height 96 -o "$D/gesture-fcn.safetensors"
  ;;
trailer)
  $G -n 60 --seed 1 "$D/tr1-a"; $G -n 240 --seed 3 "$D/tr1-b"
  $G --style 2 -n 60 --seed 1 "$D/tr2-a"; $G --style 2 -n 240 --seed 3 "$D/tr2-b"
  rm -rf "$D/tr12"
  link "$D/tr12" s1-a "$D/tr1-a"; link "$D/tr12" s1-b "$D/tr1-b"; link "$D/tr12" s2-a "$D/tr2-a"; link "$D/tr12" s2-b "$D/tr2-b"
  # 2,400 trailers, 300 per genre and style
  $NN train models/trailer-genre-convlstm.json --data "folder:$D/tr12" --val-split 0.05 --epochs 20 --batch 16 \
    --lr 0.005 --schedule cosine:warmup=1,min=0.0001 --seed 1 --threads 1 -o "$D/trailer-genre-convlstm.safetensors"
  ;;
*) echo "train-across-styles.sh: unknown model \"$what\"" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# libnn as another project sees it: configure the source tree into a second
# build dir (-Dtests=false), `meson install` it into a temporary prefix, then
# check what landed there (headers, sonames, .pc files, the plugin under the
# prefix, rpaths) and build tests/install/example.c out of tree with
# pkg-config only, run it on a shipped model and a Fashion-MNIST test image,
# and find the plugin with gst-inspect-1.0 through GST_PLUGIN_PATH.
#
#   tests/install/test-install.sh SOURCE_ROOT WORK_DIR
#
# WORK_DIR keeps the second build dir between runs (a re-run only relinks);
# the prefix is made fresh under /tmp each run and removed at the end.
set -euo pipefail
src=$(realpath "$1")
mkdir -p "$2"
work=$(realpath "$2")
bld=$work/build
prefix=$(mktemp -d /tmp/nn-prefix.XXXXXX)
scratch=$(mktemp -d /tmp/nn-install-test.XXXXXX)
trap 'rm -rf "$prefix" "$scratch"' EXIT
# Nothing from a surrounding build or test run may help the installed tree.
unset LD_LIBRARY_PATH GST_PLUGIN_PATH_1_0 GST_PLUGIN_PATH GST_REGISTRY_1_0 GST_REGISTRY PKG_CONFIG_PATH

fails=0
fail () { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok () { echo "ok: $*"; }

if [ -f "$bld/build.ninja" ]; then
  meson configure "$bld" -Dprefix="$prefix" >/dev/null
else
  meson setup "$bld" "$src" -Dtests=false --buildtype=release --prefix="$prefix" >/dev/null
fi
ninja -C "$bld" >"$scratch/ninja.log" 2>&1 || { tail -n 40 "$scratch/ninja.log" >&2; exit 1; }
meson install -C "$bld" --no-rebuild --quiet >/dev/null

# Everything meson installed is under the prefix (the plugin included).
meson introspect --installed "$bld" | python3 -c '
import json, sys
outside = [p for p in json.load(sys.stdin).values() if not p.startswith(sys.argv[1] + "/")]
print("\n".join(outside)); sys.exit(1 if outside else 0)' "$prefix" >"$scratch/outside" ||
  fail "installed outside $prefix: $(tr '\n' ' ' <"$scratch/outside")"

pc=$(find "$prefix" -name nn.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pc" ] || { echo "FAIL: no nn.pc under $prefix" >&2; exit 1; }
libdir=$(dirname "$(dirname "$pc")")
export PKG_CONFIG_PATH=$libdir/pkgconfig
ok "libdir is ${libdir#"$prefix"/}"

# Headers: every public header of the source tree, and the meta library's.
for h in "$src"/core/include/nn/*.h "$src"/plugins/nn-classification-meta.h; do
  [ -f "$prefix/include/nn/$(basename "$h")" ] || fail "header $(basename "$h") not installed in $prefix/include/nn"
done
ok "headers: $(ls "$prefix/include/nn" | tr '\n' ' ')"

# Shared libraries with versioned sonames, and their .pc files.
for l in nn nn-meta; do
  soname=$(readelf -d "$libdir/lib$l.so" 2>/dev/null | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
  [ "$soname" = "lib$l.so.0" ] && [ -f "$libdir/lib$l.so.0" ] || fail "lib$l.so: soname '$soname', expected lib$l.so.0"
  pkg-config --exists "$l" || fail "pkg-config does not find $l"
done
ok "sonames libnn.so.0, libnn-meta.so.0"
[ "$(pkg-config --modversion nn)" = "$(pkg-config --modversion nn-meta)" ] || fail "nn and nn-meta versions differ"

# Binaries and the plugin resolve libnn through their rpath alone.
plugin=$libdir/gstreamer-1.0/libgstnn.so
[ -f "$plugin" ] || fail "the plugin is not in $libdir/gstreamer-1.0"
# where ldd finds libnn.so.0 for $1, resolved ("" when not linked to it)
libnn_of () { ldd "$1" | sed -n 's/^[[:space:]]*libnn\.so\.0 => \(.*\) (0x.*/\1/p' | xargs -r realpath; }
for f in "$prefix"/bin/* "$plugin"; do
  out=$(ldd "$f" 2>&1) || fail "ldd $f: $out"
  if grep -q "not found" <<<"$out"; then
    fail "ldd $f: $(grep 'not found' <<<"$out" | tr '\n' ' ')"
  elif grep -q "libnn.so.0" <<<"$out" && [ "$(libnn_of "$f")" != "$(realpath "$libdir/libnn.so.0")" ]; then
    fail "ldd $f: libnn.so.0 does not resolve into $libdir"
  fi
done
[ "$(libnn_of "$prefix/bin/nn")" = "$(realpath "$libdir/libnn.so.0")" ] || fail "bin/nn does not load $libdir/libnn.so.0"
ok "ldd: $(ls "$prefix/bin" | tr '\n' ' ')and the plugin find their libraries"

version=$("$prefix/bin/nn" --version) || fail "nn --version exits $?"
[ "$version" = "nn $(pkg-config --modversion nn)" ] || fail "nn --version says '$version'"
ok "$version"

# gst-inspect finds the plugin through GST_PLUGIN_PATH only.
export GST_REGISTRY_1_0=$scratch/registry.bin
export GST_PLUGIN_PATH=$libdir/gstreamer-1.0
inspect=$(gst-inspect-1.0 nnclassify 2>&1) || fail "gst-inspect-1.0 nnclassify: $inspect"
grep -q "$plugin" <<<"$inspect" || fail "gst-inspect-1.0 nnclassify does not load $plugin"
ok "gst-inspect-1.0 nnclassify loads $plugin"

# The example, built with pkg-config alone: nothing points into the tree.
flags=$(pkg-config --cflags --libs nn nn-meta gstreamer-1.0 gstreamer-app-1.0)
case " $flags " in *"$src"*|*"$bld"*) fail "pkg-config flags point into the source or build tree: $flags";; esac
cp "$src/tests/install/example.c" "$scratch/"
# shellcheck disable=SC2086 # the flags are words
(cd "$scratch" && cc -std=c11 -Wall -Werror -o example example.c $flags \
  -Wl,-rpath,"$(pkg-config --variable=libdir nn)") || { echo "FAIL: example.c does not build" >&2; exit 1; }
ok "example.c built with: cc example.c \$(pkg-config --cflags --libs nn nn-meta gstreamer-1.0 gstreamer-app-1.0)"

# Image 0 of the Fashion-MNIST test set, raw 28x28 gray, and its label.
idx=/usr/share/datasets/fashion-mnist/t10k
zcat "$idx-images-idx3-ubyte.gz" | tail -c +17 | head -c 784 >"$scratch/image.gray" || true
truth=$(zcat "$idx-labels-idx1-ubyte.gz" | tail -c +9 | head -c 1 | od -An -tu1 | tr -d ' ') || true
[ "$(stat -c %s "$scratch/image.gray")" = 784 ] && [ -n "$truth" ] || { echo "FAIL: cannot read $idx" >&2; exit 1; }

model=$src/models/fashion-lenet.safetensors
if out=$("$scratch/example" "$model" "$scratch/image.gray" 2>&1); then
  printf '%s\n' "$out"
  read -r _ index label _ < <(grep '^image: ' <<<"$out")
  [ "$index" = "$truth" ] || fail "the image is class $truth, the example says $index"
  [ -n "$label" ] && [ "$label" != "(null)" ] || fail "the image's class has no label"
  [ "$(grep -c '^frame [0-2]: [0-9]* [^ ].* [0-9.]*$' <<<"$out")" = 3 ] ||
    fail "3 frames with a classification meta (index, label, score) expected"
else
  fail "example exits non-zero: $out"
fi

if [ "$fails" -gt 0 ]; then
  echo "$fails check(s) failed" >&2
  exit 1
fi
echo "installed tree in a temporary prefix: all checks passed"

#!/usr/bin/env bash
# The sharding of `nn run --list` and `nn merge-report` without Slurm
# (issue 16, point 4): 12 trailers, a truncated MP4, a video of zeros and a
# missing path, classified in one process and in 4 shards run by hand
# (--shard, and the Slurm variables for one of them). Checks: the merged
# shards equal the one-process report; a merge with a shard missing fails
# naming the files and writes nothing; a task killed in the middle of a line
# is redone from that line and repeats no video; a split mixed with another,
# a line of another list, a shard running twice and bad --shard values are
# refused.
#
#   tests/cluster/test-shards.sh SOURCE_ROOT BUILD_ROOT
set -euo pipefail
src=$(realpath "$1")
bld=$(realpath "$2")
nn=$bld/cli/nn
tmp=$(mktemp -d /tmp/nn-shards-test.XXXXXX)
lockpid=
cleanup () {
  [ -n "$lockpid" ] && kill "$lockpid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail () { echo "FAIL: $*" >&2; exit 1; }
ok () { echo "ok: $*"; }
cd "$src"
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT

"$bld/tools/nn-trailer-gen" --per-genre 3 --frames 48 --size 32 --seed 5 "$tmp/v" >/dev/null
find "$tmp/v" -name '*.mp4' | sort >"$tmp/trailers.txt"
size=$(stat -c %s "$tmp/v/horror/001.mp4")
head -c $((size / 2)) "$tmp/v/horror/001.mp4" >"$tmp/v/half.mp4"
head -c 20000 /dev/zero >"$tmp/v/zeros.mp4"
{
  head -n 5 "$tmp/trailers.txt"
  echo "# a comment line, and a blank one"
  echo
  tail -n +6 "$tmp/trailers.txt" | head -n 4
  echo "$tmp/v/no such file.mp4"
  tail -n +10 "$tmp/trailers.txt"
  echo "$tmp/v/zeros.mp4"
} >"$tmp/list.txt"
n=$(grep -cv -e '^#' -e '^$' "$tmp/list.txt")
[ "$n" -eq 14 ] || fail "the list has $n files"
run () { timeout 120 "$nn" run pipelines/trailer-genre.pipeline --list "$tmp/list.txt" "$@"; }
merge () { timeout 60 "$nn" merge-report "$@"; }

# ---- one process ---------------------------------------------------------------------------------------
run --output "$tmp/one" 2>"$tmp/one.log" || { cat "$tmp/one.log" >&2; fail "nn run --list"; }
[ -f "$tmp/one/shard-0-of-1.jsonl" ] || fail "no shard-0-of-1.jsonl"
merge --jsonl "$tmp/one.jsonl" --csv "$tmp/one.csv" "$tmp/list.txt" "$tmp/one" 2>/dev/null || fail "merge (one)"
python3 - "$tmp/one.jsonl" "$tmp/one.csv" "$tmp/list.txt" <<'EOF' || fail "the one-process report"
import csv, json, sys
files = [l.strip() for l in open(sys.argv[3]) if l.strip() and not l.startswith("#")]
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [l["path"] for l in lines] == files and [l["index"] for l in lines] == list(range(len(files)))
bad = {"zeros.mp4", "no such file.mp4"}
for l in lines:
    name = l["path"].rsplit("/", 1)[1]
    if name in bad:
        assert set(l) == {"index", "path", "error"} and l["error"], l
        continue
    genre = l["path"].rsplit("/", 2)[1]
    assert l["verdict"] == l["label"] and l["complete"] is True and l["labels"][l["probabilities"].index(max(l["probabilities"]))] == l["verdict"], l
    assert l["samples"] == 24 and l["frames"] == 48 and len(l["clips"]) == 2, l
    # the video estimate is the mean of the clip-end outputs
    for k in range(4):
        assert abs(l["probabilities"][k] - (l["clips"][0][k] + l["clips"][1][k]) / 2) < 1e-6, l
right = sum(l.get("verdict") == l["path"].rsplit("/", 2)[1] for l in lines)
assert right >= 9, f"only {right} of 12 trailers classified as their genre"
rows = list(csv.reader(open(sys.argv[2])))
assert rows[0] == ["index", "path", "verdict", "error", "clips", "action", "detective", "drama", "horror"], rows[0]
assert len(rows) == len(files) + 1
for r, l in zip(rows[1:], lines):
    assert r[1] == l["path"] and r[2] == l.get("verdict", "") and r[3] == l.get("error", ""), (r, l)
    if "verdict" in l:
        assert r[4] == "2" and [float(x) for x in r[5:]] == l["probabilities"], (r, l)
    else:
        assert r[4:] == ["", "", "", "", ""], r
print(f"{right} of 12 trailers right; errors: " + "; ".join(l["error"] for l in lines if "error" in l))
EOF
ok "one process: $n lines in list order, 2 error lines, CSV as the JSON lines"

# ---- 4 shards by hand -----------------------------------------------------------------------------------
run --output "$tmp/sh" --shard 0/4 2>/dev/null || fail "shard 0/4"
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=4 run --output "$tmp/sh" 2>"$tmp/s1.log" || fail "shard 1 from the Slurm variables"
grep -q "shard 1/4: 4 files, 0 already" "$tmp/s1.log" || fail "SLURM_ARRAY_TASK_ID/COUNT not taken: $(cat "$tmp/s1.log")"
run --output "$tmp/sh" --shard 2/4 2>/dev/null || fail "shard 2/4"
# shard 3 missing: the merge names what is missing and writes nothing
set +e
merge --jsonl "$tmp/m.jsonl" --csv "$tmp/m.csv" "$tmp/list.txt" "$tmp/sh" 2>"$tmp/m.err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "merge with shard 3 missing: exit $rc, not 1"
grep -q "missing: .*v/detective/000.mp4 (index 3, shard 3/4)" "$tmp/m.err" || fail "merge's message: $(cat "$tmp/m.err")"
grep -q "3 of 14 files are in no shard" "$tmp/m.err" || fail "merge's message: $(cat "$tmp/m.err")"
[ ! -e "$tmp/m.jsonl" ] && [ ! -e "$tmp/m.csv" ] || fail "an incomplete merge wrote a report"
ok "a merge with shard 3 missing: exit 1, names the 3 files, writes nothing"

# shard 3 "killed" in the middle of its second line: the rerun cuts the half
# line, redoes that video and the rest, and none of the first
run --output "$tmp/sh" --shard 3/4 2>/dev/null || fail "shard 3/4"
s3=$tmp/sh/shard-3-of-4.jsonl
[ "$(wc -l <"$s3")" -eq 3 ] || fail "shard 3 has $(wc -l <"$s3") lines, not 3"
first=$(head -n 1 "$s3")
second=$(sed -n 2p "$s3")
{ echo "$first"; printf '%s' "${second:0:40}"; } >"$s3"
run --output "$tmp/sh" --shard 3/4 2>"$tmp/s3.log" || fail "shard 3/4 rerun"
grep -q "half-written" "$tmp/s3.log" || fail "the half-written line was not reported: $(cat "$tmp/s3.log")"
grep -q "shard 3/4 done: 2 classified now (0 of them errors), 1 before" "$tmp/s3.log" ||
  fail "the rerun did not classify exactly the 2 videos not done: $(cat "$tmp/s3.log")"
# a rerun of a complete shard does nothing
run --output "$tmp/sh" --shard 3/4 2>"$tmp/s3b.log" || fail "shard 3/4 third run"
grep -q "done: 0 classified now" "$tmp/s3b.log" || fail "a complete shard was classified again"

merge --jsonl "$tmp/m.jsonl" --csv "$tmp/m.csv" "$tmp/list.txt" "$tmp/sh" 2>/dev/null || fail "merge of 4 shards"
cmp "$tmp/one.jsonl" "$tmp/m.jsonl" || fail "4 shards merged (JSON lines) differ from one process"
cmp "$tmp/one.csv" "$tmp/m.csv" || fail "4 shards merged (CSV) differ from one process"
ok "4 shards by hand, one killed mid-line and rerun: the merge equals one process (JSON lines and CSV)"

# ---- a truncated MP4 -----------------------------------------------------------------------------------
# decodebin sometimes loses the demuxer's error (run-list.c): either that
# error or --stall-timeout makes it an error line, never a hang
printf '%s\n' "$tmp/v/half.mp4" "$(head -n 1 "$tmp/trailers.txt")" >"$tmp/half.txt"
timeout 120 "$nn" run pipelines/trailer-genre.pipeline --list "$tmp/half.txt" --output "$tmp/half" --stall-timeout 5 \
  2>/dev/null || fail "nn run --list on a truncated MP4"
python3 - "$tmp/half/shard-0-of-1.jsonl" <<'EOF' || fail "the truncated MP4's line"
import json, sys
a, b = [json.loads(l) for l in open(sys.argv[1])]
assert set(a) == {"index", "path", "error"} and a["index"] == 0, a
assert b["verdict"] and b["index"] == 1, b
print(a["error"])
EOF
ok "a truncated MP4 is an error line and the next file is classified"

# ---- refusals -------------------------------------------------------------------------------------------
expect () { # STATUS PATTERN COMMAND...: exit status and a line of stderr
  local want=$1 pat=$2 rc
  shift 2
  set +e
  "$@" >/dev/null 2>"$tmp/err"
  rc=$?
  set -e
  [ $rc -eq "$want" ] || fail "$*: exit $rc, not $want ($(cat "$tmp/err"))"
  grep -q -- "$pat" "$tmp/err" || fail "$*: stderr lacks \"$pat\": $(cat "$tmp/err")"
}
expect 2 "not i/n" run --output "$tmp/x" --shard 4/4
expect 2 "not i/n" run --output "$tmp/x" --shard 1/0
expect 2 "go with --list" "$nn" run pipelines/trailer-genre.pipeline --shard 0/2
expect 2 "needs --output" "$nn" run pipelines/trailer-genre.pipeline --list "$tmp/list.txt"
expect 2 "drop INPUT=" run --output "$tmp/x" INPUT=a.mp4
expect 2 "--jsonl FILE and/or --csv" merge "$tmp/list.txt" "$tmp/sh"
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=1 expect 1 "pass --shard 2/N" run --output "$tmp/x"
expect 1 "nnvideoclassify" "$nn" run pipelines/classify-file.pipeline --list "$tmp/list.txt" --output "$tmp/x"
[ ! -e "$tmp/x/shard-0-of-1.jsonl" ] || [ ! -s "$tmp/x/shard-0-of-1.jsonl" ] || fail "a refused run wrote lines"
printf '%s/\xff.mp4\n' "$tmp" >"$tmp/latin1.txt"
expect 1 "not UTF-8" timeout 60 "$nn" run pipelines/trailer-genre.pipeline --list "$tmp/latin1.txt" --output "$tmp/x"
# another split in the same folder
cp "$tmp/sh/shard-0-of-4.jsonl" "$tmp/sh/shard-0-of-2.jsonl"
expect 1 "shards of" merge --jsonl "$tmp/y.jsonl" "$tmp/list.txt" "$tmp/sh"
rm "$tmp/sh/shard-0-of-2.jsonl"
# a line of another list
sed '1d' "$tmp/list.txt" >"$tmp/other.txt"
expect 1 "another list" merge --jsonl "$tmp/y.jsonl" "$tmp/other.txt" "$tmp/sh"
expect 1 "another list" timeout 60 "$nn" run pipelines/trailer-genre.pipeline --list "$tmp/other.txt" --output "$tmp/sh" --shard 0/4
# a half-written last line left by a task never rerun
cp "$s3" "$tmp/s3.keep"
printf '{"index":' >>"$s3"
expect 1 "half-written" merge --jsonl "$tmp/y.jsonl" "$tmp/list.txt" "$tmp/sh"
cp "$tmp/s3.keep" "$s3"
# the same shard running twice: the second stops, the file is untouched
# (one process holds the lock, so that killing it ends it)
python3 -c 'import fcntl, sys, time; f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(60)' "$s3" &
lockpid=$!
for ((i = 0; i < 50; i++)); do flock -n "$s3" true || break; sleep 0.1; done
expect 1 "another task is writing it" run --output "$tmp/sh" --shard 3/4
kill "$lockpid"
wait "$lockpid" 2>/dev/null || true
lockpid=
cmp "$s3" "$tmp/s3.keep" || fail "the refused second writer changed the shard"
[ ! -e "$tmp/y.jsonl" ] || fail "a refused merge wrote a report"
ok "refused: bad --shard, --shard/--output alone, INPUT=, an array of part of the tasks, a pipeline without" \
  "nnvideoclassify, a path not in UTF-8, two splits, another list, a half-written shard, a shard running twice"

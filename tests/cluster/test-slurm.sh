#!/usr/bin/env bash
# A trailer library as a Slurm job array, on a real one-node Slurm started
# here (issue 16, point 4): munged, slurmctld and slurmd with a
# configuration written from tests/cluster/slurm.conf.in (this machine's
# short host name, free ports, state in a temporary folder). 40 trailers from
# nn-trailer-gen and one corrupt video are classified by the shipped
# scripts/slurm/submit-classify.sh in 4 tasks; task 2 is cancelled once its
# shard holds some lines but not all, the merge that depended on the array is
# then cancelled by Slurm, the task is submitted again (--only 2) with a new
# merge, and the merged report must equal, byte for byte, the report of one
# `nn run --list` over the same list in one process; the resubmitted task
# must have classified exactly the videos its shard lacked. (The tasks run
# tests/cluster/trailer-genre-held.pipeline, the shipped pipeline with each
# frame held 20 ms, so the cancel lands between two videos.)
#
#   tests/cluster/test-slurm.sh SOURCE_ROOT BUILD_ROOT
#
# Every daemon, job step and task it started is stopped on exit, failure
# included; every wait has a time limit.
set -euo pipefail
src=$(realpath "$1")
bld=$(realpath "$2")
nn=$bld/cli/nn
gen=$bld/tools/nn-trailer-gen
for p in munged mungekey slurmctld slurmd sbatch squeue scontrol scancel sinfo python3; do
  command -v "$p" >/dev/null || { echo "FAIL: $p not found (scripts/install-deps.sh installs slurm-wlm and munge)" >&2; exit 1; }
done

# slurmd runs the jobs of the user who submits them, as root does here (SlurmUser=root)
[ "$(id -u)" -eq 0 ] || { echo "FAIL: the one-node Slurm needs root (slurmd starts the tasks as their user)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/nn-slurm-test.XXXXXX)
# munged wants every folder above its socket searchable by all
chmod 755 "$tmp"
export SLURM_CONF=$tmp/slurm.conf
# Processes of this cluster carry NN_SLURM_TEST=$tmp in their environment (the
# daemons, and through sbatch --export=ALL the job steps and tasks), so the
# cleanup finds exactly them.
mark="NN_SLURM_TEST=$tmp"

stop_pid () { # PID: TERM, then KILL after 10 s
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

marked_pids () {
  local f pid
  for f in /proc/[0-9]*/environ; do
    pid=${f#/proc/}
    pid=${pid%/environ}
    [ "$pid" != $$ ] && { tr '\0' '\n' <"$f"; } 2>/dev/null | grep -qxF "$mark" && echo "$pid"
  done
  return 0
}

cleanup () {
  local rc=$? i pid
  set +e
  if [ -f "$tmp/slurmctld.pid" ]; then
    timeout 10 scancel --user="$(id -un)" 2>/dev/null
    for ((i = 0; i < 50; i++)); do
      [ -z "$(timeout 5 squeue -h 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  for f in slurmd.pid slurmctld.pid munge/munged.pid; do
    [ -s "$tmp/$f" ] && stop_pid "$(cat "$tmp/$f")"
  done
  # job steps or tasks that outlived their daemons
  for pid in $(marked_pids); do stop_pid "$pid"; done
  if [ $rc -ne 0 ]; then
    for f in slurmctld.log slurmd.log shards/*.out; do
      [ -f "$tmp/$f" ] && { echo "--- $f (last 30 lines)"; tail -n 30 "$tmp/$f"; }
    done >&2
  fi
  rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail () { echo "FAIL: $*" >&2; exit 1; }
ok () { echo "ok: $*"; }

# wait_for SECONDS WHAT COMMAND...: until COMMAND succeeds
wait_for () {
  local limit=$1 what=$2 end
  shift 2
  end=$((SECONDS + limit))
  until "$@"; do
    [ $SECONDS -lt $end ] || fail "$what: not within $limit s"
    sleep 0.2
  done
}

# ---- the library: 40 trailers, one corrupt video in the middle ----------------------------------------
cd "$src"
"$gen" --per-genre 10 --frames 48 --size 32 --seed 16 "$tmp/videos" >/dev/null
find "$tmp/videos" -name '*.mp4' | sort >"$tmp/trailers.txt"
[ "$(wc -l <"$tmp/trailers.txt")" -eq 40 ] || fail "nn-trailer-gen wrote $(wc -l <"$tmp/trailers.txt") trailers, not 40"
# a trailer whose first 4 kB are zeros: the parser finds no frame
cp "$tmp/videos/drama/003.mp4" "$tmp/videos/corrupt.mp4"
dd if=/dev/zero of="$tmp/videos/corrupt.mp4" bs=4096 count=1 conv=notrunc status=none
{ head -n 17 "$tmp/trailers.txt"; echo "$tmp/videos/corrupt.mp4"; tail -n +18 "$tmp/trailers.txt"; } >"$tmp/list.txt"
n_list=$(wc -l <"$tmp/list.txt")
run_args="--stall-timeout 30"

# ---- the reference: the whole list in one process -------------------------------------------------------
# shellcheck disable=SC2086
timeout 300 "$nn" run pipelines/trailer-genre.pipeline --list "$tmp/list.txt" --output "$tmp/single" $run_args \
  2>"$tmp/single.log" || { cat "$tmp/single.log" >&2; fail "nn run --list in one process"; }
timeout 60 "$nn" merge-report --jsonl "$tmp/single.jsonl" --csv "$tmp/single.csv" "$tmp/list.txt" "$tmp/single" \
  2>/dev/null || fail "nn merge-report of the one-process run"
[ "$(wc -l <"$tmp/single.jsonl")" -eq "$n_list" ] || fail "the one-process report has not $n_list lines"
python3 - "$tmp/single.jsonl" "$tmp/videos/corrupt.mp4" <<'EOF' || fail "the one-process report's lines"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
for i, l in enumerate(lines):
    assert l["index"] == i, l
    if l["path"] == sys.argv[2]:
        assert "error" in l and "verdict" not in l, l
    else:
        assert l["verdict"] in l["labels"] and len(l["clips"]) == 2 and all(len(c) == 4 for c in l["clips"]), l
EOF
ok "one process: $n_list lines, the corrupt video an error line: $(grep -o '"error":"[^"]*"' "$tmp/single.jsonl")"

# ---- a one-node Slurm -----------------------------------------------------------------------------------
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/munge/key"
chmod 755 "$tmp/munge"
chmod 700 "$tmp/munge/key"
timeout 30 mungekey --create --keyfile="$tmp/munge/key/munge.key"
timeout 30 env "$mark" munged --socket="$tmp/munge/munge.socket" --pid-file="$tmp/munge/munged.pid" \
  --log-file="$tmp/munge/munged.log" --seed-file="$tmp/munge/key/munged.seed" --key-file="$tmp/munge/key/munge.key" ||
  fail "munged did not start: $(cat "$tmp/munge/munged.log" 2>/dev/null)"
read -r ctld_port slurmd_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
hw=$(timeout 30 slurmd -C | head -n 1)
cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$hw")
mem=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
sed -e "s|@HOST@|$(hostname -s)|g" -e "s|@DIR@|$tmp|g" -e "s|@CTLD_PORT@|$ctld_port|g" \
  -e "s|@SLURMD_PORT@|$slurmd_port|g" -e "s|@MUNGE_SOCKET@|$tmp/munge/munge.socket|g" -e "s|@CPUS@|$cpus|g" \
  -e "s|@MEM@|$((mem / 2))|g" "$src/tests/cluster/slurm.conf.in" >"$SLURM_CONF"
timeout 30 env "$mark" slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
timeout 30 env "$mark" slurmd -f "$SLURM_CONF" || fail "slurmd did not start"
node_idle () { [ "$(timeout 5 sinfo -h -N -o %T 2>/dev/null)" = idle ]; }
wait_for 60 "the node going idle" node_idle
ok "Slurm: $(hostname -s), $cpus CPUs, ports $ctld_port/$slurmd_port"

# ---- the array in 4 tasks; task 2 cancelled mid-way -------------------------------------------------------
submit () { # submit-classify.sh ARGS...: sets job and merge
  local out
  out=$(timeout 60 env "$mark" NN="$nn" NN_RUN_ARGS="$run_args" scripts/slurm/submit-classify.sh "$@") || fail "submit: $out"
  job=$(sed -n 's/^array //p' <<<"$out")
  merge=$(sed -n 's/^merge //p' <<<"$out")
  [ -n "$job" ] && [ -n "$merge" ] || fail "submit printed: $out"
}
state () { timeout 10 scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1; }
gone () { [ -z "$(timeout 10 squeue -h -j "$1" 2>/dev/null)" ]; }
lines () { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# the tasks hold each frame 20 ms (the frames unchanged), so a video takes
# about a second and the cancel lands between two videos
held=tests/cluster/trailer-genre-held.pipeline
submit --tasks 4 --pipeline "$held" "$tmp/list.txt" "$tmp/shards" "$tmp/report"
shard2=$tmp/shards/shard-2-of-4.jsonl
of2=$(( (n_list - 2 + 3) / 4 ))
end=$((SECONDS + 300))
while :; do
  k=$(lines "$shard2")
  [ "$k" -lt "$of2" ] || fail "task 2 wrote all $of2 lines before it could be cancelled"
  [ "$k" -ge 1 ] && break
  [ $SECONDS -lt $end ] || fail "task 2 wrote no line within 300 s"
  sleep 0.05
done
timeout 30 scancel "${job}_2"
wait_for 300 "the array's end" gone "$job"
[ "$(state "${job}_2")" = CANCELLED ] || fail "task 2 is $(state "${job}_2"), not CANCELLED"
for t in 0 1 3; do [ "$(state "${job}_$t")" = COMPLETED ] || fail "task $t is $(state "${job}_$t")"; done
killed=$(lines "$shard2")
[ "$killed" -ge "$k" ] && [ "$killed" -lt "$of2" ] || fail "after the cancel shard 2 has $killed of $of2 lines"
# the merge's dependency can never be met (kill_invalid_depend): no report
wait_for 60 "the first merge's cancellation" gone "$merge"
[ "$(state "$merge")" = CANCELLED ] || fail "the first merge is $(state "$merge"), not CANCELLED"
[ ! -e "$tmp/report.jsonl" ] || fail "a report was written without task 2"
ok "task 2 cancelled with $killed of $of2 lines; tasks 0 1 3 completed; the dependent merge cancelled"

# ---- task 2 again, and the merge --------------------------------------------------------------------------
submit --tasks 4 --only 2 --pipeline "$held" "$tmp/list.txt" "$tmp/shards" "$tmp/report"
wait_for 300 "the resubmitted task's end" gone "$job"
wait_for 120 "the merge's end" gone "$merge"
[ "$(state "${job}_2")" = COMPLETED ] || fail "the resubmitted task 2 is $(state "${job}_2")"
[ "$(state "$merge")" = COMPLETED ] || fail "the merge is $(state "$merge"): $(cat "$tmp"/shards/slurm-merge-"$merge".out)"
log=$tmp/shards/slurm-${job}_2.out
grep -qF "shard 2/4: $of2 files, $killed already in" "$log" || fail "the resubmitted task did not resume: $(cat "$log")"
grep -qF "shard 2/4 done: $((of2 - killed)) classified now" "$log" ||
  fail "the resubmitted task did not classify exactly the $((of2 - killed)) missing videos: $(cat "$log")"
[ "$(lines "$shard2")" -eq "$of2" ] || fail "shard 2 has $(lines "$shard2") lines, not $of2"
ok "task 2 resubmitted: $((of2 - killed)) videos classified, $killed skipped; the merge completed"

cmp "$tmp/single.jsonl" "$tmp/report.jsonl" || fail "the Slurm report (JSON lines) differs from the one-process run"
cmp "$tmp/single.csv" "$tmp/report.csv" || fail "the Slurm report (CSV) differs from the one-process run"
ok "the merged report equals the one-process run, file for file ($n_list lines, JSON lines and CSV)"

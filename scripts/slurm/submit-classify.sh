#!/usr/bin/env bash
# Submits the classification of a video library as a Slurm job array, then
# the merge as a job that starts when every task has ended well
# (--dependency=afterok). Task logs go to OUTDIR/slurm-JOB_TASK.out.
#
#   scripts/slurm/submit-classify.sh [--tasks N] [--only I,J,...] [--pipeline FILE] LIST OUTDIR REPORT
#
#   --tasks N      shards (array tasks), default 4
#   --only I,J     submit these tasks of the N again (after one was killed or
#                  failed), and a new merge after them
#   --pipeline F   default pipelines/trailer-genre.pipeline
# Prints "array JOBID" and "merge JOBID". NN, NN_RUN_ARGS: see
# classify-trailers.sbatch; other sbatch options through SBATCH_* variables
# (e.g. SBATCH_PARTITION).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tasks=4 only='' pipeline=pipelines/trailer-genre.pipeline
while [ $# -gt 0 ]; do
  case $1 in
    --tasks) tasks=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --pipeline) pipeline=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    --*) echo "submit-classify.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [ $# -ne 3 ]; then
  echo "usage: submit-classify.sh [--tasks N] [--only I,J] [--pipeline FILE] LIST OUTDIR REPORT" >&2
  exit 2
fi
list=$1 out=$2 report=$3
case $tasks in ''|*[!0-9]*|0) echo "submit-classify.sh: --tasks must be a positive number" >&2; exit 2 ;; esac
mkdir -p "$out"
if [ -n "$only" ]; then
  array=$only
  # an array of some tasks has a SLURM_ARRAY_TASK_COUNT of its own: say N
  export NN_SHARDS=$tasks
else
  array=0-$((tasks - 1))
fi
job=$(sbatch --parsable --array="$array" --export=ALL --output="$out/slurm-%A_%a.out" \
  "$here/classify-trailers.sbatch" "$list" "$out" "$pipeline")
job=${job%%;*}
merge=$(sbatch --parsable --dependency=afterok:"$job" --export=ALL --output="$out/slurm-merge-%j.out" \
  "$here/merge-report.sbatch" "$list" "$out" "$report")
merge=${merge%%;*}
echo "array $job"
echo "merge $merge"

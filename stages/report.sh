#!/usr/bin/env bash
# Print load progress per dataset from the manifests and markers under WORK.
#
#   report.sh status WORK DATASET=TABLE...
#   report.sh summary [--timed] WORK RUN_STAMP DATASET=TABLE...
#
# A chunk counts as loaded when WORK/loaded/NAME/CHUNK.ok exists, as failed
# when only CHUNK.failed exists, and as pending otherwise. Row counts come
# from the manifest's rows column. summary also counts the chunks whose .ok
# marker is newer than RUN_STAMP as loaded by this run, and queries the row
# count of each table through stages/db.sh psql. With --timed, which `make`
# passes right after its run, it also prints the time since RUN_STAMP.
# NOTE: "loaded by this run" also counts a chunk whose marker was missing but
# whose rows load found already in the table and skipped.
set -euo pipefail

# Print a count and a noun, with an s unless the count is 1.
plural() {
  if (($1 == 1)); then echo "$1 $2"; else echo "$1 ${2}s"; fi
}

die() {
  printf 'report: %s\n' "$1" >&2
  exit 64
}

# Set the per-dataset counters from WORK/chunks/NAME/manifest.tsv.
# Returns 1 if the dataset has no manifest yet.
scan_dataset() {
  local name=$1 stamp=${2:-}
  local manifest=$work/chunks/$name/manifest.tsv
  local markers=$work/loaded/$name
  chunks=0 loaded=0 loaded_now=0 failed=0 pending=0
  rows_total=0 rows_loaded=0 rows_now=0 failed_list="" last_error=""
  [[ -f $manifest ]] || return 1

  local chunk first_line rows sha256
  while IFS=$'\t' read -r chunk first_line rows sha256 last_line; do
    [[ $chunk == chunk ]] && continue
    local base=${chunk%.copy}
    chunks=$((chunks + 1))
    rows_total=$((rows_total + rows))
    if [[ -e $markers/$base.ok ]]; then
      loaded=$((loaded + 1))
      rows_loaded=$((rows_loaded + rows))
      if [[ -n $stamp && -e $stamp && $markers/$base.ok -nt $stamp ]]; then
        loaded_now=$((loaded_now + 1))
        rows_now=$((rows_now + rows))
      fi
    elif [[ -e $markers/$base.failed ]]; then
      failed=$((failed + 1))
      failed_list+=" $base"
      last_error=$(tail -n 1 -- "$markers/$base.failed")
    else
      pending=$((pending + 1))
    fi
  done <"$manifest"
}

# Print "N rejected" and, if any, the count per rejects file, for example
# "3 rejected (split 2, load 1)". Each rejects file starts with a header line.
describe_rejects() {
  local name=$1 total=0 parts="" file count
  for file in "$work/rejects/$name"/*.tsv; do
    [[ -f $file ]] || continue
    count=$(($(wc -l <"$file") - 1))
    ((count < 0)) && count=0
    total=$((total + count))
    parts+=", $(basename "$file" .tsv) $count"
  done
  if ((total > 0)); then
    printf '%d rejected (%s)' "$total" "${parts#, }"
  else
    printf '0 rejected'
  fi
}

describe_missing() {
  local name=$1
  if [[ -f $work/download/$name.tsv.gz ]]; then
    echo "$name: downloaded, not split yet"
  else
    echo "$name: not downloaded yet"
  fi
}

describe_failed() {
  ((failed == 0)) && return
  printf '%d failed (%s), ' "$failed" "${failed_list# }"
}

count_table_rows() {
  local table=$1 output
  if [[ ! $table =~ ^[A-Za-z0-9_]+$ ]]; then
    echo "row count unknown (the name is not a plain identifier)"
    return
  fi
  if ! output=$("$(dirname "$0")/db.sh" psql -X -q -A -t -v ON_ERROR_STOP=1 \
    -c "SELECT to_regclass('\"$table\"') IS NOT NULL" 2>&1); then
    echo "row count unknown (${output%%$'\n'*})"
  elif [[ $output != t ]]; then
    echo "not published yet"
  elif output=$("$(dirname "$0")/db.sh" psql -X -q -A -t -v ON_ERROR_STOP=1 \
    -c "SELECT count(*) FROM \"$table\"" 2>&1); then
    plural "$output" row
  else
    echo "row count unknown (${output%%$'\n'*})"
  fi
}

cmd_status() {
  local pair name
  for pair in "$@"; do
    name=${pair%%=*}
    if ! scan_dataset "$name"; then
      describe_missing "$name"
      continue
    fi
    printf '%s: %s: %d loaded, %s%d pending; %d of %s loaded; %s\n' \
      "$name" "$(plural "$chunks" chunk)" "$loaded" "$(describe_failed)" "$pending" \
      "$rows_loaded" "$(plural "$rows_total" row)" "$(describe_rejects "$name")"
    if [[ -n $last_error ]]; then
      echo "$name: last error: $last_error"
    fi
  done
}

cmd_summary() {
  local stamp=$1
  shift
  local pair name table total_now=0 started elapsed
  echo "summary:"
  for pair in "$@"; do
    name=${pair%%=*}
    table=${pair#*=}
    if ! scan_dataset "$name" "$stamp"; then
      printf '  '
      describe_missing "$name"
      continue
    fi
    total_now=$((total_now + rows_now))
    if ((loaded_now == 0 && loaded == chunks)); then
      if ((chunks == 1)); then
        echo "  nothing to load: the one chunk of $name was already loaded"
      else
        echo "  nothing to load: all $chunks chunks of $name were already loaded"
      fi
    else
      printf '  %s: %d of %s loaded by this run, %d already loaded, %s%d pending\n' \
        "$name" "$loaded_now" "$(plural "$chunks" chunk)" "$((loaded - loaded_now))" "$(describe_failed)" \
        "$pending"
    fi
    printf '  %s rows: %d in chunks, %d loaded by this run, %s; table %s: %s\n' \
      "$name" "$rows_total" "$rows_now" "$(describe_rejects "$name")" "$table" \
      "$(count_table_rows "$table")"
    if ((failed > 0 || pending > 0)); then
      echo "  $name: $(plural $((failed + pending)) chunk) not loaded; run make again to load them"
    fi
  done

  ((timed)) && [[ -e $stamp ]] || return 0
  started=$(date -r "$stamp" +%s.%N)
  elapsed=$(awk -v start="$started" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - start }')
  awk -v rows="$total_now" -v seconds="$elapsed" 'BEGIN {
    if (rows == 0) { printf "  wall time %.1f s, no rows loaded\n", seconds; exit }
    if (seconds < 0.1) seconds = 0.1
    printf "  wall time %.1f s, %d %s loaded, %.0f rows/s\n", seconds, rows,
      (rows == 1 ? "row" : "rows"), rows / seconds
  }'
}

command=${1:-}
shift || true
timed=0
if [[ ${1:-} == --timed ]]; then
  timed=1
  shift
fi
work=${1:-}
[[ -n $work ]] || die "usage: report.sh status WORK DATASET=TABLE... | summary [--timed] WORK RUN_STAMP DATASET=TABLE..."
shift
case $command in
  status) cmd_status "$@" ;;
  summary) cmd_summary "$@" ;;
  *) die "unknown command '$command'; use status or summary" ;;
esac

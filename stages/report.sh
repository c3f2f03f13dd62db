#!/usr/bin/env bash
# Print load progress per dataset from the manifests and markers under WORK.
#
#   report.sh status WORK DATASET=TABLE...
#   report.sh summary [--timed] WORK RUN_STAMP DATASET=TABLE...
#
# A chunk counts as loaded when WORK/loaded/NAME/CHUNK.ok exists, as failed
# when only CHUNK.failed exists, and as pending otherwise. Row counts come
# from the manifest's rows column. The dataset's chunks are published once
# WORK/loaded/NAME/published.ok exists; the split deletes it with the other
# markers. summary also counts the chunks whose .ok marker is newer than
# RUN_STAMP as loaded by this run, and a published.ok newer than RUN_STAMP
# as published by this run. It queries the row count of each table through
# stages/db.sh psql.
#
# The markers describe the last split of the download. When the download is
# newer than the manifest, as after a fetch from a changed SOURCE that make
# stopped before the split, both reports say so instead of counting them.
# status also asks stages/markers.sh whether the markers hold for this
# run's database and table, and deletes nothing. With --timed, which `make` passes right after its run,
# it also prints the time since RUN_STAMP.
# NOTE: "loaded by this run" also counts a chunk whose marker was missing but
# whose rows load found already in the table and skipped. In the same way,
# "published by this run" also covers a publish that committed in an earlier
# run that was killed before it wrote published.ok.
set -euo pipefail

# Print a count and a noun, with an s unless the count is 1.
plural() {
  if (($1 == 1)); then echo "$1 $2"; else echo "$1 ${2}s"; fi
}

die() {
  printf 'report: %s\n' "$1" >&2
  exit 64
}

# Set the per-dataset counters from WORK/chunks/NAME/manifest.tsv and the
# markers. failed_usage counts the failed chunks whose load exited with 64
# (usage error). publish is published_now, published, waiting (every chunk
# loaded but not published yet), failed (the last publish failed),
# rejected (load rejected the publish because of the data, status 65, which
# a rerun repeats) or unpublished. Returns 1 if the dataset has no manifest
# yet.
scan_dataset() {
  local name=$1 stamp=${2:-}
  local manifest=$work/chunks/$name/manifest.tsv
  local markers=$work/loaded/$name
  chunks=0 loaded=0 loaded_now=0 failed=0 failed_usage=0 pending=0
  rows_total=0 rows_loaded=0 rows_now=0 failed_list="" last_error=""
  publish=unpublished download_changed=0
  [[ -f $manifest ]] || return 1
  if [[ $work/download/$name.tsv.gz -nt $manifest ]]; then
    download_changed=1
  fi

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
      # The recipe in stages/load.mk writes "load exited with status N" first.
      if [[ $(head -n 1 -- "$markers/$base.failed") == "load exited with status 64" ]]; then
        failed_usage=$((failed_usage + 1))
      fi
    else
      pending=$((pending + 1))
    fi
  done <"$manifest"

  if [[ -e $markers/published.ok ]]; then
    publish=published
    if [[ -n $stamp && -e $stamp && $markers/published.ok -nt $stamp ]]; then
      publish=published_now
    fi
  elif ((loaded == chunks)); then
    publish=waiting
    # The publish recipe in stages/load.mk writes published.failed like a
    # chunk's .failed file. A publish interrupted by the user (130) is only
    # waiting.
    local status_line
    if [[ -e $markers/published.failed ]]; then
      status_line=$(head -n 1 -- "$markers/published.failed")
      if [[ $status_line != "load exited with status 130" ]]; then
        publish=failed
        last_error=$(tail -n 1 -- "$markers/published.failed")
      fi
      if [[ $status_line == "load exited with status 65" ]]; then
        publish=rejected
      fi
    fi
  fi
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

# Print the line of a dataset without a manifest. The table may still
# contain what an earlier download published. With --query the line counts
# its rows. Without it (`make status` needs no database), the line says
# that the table keeps them, when an earlier split recorded its target.
describe_missing() {
  local query=0
  if [[ $1 == --query ]]; then
    query=1
    shift
  fi
  local name=$1 table=$2 state rows
  if [[ -f $work/download/$name.tsv.gz ]]; then
    state="downloaded, not split yet"
  else
    state="not downloaded yet"
  fi
  if ((query)); then
    rows=$(count_table_rows "$table")
    [[ $rows =~ ^[0-9]+\ rows?$ ]] && rows+=", published from an earlier download"
    echo "$name: $state; table $table: $rows"
  elif [[ -f $work/loaded/$name/target ]]; then
    echo "$name: $state; table $table keeps any rows published from an earlier download"
  else
    echo "$name: $state"
  fi
}

describe_download_changed() {
  echo "$1: downloaded again after the last split, not split yet; the next make splits and loads it"
}

describe_failed() {
  ((failed == 0)) && return
  printf '%d failed (%s), ' "$failed" "${failed_list# }"
}

# Print whether the dataset's chunks are in its table: "published by this
# run", "published", "waiting for publish", "publish failed" or "not
# published".
describe_publish() {
  case $publish in
    published_now) echo "published by this run" ;;
    published) echo "published" ;;
    waiting) echo "waiting for publish" ;;
    failed | rejected) echo "publish failed" ;;
    *) echo "not published" ;;
  esac
}

# Print how the summary's "nothing to load" line ends, with $1 (it or
# them) for the chunks.
publish_suffix() {
  case $publish in
    published_now) echo "; this run published $1" ;;
    published) echo " and published" ;;
    *) echo "; not published yet" ;;
  esac
}

# Print what the user can do about the chunks that are not loaded or not
# published yet, one line each, indented by $1. A chunk whose load failed
# with a usage error (64) fails the same way on every rerun, so the advice
# for those is to correct the command first.
advise() {
  local indent=$1 name=$2
  local retryable=$((failed - failed_usage + pending))
  if ((retryable == 1)); then
    echo "${indent}$name: 1 chunk not loaded; run make again to load it"
  elif ((retryable > 1)); then
    echo "${indent}$name: $retryable chunks not loaded; run make again to load them"
  fi
  if ((failed_usage > 0)); then
    echo "${indent}$name: $(plural "$failed_usage" chunk) failed with a usage error (exit status 64)," \
      "which running make again repeats; correct the setting that the error names first"
  fi
  case $publish in
    waiting) echo "${indent}$name: every chunk is loaded, but not published yet; run make again to publish" ;;
    failed) echo "${indent}$name: every chunk is loaded, but the publish failed; run make again to publish" ;;
    rejected)
      echo "${indent}$name: not published because of the data, and running make again fails" \
        "the same way; $(describe_rejects_files "$name"), then fix the file at SOURCE and run" \
        "make refresh, or set SOURCE to a corrected file"
      ;;
  esac
}

# Print where the rows of dataset $1 that split or load rejected are listed,
# or that none were, for the advice after a rejected publish.
describe_rejects_files() {
  local name=$1 file files=""
  for file in "$work/rejects/$name/split.tsv" "$work/rejects/$name/load.tsv"; do
    [[ -f $file ]] && (($(wc -l <"$file") > 1)) && files+=" and $file"
  done
  if [[ -n $files ]]; then
    echo "see why each row was rejected in ${files# and }"
  else
    echo "no row was rejected, so the source has no rows"
  fi
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

# Set the arrays stale and unchecked, indexed by dataset name, to what
# `markers.sh reasons` prints: why the dataset's markers do not hold for
# this run, or why that cannot be checked.
read_marker_reasons() {
  local name kind text
  stale=() unchecked=()
  while IFS=$'\t' read -r name kind text; do
    case $kind in
      stale) stale[$name]=$text ;;
      unknown) unchecked[$name]=$text ;;
    esac
  done < <(PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-10} "$(dirname "$0")/markers.sh" reasons "$work" "$@")
}

cmd_status() {
  local pair name
  local -A stale unchecked
  read_marker_reasons "$@"
  for pair in "$@"; do
    name=${pair%%=*}
    if ! scan_dataset "$name"; then
      describe_missing "$name" "${pair#*=}"
      continue
    elif ((download_changed)); then
      describe_download_changed "$name"
      continue
    elif [[ -n ${stale[$name]:-} ]]; then
      echo "$name: the markers in $work/loaded/$name do not apply to this run," \
        "because ${stale[$name]}; the next make loads $name again"
      continue
    fi
    printf '%s: %s: %d loaded, %s%d pending, %s; %d of %s loaded; %s\n' \
      "$name" "$(plural "$chunks" chunk)" "$loaded" "$(describe_failed)" "$pending" \
      "$(describe_publish)" "$rows_loaded" "$(plural "$rows_total" row)" "$(describe_rejects "$name")"
    if [[ -n $last_error ]]; then
      echo "$name: last error: $last_error"
    fi
    advise "" "$name"
    if [[ -n ${unchecked[$name]:-} ]]; then
      echo "$name: cannot check whether these markers apply to the database in use: ${unchecked[$name]}"
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
      describe_missing --query "$name" "$table"
      continue
    elif ((download_changed)); then
      printf '  '
      describe_download_changed "$name"
      continue
    fi
    total_now=$((total_now + rows_now))
    if ((chunks == 0)); then
      echo "  nothing to load: split wrote no rows of $name, so it has no chunks"
    elif ((loaded_now == 0 && loaded == chunks)); then
      if ((chunks == 1)); then
        echo "  nothing to load: the one chunk of $name was already loaded$(publish_suffix it)"
      else
        echo "  nothing to load: all $chunks chunks of $name were already loaded$(publish_suffix them)"
      fi
    else
      printf '  %s: %d of %s loaded by this run, %d already loaded, %s%d pending, %s\n' \
        "$name" "$loaded_now" "$(plural "$chunks" chunk)" "$((loaded - loaded_now))" "$(describe_failed)" \
        "$pending" "$(describe_publish)"
    fi
    printf '  %s rows: %d in chunks, %d loaded by this run, %s; table %s: %s\n' \
      "$name" "$rows_total" "$rows_now" "$(describe_rejects "$name")" "$table" \
      "$(count_table_rows "$table")"
    advise "  " "$name"
    if [[ -n $last_error ]]; then
      echo "  $name: last error: $last_error"
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

#!/usr/bin/env bash
# Tie the markers in WORK/loaded/NAME to the database and table they were
# written for. stages/split.mk and the Makefile call it.
#
#   markers.sh record WORK DATASET TABLE         write WORK/loaded/DATASET/target
#   markers.sh check [--dry-run] WORK DATASET=TABLE...
#
# record stores the target of a new split: the connection string that
# `db.sh url` prints (password hidden) and the table name. check runs
# before make loads anything. It deletes every file in WORK/loaded/NAME,
# so that make splits NAME again into a fresh staging table and publishes
# it, when the markers no longer describe the database in use:
#   - the recorded target differs from this run's, or none is recorded;
#   - published.ok exists but the table does not;
#   - table.ok exists without published.ok, but neither the staging table
#     nor the table exists;
#   - table.ok exists without published.ok, and the staging table is gone
#     although the ledger still lists chunks for it, so it was dropped
#     before they were published. (Publish moves those ledger rows to the
#     table, so a staging table that is gone without them is what a publish
#     leaves when make stops before it writes published.ok, and the publish
#     step then only confirms it.)
# A reload is safe, because load --create empties the staging table and
# deletes its rows in the ledger. The record is compared without a
# connection. When the database cannot be reached for the other
# checks, check changes nothing, and the load stage reports the connection
# error if it has anything to load. With --dry-run, for make -n, it only
# prints what it would delete.
set -euo pipefail

readonly db_sh=$(dirname "$0")/db.sh

die() {
  printf 'markers: %s\n' "$1" >&2
  exit 64
}

# Print the target record of TABLE in the database in use.
describe_target() {
  local url
  url=$("$db_sh" url)
  printf 'database\t%s\ntable\t%s\n' "$url" "$1"
}

cmd_record() {
  local work=$1 name=$2 table=$3
  local file=$work/loaded/$name/target
  describe_target "$table" >"$file.part"
  mv -f -- "$file.part" "$file"
}

# Print "t" or "f" for whether each of the tables exists, separated by "|".
# Fails when psql cannot connect or the query fails.
tables_exist() {
  local table=$1 staging=${1}__staging
  "$db_sh" psql -X -q -A -t -v ON_ERROR_STOP=1 -c \
    "SELECT to_regclass('\"$table\"') IS NOT NULL, to_regclass('\"$staging\"') IS NOT NULL" \
    2>/dev/null
}

# Print "t" when stageload_ledger lists chunks for TABLE__staging, else "f".
# Fails when psql cannot connect or the query fails.
staging_chunks_listed() {
  local staging=${1}__staging
  "$db_sh" psql -X -q -A -t -v ON_ERROR_STOP=1 2>/dev/null <<SQL
SELECT to_regclass('stageload_ledger') IS NOT NULL AS has_ledger \gset
\if :has_ledger
SELECT EXISTS (SELECT FROM stageload_ledger WHERE table_name = '$staging');
\else
SELECT false;
\endif
SQL
}

# Print the value of KEY in a target record.
record_field() {
  printf '%s\n' "$1" | awk -F '\t' -v key="$2" '$1 == key { print $2 }'
}

# Print how the recorded target differs from the current one, for messages.
describe_change() {
  local recorded=$1 current=$2 key old new text=""
  for key in database table; do
    old=$(record_field "$recorded" $key)
    new=$(record_field "$current" $key)
    if [[ $old != "$new" ]]; then
      text+=" and for $key ${old:-?}, but this run uses ${new:-?}"
    fi
  done
  printf 'they were written%s\n' "${text# and}"
}

# Print the reason to delete the markers in DIR, or nothing when they still hold.
# Returns 2 when the database cannot be reached for the table checks.
reason_to_delete() {
  local dir=$1 table=$2
  local current recorded="" exists
  current=$(describe_target "$table")
  [[ -f $dir/target ]] && recorded=$(<"$dir/target")
  if [[ -z $recorded ]]; then
    echo "they do not record which database and table they were written for"
    return
  elif [[ $recorded != "$current" ]]; then
    describe_change "$recorded" "$current"
    return
  fi

  exists=$(tables_exist "$table") || return 2
  if [[ -e $dir/published.ok && ${exists%%|*} != t ]]; then
    echo "published.ok says table $table was published, but the database has no such table"
  elif [[ -e $dir/table.ok && ! -e $dir/published.ok && $exists == "f|f" ]]; then
    echo "table.ok says ${table}__staging was created, but the database has neither it nor $table"
  elif [[ -e $dir/table.ok && ! -e $dir/published.ok && ${exists#*|} == f ]]; then
    local listed
    listed=$(staging_chunks_listed "$table") || return 2
    if [[ $listed == t ]]; then
      echo "stageload_ledger lists chunks loaded into ${table}__staging, but that table is gone, so they were never published"
    fi
  fi
}

cmd_check() {
  local dry_run=0
  if [[ ${1:-} == --dry-run ]]; then
    dry_run=1
    shift
  fi
  local work=${1:-}
  [[ -n $work ]] || die "usage: markers.sh check [--dry-run] WORK DATASET=TABLE..."
  shift

  local pair name table dir reason status
  for pair in "$@"; do
    name=${pair%%=*}
    table=${pair#*=}
    dir=$work/loaded/$name
    # Only .ok files claim anything; a lone target record or .failed file does not.
    compgen -G "$dir/*.ok" >/dev/null || continue

    status=0
    reason=$(reason_to_delete "$dir" "$table") || status=$?
    # The load stage reports an unreachable database with its own error.
    ((status == 2)) && return 0
    [[ -n $reason ]] || continue
    if ((dry_run)); then
      echo "make -n: would delete the markers in $dir, because $reason"
    else
      rm -f -- "$dir"/*
      echo "make: deleted the markers in $dir, because $reason; loading $name again"
    fi
  done
}

case ${1:-} in
  record)
    shift
    (($# == 3)) || die "usage: markers.sh record WORK DATASET TABLE"
    cmd_record "$@"
    ;;
  check) shift && cmd_check "$@" ;;
  *) die "unknown command '${1:-}'; usage: markers.sh record WORK DATASET TABLE, markers.sh check [--dry-run] WORK DATASET=TABLE..." ;;
esac

#!/usr/bin/env bash
# Tie the markers in WORK/loaded/NAME to the database and table they were
# written for. stages/split.mk, stages/report.sh and the Makefile call it.
#
#   markers.sh record WORK DATASET TABLE         write WORK/loaded/DATASET/target
#   markers.sh check [--dry-run] WORK DATASET=TABLE...
#   markers.sh reasons WORK DATASET=TABLE...
#
# record stores the target of a new split as the server reports it. That
# is the system identifier and port of the cluster, the database, the
# schema where the table name resolves (the first schema in search_path
# that exists) and the table name. The connection string that `db.sh url`
# prints (password hidden) goes with it, for messages only. It cannot be
# the identity, because two spellings of one database (a socket directory
# and a link to it) are one target, and one spelling can reach two
# databases (through PGSERVICE, or a changed server behind one address).
#
# check runs before make loads anything. It connects first: when the
# database cannot be reached, it deletes nothing and fails with status 69
# and the connection error. Otherwise it deletes every file in
# WORK/loaded/NAME, so that make splits NAME again into a fresh staging
# table and publishes it, when the markers no longer describe the database
# in use:
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
# deletes its rows in the ledger. With --dry-run, for make -n, it only
# prints what it would delete.
#
# reasons deletes nothing, for `make status`: it prints "NAME<TAB>stale<TAB>REASON"
# for each dataset whose markers check would delete. When the database
# cannot be reached, it compares only the table names and prints
# "NAME<TAB>unknown<TAB>ERROR" for each other dataset with markers.
set -euo pipefail

readonly db_sh=$(dirname "$0")/db.sh

die() {
  printf 'markers: %s\n' "$1" >&2
  exit 64
}

# Set current_server to this run's target without the table, as the
# server reports it: "key<TAB>value" lines for connection, server, database
# and schema. Sets connect_error and returns 1 when psql cannot connect.
read_current_server() {
  local url output status=0 system
  url=$("$db_sh" url)
  # Without ON_ERROR_STOP, a failed query does not stop the next one, and
  # psql exits with 2 only when it cannot connect. pg_control_system() is
  # executable by every user in PostgreSQL 15, but a server may revoke it.
  output=$("$db_sh" psql -X -q -A -t -F $'\t' \
    -c "SELECT 'database', current_database()
        UNION ALL SELECT 'schema', coalesce(current_schema()::text, '')
        UNION ALL SELECT 'port', current_setting('port')" \
    -c "SELECT 'system', system_identifier FROM pg_control_system()" 2>&1) || status=$?
  if ((status != 0)) || [[ $output != database$'\t'* ]]; then
    connect_error=${output%%$'\n'*}
    connect_error=${connect_error#psql: error: }
    return 1
  fi

  system=$(record_field "$output" system)
  # Without the system identifier, the connection string takes its place.
  system=${system:-"unknown system identifier, reached through $url"}
  current_server=$(
    printf 'connection\t%s\n' "$url"
    printf 'server\t%s, port %s\n' "$system" "$(record_field "$output" port)"
    printf 'database\t%s\n' "$(record_field "$output" database)"
    printf 'schema\t%s\n' "$(record_field "$output" schema)"
  )
}

# Print the target record of TABLE; read_current_server must have run.
describe_target() {
  printf '%s\ntable\t%s\n' "$current_server" "$1"
}

cmd_record() {
  local work=$1 name=$2 table=$3
  local file=$work/loaded/$name/target
  if ! read_current_server; then
    printf 'markers: cannot record the target of %s: %s\n' "$name" "$connect_error" >&2
    exit 69
  fi
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

# Print a target record without its connection line, which is not compared.
without_connection() {
  printf '%s\n' "$1" | grep -v '^connection'$'\t' || true
}

# Print how the recorded target differs from the current one, for messages.
# A changed server is shown with the connection strings that reached it.
describe_change() {
  local recorded=$1 current=$2 key old new text=""
  for key in server database schema table; do
    old=$(record_field "$recorded" $key)
    new=$(record_field "$current" $key)
    [[ $old != "$new" ]] || continue
    if [[ $key == server ]]; then
      old+=" (reached through $(record_field "$recorded" connection))"
      new+=" (reached through $(record_field "$current" connection))"
    fi
    text+=" and for $key ${old:-none}, but this run uses ${new:-none}"
  done
  printf 'they were written%s\n' "${text# and}"
}

# Print the reason to delete the markers in DIR that the record alone
# shows, without a connection: no record, or another table.
reason_in_record() {
  local dir=$1 table=$2 recorded="" old
  [[ -f $dir/target ]] && recorded=$(<"$dir/target")
  old=$(record_field "$recorded" table)
  if [[ -z $recorded ]]; then
    echo "they do not record which database and table they were written for"
  elif [[ $old != "$table" ]]; then
    echo "they were written for table ${old:-none}, but this run uses $table"
  fi
}

# Print the reason to delete the markers in DIR, or nothing when they still
# hold; read_current_server must have run. Returns 2 when the database
# cannot be reached for the table checks.
reason_to_delete() {
  local dir=$1 table=$2
  local current recorded="" exists
  current=$(describe_target "$table")
  [[ -f $dir/target ]] && recorded=$(<"$dir/target")
  if [[ -z $recorded ]]; then
    echo "they do not record which database and table they were written for"
    return
  elif [[ -z $(record_field "$recorded" server) ]]; then
    # Records of older versions name only the connection string.
    echo "they do not record which server they were written for"
    return
  elif [[ $(without_connection "$recorded") != "$(without_connection "$current")" ]]; then
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

# Succeed when DIR has markers. Only .ok files claim anything; a lone
# target record or .failed file does not.
has_markers() {
  compgen -G "$1/*.ok" >/dev/null
}

# Succeed when any of the DATASET=TABLE pairs after WORK has markers.
any_markers() {
  local work=$1 pair
  shift
  for pair in "$@"; do
    has_markers "$work/loaded/${pair%%=*}" && return 0
  done
  return 1
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

  any_markers "$work" "$@" || return 0
  if ! read_current_server; then
    if ((dry_run)); then
      echo "make -n: cannot connect to the database $("$db_sh" url) to check the markers: $connect_error"
      return 0
    fi
    echo "make: cannot connect to the database $("$db_sh" url), so the markers stay as they are: $connect_error; check DATABASE_URL or the PG* variables" >&2
    exit 69
  fi

  local pair name table dir reason status
  for pair in "$@"; do
    name=${pair%%=*}
    table=${pair#*=}
    dir=$work/loaded/$name
    has_markers "$dir" || continue

    status=0
    reason=$(reason_to_delete "$dir" "$table") || status=$?
    # The connection was lost after read_current_server; the load stage
    # reports that with its own error.
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

cmd_reasons() {
  local work=${1:-}
  [[ -n $work ]] || die "usage: markers.sh reasons WORK DATASET=TABLE..."
  shift
  any_markers "$work" "$@" || return 0
  local reachable=1
  read_current_server || reachable=0

  local pair name table dir reason status
  for pair in "$@"; do
    name=${pair%%=*}
    table=${pair#*=}
    dir=$work/loaded/$name
    has_markers "$dir" || continue

    status=0
    if ((reachable)); then
      reason=$(reason_to_delete "$dir" "$table") || status=$?
    else
      reason=$(reason_in_record "$dir" "$table")
      [[ -n $reason ]] || status=2
    fi
    if ((status == 2)); then
      printf '%s\tunknown\t%s\n' "$name" "${connect_error:-lost the connection to the database}"
    elif [[ -n $reason ]]; then
      printf '%s\tstale\t%s\n' "$name" "$reason"
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
  reasons) shift && cmd_reasons "$@" ;;
  *) die "unknown command '${1:-}'; usage: markers.sh record WORK DATASET TABLE, markers.sh check [--dry-run] WORK DATASET=TABLE..., markers.sh reasons WORK DATASET=TABLE..." ;;
esac

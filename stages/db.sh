#!/usr/bin/env bash
# Manage the embedded PostgreSQL cluster in WORK/pg and describe the database
# in use. stages/db.mk calls it; run `make help` for the targets.
#
#   db.sh start [--quiet] WORK   create the cluster if missing, start it, create the database
#   db.sh stop WORK              stop the cluster if it runs
#   db.sh clean WORK             stop the cluster and delete it
#   db.sh url                    print the connection string, password replaced by ***
#   db.sh psql [ARG...]          run psql on the database in use
#
# start reads PGPORT, PGUSER and PGDATABASE, which db.mk exports in embedded
# mode. url and psql use DATABASE_URL when it is set, otherwise the PG*
# variables, like the load tool.
#
# Layout of WORK/pg (a directory, or a symlink to one, see locate_cluster):
#   data/            the cluster (PGDATA), owned by the server's user
#   socket/          the Unix socket directory; the server has no TCP listener
#   postgresql.log   server log
#   initdb.log       output of initdb
set -euo pipefail

readonly server_os_user=postgres
# Maximum length of a Unix socket path on Linux: sun_path is 108 bytes
# including the terminating NUL (unix(7)).
readonly max_socket_path=107

die() {
  local status=$1
  shift
  printf 'db: %s\n' "$*" >&2
  exit "$status"
}

# Set work (as the caller wrote it, for messages), work_abs and link.
set_work() {
  [[ -n ${1:-} ]] || die 64 "missing WORK argument; usage: db.sh start|stop|clean WORK"
  work=$1
  work_abs=$(realpath -m -- "$work")
  link=$work_abs/pg
}

# Run a command as the given user, from / so that a private working
# directory does not make it fail. Switching users needs root.
run_as() {
  local user=$1
  shift
  if [[ $user == "$(id -un)" ]]; then
    (cd / && "$@")
  else
    (cd / && runuser -u "$user" -- "$@")
  fi
}

# Set bindir to the directory holding initdb, pg_ctl and postgres. An existing
# cluster needs the server of its own major version.
find_server() {
  local version=${1:-} candidate
  bindir=""
  if [[ -n $version && -x /usr/lib/postgresql/$version/bin/pg_ctl ]]; then
    bindir=/usr/lib/postgresql/$version/bin
    return
  fi
  if command -v pg_config >/dev/null; then
    candidate=$(pg_config --bindir)
    if [[ -x $candidate/initdb && -x $candidate/pg_ctl ]]; then
      bindir=$candidate
    fi
  fi
  if [[ -z $bindir ]]; then
    # The newest Debian-style installation, if any.
    candidate=$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n 1 || true)
    [[ -n $candidate ]] && bindir=${candidate%/initdb}
  fi
  [[ -n $bindir ]] ||
    die 69 "PostgreSQL server not found (no initdb in 'pg_config --bindir' or /usr/lib/postgresql/*/bin); install it with: apt-get install postgresql"
  if [[ -n $version ]]; then
    local found
    found=$(server_version)
    found=${found%%.*}
    [[ $found == "$version" ]] ||
      die 69 "the cluster in $work/pg was created by PostgreSQL $version, but the server found is version $found; install postgresql-$version, or run 'make clean' to recreate the cluster (this deletes the loaded data)"
  fi
}

# Print the server's version, for example 15.18.
server_version() {
  "$bindir/postgres" --version | sed -E 's/^[^0-9]*([0-9][0-9.]*).*/\1/'
}

find_psql() {
  if command -v psql >/dev/null; then
    psql_bin=$(command -v psql)
  elif [[ -n ${bindir:-} && -x $bindir/psql ]]; then
    psql_bin=$bindir/psql
  else
    psql_bin=$(compgen -G '/usr/lib/postgresql/*/bin/psql' | sort -V | tail -n 1 || true)
    [[ -n $psql_bin ]] || die 69 "psql not found; install it with: apt-get install postgresql-client"
  fi
}

# Set owner to the user who runs the server: the owner of an existing
# cluster, otherwise the caller, or the postgres system user when the caller
# is root, because initdb and postgres reject root.
choose_owner() {
  local me
  me=$(id -un)
  if [[ -d $link/data ]]; then
    owner=$(stat -c %U -- "$link/data")
  elif ((EUID == 0)); then
    owner=$server_os_user
    if ! id -u "$owner" >/dev/null 2>&1; then
      useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$owner"
      echo "db: created system user $owner to run the embedded PostgreSQL server"
    fi
  else
    owner=$me
  fi
  if [[ $owner != "$me" ]] && ((EUID != 0)); then
    die 77 "the cluster in $work/pg belongs to user $owner; run make as $owner or as root"
  fi
}

# Set cluster to the real directory behind WORK/pg, creating it if needed.
# The cluster lives in WORK/pg unless the server's user cannot reach that
# directory (a project under a private home, for example) or the socket path
# would be too long. Then it lives in /var/tmp/stageload-HASH, named after
# WORK's absolute path, and WORK/pg is a symlink to it.
locate_cluster() {
  if [[ -L $link && ! -e $link ]]; then
    # The symlink target was deleted (a tmp cleaner, for example).
    rm -f -- "$link"
  fi
  if [[ -e $link ]]; then
    cluster=$(realpath -- "$link")
    return
  fi

  local reason="" socket_path="$work_abs/pg/socket/.s.PGSQL.$PGPORT"
  if ((${#socket_path} > max_socket_path)); then
    reason="the socket path $socket_path would be ${#socket_path} bytes, over the limit of $max_socket_path"
  elif ! run_as "$owner" test -x "$work_abs"; then
    reason="user $owner cannot reach $work_abs"
  fi

  if [[ -z $reason ]]; then
    cluster=$link
    mkdir -m 700 -- "$cluster"
    chown "$owner:" -- "$cluster"
    return
  fi

  local hash
  hash=$(printf '%s' "$work_abs" | sha256sum | cut -c 1-12)
  cluster=/var/tmp/stageload-$hash
  if [[ -e $cluster || -L $cluster ]]; then
    # /var/tmp is writable by everyone, so accept only a directory that the
    # server's user owns and no other user can enter.
    if [[ -L $cluster || ! -d $cluster ]] ||
      [[ $(stat -c '%U %a' -- "$cluster") != "$owner 700" ]]; then
      die 73 "$cluster exists but is not a private directory of user $owner; remove it and retry"
    fi
  else
    mkdir -m 700 -- "$cluster"
    chown "$owner:" -- "$cluster"
  fi
  ln -s -- "$cluster" "$link"
  echo "db: $reason, so the cluster is in $cluster and $work/pg links to it"
}

# Write a file as the cluster's owner, from standard input.
write_as_owner() {
  run_as "$owner" tee -- "$1" >/dev/null
}

init_cluster() {
  local data=$cluster/data
  if [[ -s $data/PG_VERSION ]]; then
    return
  fi
  if [[ -d $data ]] && [[ -n $(ls -A -- "$data") ]]; then
    die 73 "$work/pg/data is not empty but has no PG_VERSION, probably left by an interrupted initdb; run 'make clean' and retry"
  fi
  if ! run_as "$owner" "$bindir/initdb" --pgdata="$data" --username="$PGUSER" \
    --encoding=UTF8 --no-locale --auth=trust >"$cluster/initdb.log" 2>&1; then
    tail -n 5 -- "$cluster/initdb.log" >&2
    die 73 "initdb failed; see $work/pg/initdb.log"
  fi

  # Allow local socket connections only, without a password, because the
  # socket directory is private to the server's user and root.
  write_as_owner "$data/pg_hba.conf" <<'EOF'
# Written by stages/db.sh: Unix socket connections only, trusted.
# TYPE  DATABASE  USER  METHOD
local   all       all   trust
EOF
  printf "\ninclude 'stageload.conf'\n" | run_as "$owner" tee -a -- "$data/postgresql.conf" >/dev/null
}

# Rewrite the server settings on every start, so a changed script takes
# effect at the next restart.
#
# Bulk-load settings: with wal_level = minimal, PostgreSQL writes no WAL for
# data loaded into a table created or truncated in the same transaction, and
# it requires max_wal_senders = 0 (see wal_level in the PostgreSQL manual).
# Rare checkpoints cost disk space, because WAL grows to about max_wal_size
# between two of them.
# NOTE: load creates its table in a transaction of its own, so chunk loads
# still write WAL.
write_settings() {
  local socket_dir=$cluster/socket
  run_as "$owner" mkdir -p -m 700 -- "$socket_dir"
  # Single quotes in a path are doubled in postgresql.conf syntax.
  write_as_owner "$cluster/data/stageload.conf" <<EOF
# Written by stages/db.sh on every start; edit that script, not this file.
listen_addresses = ''
port = $PGPORT
unix_socket_directories = '${socket_dir//\'/\'\'}'

# Bulk load
wal_level = minimal
max_wal_senders = 0
max_wal_size = '8GB'
checkpoint_timeout = '30min'
shared_buffers = '256MB'
maintenance_work_mem = '256MB'

# Kept on: make writes a chunk's .ok marker after load commits, and the
# marker is only true if that commit survives a crash.
fsync = on
synchronous_commit = on
EOF
}

is_running() {
  run_as "$owner" "$bindir/pg_ctl" status --pgdata="$cluster/data" >/dev/null 2>&1
}

start_server() {
  local log=$cluster/postgresql.log
  # 9>&- closes the lock, which the server would otherwise inherit and hold
  # for as long as it runs.
  if ! run_as "$owner" "$bindir/pg_ctl" start --pgdata="$cluster/data" --log="$log" \
    --wait --timeout=120 --silent 9>&-; then
    tail -n 5 -- "$log" >&2 || true
    die 69 "PostgreSQL failed to start; see $work/pg/postgresql.log"
  fi
}

ensure_database() {
  [[ $PGDATABASE =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] ||
    die 64 "invalid database name '$PGDATABASE': use letters, digits and underscores"
  find_psql
  local -a psql_cmd=(env -u PGHOSTADDR -u PGSERVICE PGHOST="$cluster/socket"
    "$psql_bin" -X -q -A -t -v ON_ERROR_STOP=1 -d postgres)
  local exists
  exists=$("${psql_cmd[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$PGDATABASE'")
  if [[ $exists != 1 ]]; then
    "${psql_cmd[@]}" -c "CREATE DATABASE \"$PGDATABASE\""
  fi
}

cmd_start() {
  local quiet=0
  if [[ ${1:-} == --quiet ]]; then
    quiet=1
    shift
  fi
  set_work "${1:-}"
  : "${PGPORT:=5432}" "${PGUSER:=postgres}" "${PGDATABASE:=imdb}"

  (umask 022 && mkdir -p -- "$work_abs")
  # Parallel make jobs may start the cluster at the same time.
  exec 9>"$work_abs/pg.lock"
  flock 9

  choose_owner
  local version=""
  [[ -s $link/data/PG_VERSION ]] && version=$(<"$link/data/PG_VERSION")
  find_server "$version"
  locate_cluster
  init_cluster
  write_settings

  if is_running; then
    ((quiet)) || echo "db: PostgreSQL is already running in $work/pg (socket $cluster/socket)"
  else
    start_server
    echo "db: started PostgreSQL $(server_version) in $work/pg (socket $cluster/socket)"
  fi
  ensure_database
}

# Set cluster, owner and bindir for an existing cluster; return 1 if there is none.
find_existing_cluster() {
  if [[ ! -e $link ]]; then
    return 1
  fi
  cluster=$(realpath -- "$link")
  [[ -s $cluster/data/PG_VERSION ]] || return 1
  choose_owner
  find_server "$(<"$cluster/data/PG_VERSION")"
}

cmd_stop() {
  set_work "${1:-}"
  if [[ ! -d $work_abs ]] || ! find_existing_cluster; then
    echo "db: no embedded database in $work/pg"
    return
  fi
  exec 9>"$work_abs/pg.lock"
  flock 9
  if is_running; then
    run_as "$owner" "$bindir/pg_ctl" stop --pgdata="$cluster/data" --mode=fast \
      --wait --timeout=120 --silent
    echo "db: stopped PostgreSQL in $work/pg"
  else
    echo "db: PostgreSQL is not running in $work/pg"
  fi
}

cmd_clean() {
  set_work "${1:-}"
  cmd_stop "$1"
  if [[ -L $link ]]; then
    local target
    target=$(readlink -f -- "$link" || true)
    # Delete only a directory that locate_cluster could have made.
    if [[ $target =~ ^/var/tmp/stageload-[0-9a-f]{12}$ ]]; then
      rm -rf -- "$target"
    fi
    rm -f -- "$link"
  else
    rm -rf -- "$link"
  fi
  rm -f -- "$work_abs/pg.lock"
}

# Print $1 percent-encoded for a URI query value: %, space, #, & and =.
encode_query_value() {
  local value=${1//%/%25}
  value=${value// /%20}
  value=${value//\#/%23}
  value=${value//&/%26}
  printf '%s' "${value//=/%3D}"
}

# Print the connection string with any password replaced by ***. Without
# DATABASE_URL, it shows every PG* variable that chooses the server, the
# database or the session: PGHOST, PGHOSTADDR, PGPORT, PGSERVICE, PGUSER,
# PGDATABASE and PGOPTIONS, so that two different settings print two
# different strings.
cmd_url() {
  if [[ -n ${DATABASE_URL:-} ]]; then
    # URI form: postgres://user:password@host/db. Key-value form and URI
    # query parameters: password=secret or password='two words'.
    printf '%s\n' "$DATABASE_URL" | sed -E \
      -e 's#^([a-z]+://[^:/?@]*):.*@#\1:***@#' \
      -e "s#(password[[:space:]]*=[[:space:]]*)('[^']*'|[^&[:space:]]*)#\\1***#g"
    return
  fi
  local host=${PGHOST:-} port=${PGPORT:-} user=${PGUSER:-} database=${PGDATABASE:-}
  local password="" query=""
  [[ -n ${PGPASSWORD:-} ]] && password=":***"
  if [[ -z $host || $host == /* ]]; then
    # A socket directory goes in the query string.
    [[ -n $host ]] && query+="&host=$(encode_query_value "$host")"
    [[ -n $port ]] && query+="&port=$port"
    [[ -n $user ]] && query+="&user=$(encode_query_value "$user")"
    [[ -n $password ]] && query+="&password=***"
  fi
  [[ -n ${PGHOSTADDR:-} ]] && query+="&hostaddr=$(encode_query_value "$PGHOSTADDR")"
  [[ -n ${PGSERVICE:-} ]] && query+="&service=$(encode_query_value "$PGSERVICE")"
  [[ -n ${PGOPTIONS:-} ]] && query+="&options=$(encode_query_value "$PGOPTIONS")"
  query=${query:+?${query#&}}
  if [[ -z $host || $host == /* ]]; then
    printf 'postgresql:///%s%s\n' "$database" "$query"
  else
    printf 'postgresql://%s%s%s%s/%s%s\n' "$user" "$password" "${user:+@}" \
      "$host${port:+:$port}" "$database" "$query"
  fi
}

cmd_psql() {
  find_psql
  if [[ -n ${DATABASE_URL:-} ]]; then
    exec "$psql_bin" -d "$DATABASE_URL" "$@"
  fi
  exec "$psql_bin" "$@"
}

case ${1:-} in
  start) shift && cmd_start "$@" ;;
  stop) shift && cmd_stop "$@" ;;
  clean) shift && cmd_clean "$@" ;;
  url) cmd_url ;;
  psql) shift && cmd_psql "$@" ;;
  *) die 64 "unknown command '${1:-}'; usage: db.sh start [--quiet]|stop|clean WORK, db.sh url, db.sh psql [ARG...]" ;;
esac

#!/bin/bash
# Like the official mariadb image's entrypoint, for what the chart uses: an
# empty /var/lib/mysql is initialised (mariadb-install-db) with the root
# password MARIADB_ROOT_PASSWORD for root@localhost and root@'%', the
# database MARIADB_DATABASE and the user MARIADB_USER/MARIADB_PASSWORD when
# given; then the server runs in the foreground. MARIADB_AUTO_UPGRADE: the
# data was made by this same server version, so there is nothing to upgrade.
set -eo pipefail
DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock

# Arguments only (e.g. --max-connections=500): to the server.
if [ "${1:0:1}" = "-" ]; then set -- mariadbd --bind-address=0.0.0.0 --port=3306 "$@"; fi
if [ "$1" != mariadbd ] && [ "$1" != mysqld ]; then exec "$@"; fi

userarg=()
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$DATADIR" /run/mysqld
  chown mysql:mysql "$DATADIR" /run/mysqld
  userarg=(--user=mysql)
fi

sql_escape() { printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/\\\\'/g"; }

if [ ! -d "$DATADIR/mysql" ]; then
  if [ -z "${MARIADB_ROOT_PASSWORD:-}" ] && [ -z "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-}" ]; then
    echo "entrypoint: the database is uninitialized: set MARIADB_ROOT_PASSWORD (or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1)" >&2
    exit 1
  fi
  echo "entrypoint: initialising $DATADIR" >&2
  mariadb-install-db "${userarg[@]}" --datadir="$DATADIR" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve --cross-bootstrap >/dev/null
  mariadbd "${userarg[@]}" --datadir="$DATADIR" --skip-networking --socket="$SOCKET" --skip-log-error &
  pid=$!
  for _ in $(seq 1 60); do
    mariadb-admin --socket="$SOCKET" -uroot ping --silent >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { echo "entrypoint: the server did not start" >&2; exit 1; }
    sleep 0.5
  done
  pw=$(sql_escape "${MARIADB_ROOT_PASSWORD:-}")
  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    echo "DELETE FROM mysql.user WHERE user='';"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$pw';"
    echo "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$pw';"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    if [ -n "${MARIADB_DATABASE:-}" ]; then
      echo "CREATE DATABASE IF NOT EXISTS \`${MARIADB_DATABASE//\`/}\`;"
    fi
    if [ -n "${MARIADB_USER:-}" ] && [ -n "${MARIADB_PASSWORD:-}" ]; then
      u=$(sql_escape "$MARIADB_USER")
      echo "CREATE USER IF NOT EXISTS '$u'@'%' IDENTIFIED BY '$(sql_escape "$MARIADB_PASSWORD")';"
      [ -z "${MARIADB_DATABASE:-}" ] || echo "GRANT ALL ON \`${MARIADB_DATABASE//\`/}\`.* TO '$u'@'%';"
    fi
    echo "FLUSH PRIVILEGES;"
  } | mariadb --socket="$SOCKET" -uroot
  kill "$pid"
  wait "$pid" || true
  echo "entrypoint: initialised" >&2
fi

exec "$@" "${userarg[@]}"

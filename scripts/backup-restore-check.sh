#!/usr/bin/env bash
# Back up a LeadLoop database, restore the backup into a fresh database, and compare the row count
# of every table. Exits 1 when a count differs or a step fails; prints one line per table.
#
#   scripts/backup-restore-check.sh postgres postgresql://user@host:5432/leadloop [backup-dir]
#   scripts/backup-restore-check.sh sqlite instance/leadloop.db [backup-dir]
#
# PostgreSQL: `pg_dump -Fc` to <backup-dir>/<db>-<time>.dump, `pg_restore` into a new database
# (RESTORE_DB, default <db>_restore_check; dropped first and, unless KEEP_RESTORE=1, afterwards).
# SQLite: the online `.backup` command to <backup-dir>/<name>-<time>.db, counted from that file.
# Run it against a quiet database (or a replica): rows written between the dump and the counts
# show up as differences. The backup file is kept in <backup-dir> (default: a new temp dir).
set -euo pipefail
kind="${1:?usage: $0 postgres|sqlite DATABASE [backup-dir]}"
source_db="${2:?usage: $0 postgres|sqlite DATABASE [backup-dir]}"
dir="${3:-$(mktemp -d -t leadloop-backup-XXXXXX)}"
mkdir -p "$dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
status=0
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

compare() {  # $1: file of "table count" lines (source), $2: same for the copy
  printf '%-40s %12s %12s\n' table source restored
  while read -r table count; do
    copy="$(awk -v t="$table" '$1 == t {print $2}' "$2")"
    mark=""
    if [ "$count" != "$copy" ]; then mark="  DIFFERS"; status=1; fi
    printf '%-40s %12s %12s%s\n' "$table" "$count" "${copy:-missing}" "$mark"
  done < "$1"
  echo "tables: $(wc -l < "$1")"
}

case "$kind" in
  postgres|postgresql)
    url="${source_db/postgresql+psycopg:/postgresql:}"
    dbname="${url##*/}"; dbname="${dbname%%\?*}"
    server="${url%/*}"
    restore_db="${RESTORE_DB:-${dbname}_restore_check}"
    file="$dir/$dbname-$stamp.dump"
    counts() {  # every table of the public schema, exact counts
      psql "$1" -XAtq -v ON_ERROR_STOP=1 -c "SELECT format('SELECT %L, count(*) FROM %I', tablename, tablename)
        FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename" \
        | while read -r q; do psql "$1" -XAtq -F ' ' -v ON_ERROR_STOP=1 -c "$q"; done
    }
    t0=$(date +%s.%N)
    pg_dump -Fc -f "$file" "$url"
    t1=$(date +%s.%N)
    psql "$server/postgres" -Xq -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$restore_db\"" \
      -c "CREATE DATABASE \"$restore_db\""
    pg_restore --no-owner --exit-on-error -d "$server/$restore_db" "$file"
    t2=$(date +%s.%N)
    counts "$url" > "$dir/source.counts"
    counts "$server/$restore_db" > "$dir/restored.counts"
    echo "backup: $file ($(du -h "$file" | cut -f1)), pg_dump $(secs "$t0" "$t1")s," \
         "restore into $restore_db $(secs "$t1" "$t2")s"
    compare "$dir/source.counts" "$dir/restored.counts"
    if [ "${KEEP_RESTORE:-0}" != "1" ]; then
      psql "$server/postgres" -Xq -c "DROP DATABASE IF EXISTS \"$restore_db\""
    fi
    ;;
  sqlite)
    [ -f "$source_db" ] || { echo "no such file: $source_db" >&2; exit 1; }
    file="$dir/$(basename "${source_db%.db}")-$stamp.db"
    counts() {
      sqlite3 "$1" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name" \
        | while read -r t; do echo "$t $(sqlite3 "$1" "SELECT count(*) FROM \"$t\"")"; done
    }
    t0=$(date +%s.%N)
    sqlite3 "$source_db" ".backup '$file'"
    t1=$(date +%s.%N)
    check="$(sqlite3 "$file" 'PRAGMA integrity_check')"
    counts "$source_db" > "$dir/source.counts"
    counts "$file" > "$dir/restored.counts"
    echo "backup: $file ($(du -h "$file" | cut -f1)), .backup $(secs "$t0" "$t1")s," \
         "integrity_check: $check"
    [ "$check" = "ok" ] || status=1
    compare "$dir/source.counts" "$dir/restored.counts"
    ;;
  *)
    echo "usage: $0 postgres|sqlite DATABASE [backup-dir]" >&2
    exit 2
    ;;
esac
if [ "$status" -eq 0 ]; then echo "backup-restore check: OK"; else echo "backup-restore check: FAILED"; fi
exit "$status"

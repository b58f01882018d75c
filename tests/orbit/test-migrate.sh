#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Schema migration on an existing database ($1: sqlite or postgresql): a database at
# schema 4 (before releases recorded the key that signed them) holding a release is
# migrated when orbit starts, and the release keeps everything, its signer null
# (docs/orbit-api.md: "null for a release uploaded before Orbit recorded it").
. "$KOS_SOURCE/tests/orbit/lib-orbit.sh"

sql() {
	case "$BACKEND" in
	sqlite) python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for row in c.execute(sys.argv[2]):
    print("|".join(map(str, row)))
c.commit()' "${DB#sqlite:}" "$1" ;;
	postgresql) "$PG_BIN/psql" -qtA -v ON_ERROR_STOP=1 "$DB" -c "$1" ;;
	esac
}

orbit_db
echo 'alice-password' | admin create-user alice@example.com >/dev/null || fail "create-user"
admin create-org acme --owner alice@example.com >/dev/null || fail "create-org"
[ "$(sql 'SELECT version FROM schema_version')" = 5 ] || fail "a new database is at schema 5"
# the database as schema 4 made it, with a project and a release
manifest=$(printf '%064d' 1) signatures=$(printf '%064d' 2)
sql "ALTER TABLE releases DROP COLUMN signed_by" >/dev/null || fail "cannot go back to schema 4"
sql "UPDATE schema_version SET version = 4" >/dev/null || fail "cannot set schema 4"
sql "INSERT INTO projects (org_id, name, created) VALUES (1, 'weather', 100)" >/dev/null || fail "project"
sql "INSERT INTO releases (org_id, project_id, manifest, signatures, version, description, created)
     VALUES (1, 1, '$manifest', '$signatures', 7, 'from before', 200)" >/dev/null || fail "release"

orbit_start
grep -q "schema version 5" "$T/orbit.log" || fail "orbit did not migrate to schema 5: $(cat "$T/orbit.log")"
token=$(admin create-token alice@example.com) || fail "create-token"
python3 -c '
import json, sys, urllib.request
request = urllib.request.Request(sys.argv[1] + "/api/v1/orgs/1/projects/1/releases",
                                 headers={"Authorization": "Bearer " + sys.argv[2]})
with urllib.request.urlopen(request, timeout=30) as response:
    r = json.load(response)["releases"]
want = [{"id": 1, "project": 1, "manifest": "0" * 63 + "1", "signatures": "0" * 63 + "2", "version": 7,
         "description": "from before", "created": 200, "signed_by": None}]
sys.exit(0 if r == want else f"after the migration: {r}")' "$URL" "$token" || fail "the migrated release"
orbit_stop
[ "$(sql 'SELECT version FROM schema_version')" = 5 ] || fail "the database is at schema 5"
echo "ok: a schema 4 database with a release migrated to schema 5 ($BACKEND)"

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kos msg with a malformed KOS_MSG_SERVERS: every verb fails with one line that names the
# variable, the entry and what is wrong with it, instead of acting as an app with no servers.
. "$KOS_SOURCE/tests/lib.sh"

# servers ENV PATTERN: kos msg servers and lookup both refuse ENV with PATTERN.
refused() {
	fails 1 "^kos: msg servers: KOS_MSG_SERVERS is malformed: $2\$" env KOS_MSG_SERVERS="$1" "$KOS" msg servers
	[ ! -s "$T/.out" ] || fail "msg servers printed a list for \"$1\""
	fails 1 "^kos: msg lookup: KOS_MSG_SERVERS is malformed: $2\$" env KOS_MSG_SERVERS="$1" "$KOS" msg lookup echo
	fails 1 "^kos: msg publish: KOS_MSG_SERVERS is malformed: $2\$" env KOS_MSG_SERVERS="$1" "$KOS" msg publish echo
}

refused garbage 'entry 1 "garbage": expected NAME=FD'
refused core=notanumber 'entry 1 "core=notanumber": FD is not a number'
refused core=77 'entry 1 "core=77": descriptor 77 is not open'
# fd 5: a regular file, open but no socket.
: >file
fails 1 '^kos: msg servers: KOS_MSG_SERVERS is malformed: entry 1 "core=5": descriptor 5 is not a message server connection' \
	env KOS_MSG_SERVERS=core=5 "$KOS" msg servers 5<file

# Unset or empty: an app with no servers, which is no error for "servers".
ok env -u KOS_MSG_SERVERS "$KOS" msg servers
out_is ""
ok env KOS_MSG_SERVERS= "$KOS" msg servers
out_is ""
done_ok

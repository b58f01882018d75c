#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kos trace json / ctf / kostrace2json on good and bad input: the seed trace files of the
# fuzz corpus. Bad input gets one "kos: " line naming the file and the offset, exit 1, and
# no output file; outputs are written whole; usage errors exit 2.
. "$KOS_SOURCE/tests/lib.sh"
corpus="$KOS_SOURCE/fuzz/corpus/trace-file"

ok "$KOS" trace json "$corpus/small.kostrace" -o "$T/small.json"
out_is "$T/small.json: 7 events"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["traceEvents"]) == 11' "$T/small.json" ||
	fail "small.json is not the expected JSON"
checks=$((checks + 1))
# The stray E (no B) is dropped and the open B closed at its thread's last event.
grep -q '"name":"stray"' "$T/small.json" && fail "an E without its B was kept"
grep -q '{"ph":"E","pid":42,"tid":43,"ts":2.200,"cat":"work","name":"open"}' "$T/small.json" ||
	fail "the open slice was not closed"
grep -q '"name":"lost events","args":{"thread 43":5}' "$T/small.json" || fail "no lost events counter"
checks=$((checks + 3))

# Default output name: FILE without .kostrace, plus .json.
cp "$corpus/small.kostrace" "$T/t.kostrace"
ok "$KOS" trace json "$T/t.kostrace"
[ -s "$T/t.json" ] || fail "no t.json"
ok "$KOS_BUILD/src/cli/kostrace2json" "$T/t.kostrace" -o "$T/alias.json"
cmp -s "$T/alias.json" "$T/t.json" || fail "kostrace2json writes something else"
checks=$((checks + 1))

# Bad input: one line, nothing written, an existing output left as it was.
echo keep >"$T/keep.json"
fails 1 "truncated.kostrace: offset 82: truncated section" "$KOS" trace json "$corpus/truncated.kostrace" -o "$T/keep.json"
[ "$(cat "$T/keep.json")" = keep ] || fail "a failed conversion touched its output"
fails 1 "bad-version.kostrace: offset 0: trace file version 2 is not supported" \
	"$KOS" trace json "$corpus/bad-version.kostrace" -o "$T/x.json"
[ ! -e "$T/x.json" ] || fail "a failed conversion left an output"
fails 1 "no-such: No such file" "$KOS" trace json "$T/no-such" -o "$T/x.json"
fails 2 "output .* is the input" "$KOS" trace json "$T/t.kostrace" -o "$T/t.kostrace"

# CTF: a new directory, whole; an existing one refused.
ok "$KOS" trace ctf "$corpus/small.kostrace" -o "$T/ctf"
out_is "$T/ctf: 7 events"
[ -s "$T/ctf/metadata" ] && [ -s "$T/ctf/stream_0" ] || fail "ctf directory incomplete"
head -1 "$T/ctf/metadata" | grep -q '^/\* CTF 1.8 \*/$' || fail "metadata has no CTF 1.8 header"
babeltrace2 "$T/ctf" >"$T/bt.out" 2>"$T/bt.err" || fail "babeltrace2 (scripts/deps/trace.list): $(cat "$T/bt.err")"
[ "$(wc -l <"$T/bt.out")" -eq 7 ] || fail "babeltrace2 read $(wc -l <"$T/bt.out") events"
grep -q 'kos:lost: .*name = "lost events", args = "", value = 5' "$T/bt.out" || fail "no lost count: $(cat "$T/bt.out")"
checks=$((checks + 1))
fails 1 "exists; give a new directory" "$KOS" trace ctf "$corpus/small.kostrace" -o "$T/ctf"
fails 1 "truncated section" "$KOS" trace ctf "$corpus/truncated.kostrace" -o "$T/ctf2"
[ ! -e "$T/ctf2" ] || fail "a failed conversion left a directory"
ls "$T" | grep -q 'ctf2.tmp' && fail "a failed conversion left a temporary directory"

# Usage.
fails 2 "usage: kos trace ctf FILE -o DIR" "$KOS" trace ctf "$corpus/small.kostrace"
fails 2 "--mode: \"sideways\" is neither" "$KOS" trace start app --mode sideways
fails 2 "unknown command \"bogus\"" "$KOS" trace bogus
fails 2 "usage: kos trace collect" "$KOS" trace collect
# Outside a system there is no message server to reach.
fails 1 "trace list: kos_trace_admin_protocol: no connection" env -u KOS_MSG_SERVERS "$KOS" trace list
done_ok

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kos manifest build/check/show/graph/digest on good input, and every rejection the
# manifest v1 validator makes, each with its own one-line message naming file and line.
. "$KOS_SOURCE/tests/lib.sh"

D1=1111111111111111111111111111111111111111111111111111111111111111
D2=2222222222222222222222222222222222222222222222222222222222222222
H='/dts-v1/;
/ {
	compatible = "kos,manifest-v1";
	version = <1>;'
APPS='	apps {
		a { path = "/bin/a"; msg_servers = "core"; };
		b { path = "/bin/b"; msg_servers = "core"; };
	};
	msg_servers { core { }; };'

# bad NAME REGEX DTS: check and build both exit 1 with REGEX; build writes nothing.
bad() {
	printf '%s\n' "$3" >"$1.dts"
	fails 1 "$2" "$KOS" manifest check "$1.dts"
	[ "$(wc -l <"$T/.err")" -eq 1 ] || fail "$1: error is not one line"
	fails 1 "$2" "$KOS" manifest build "$1.dts" -o "$1.dtb"
	[ ! -e "$1.dtb" ] || fail "$1: build wrote output despite the error"
}

# The example system, end to end.
sed "s|@APPS@|/usr/lib/kos|g" "$KOS_SOURCE/examples/system/manifest.dts.in" >example.dts
ok "$KOS" manifest check example.dts
err_empty
[ ! -s "$T/.out" ] || fail "check printed something on success"
ok "$KOS" manifest build example.dts -o example.dtb
[ "$(head -c 4 example.dtb | od -An -tx1 | tr -d ' ')" = d00dfeed ] || fail "output is not a DTB"
ok "$KOS" manifest check example.dtb
ok "$KOS" manifest build example.dts
cmp -s example.dtb example.dtb || fail "default output differs"

# digest: SHA-256 of the DTB bytes.
ok "$KOS" manifest digest example.dtb
out_is "$(sha256sum example.dtb | cut -d' ' -f1)"
fails 1 'not a DTB' "$KOS" manifest digest example.dts

# show: text and JSON of the documented shape, apps in manifest order.
ok "$KOS" manifest show example.dtb
out_has '1\. ethernet'
out_has 'ethernet +-> tunnel, hello-phx, admin'
out_has 'core/weather: published by hello-phx; looked up by admin'
ok "$KOS" manifest show example.dts --json
cp "$T/.out" show.json
python3 - show.json <<'PY' || fail "JSON shape"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["version"] == 1 and j["description"] == "weather station 1.0"
assert j["persistent_boot"] is False and j["boot"] is None
assert [a["name"] for a in j["apps"]] == ["ethernet", "tunnel", "hello-phx", "admin"]
e = j["apps"][0]
assert e["path"] == "/usr/lib/kos/ethernet" and e["image"] is None
assert e["args"] == ["--iface", "eth0"] and e["env"] == {"MTU": "1500", "LOG_LEVEL": "info"}
assert e["msg_servers"] == ["core"] and e["restart"] == "permanent" and e["ready"] == "started"
assert j["supervision"] == {"ethernet": ["tunnel", "hello-phx", "admin"], "tunnel": ["hello-phx", "admin"]}
assert j["msg_servers"]["core"] == {"weather": {"publish": ["hello-phx"], "lookup": ["admin"]}}
assert j["key_store"]["vpn"] == {"type": "x25519", "apps": ["tunnel"], "operations": ["agree", "public-key"],
                               "origin": "generate"}
assert j["components"] == [] and j["objects"] == []
PY

# JSON objects: every referenced digest once, boot and components included.
cat >objects.dts <<DTS
$H
	persistent-boot;
	boot { kernel = "$D1"; initrd = "$D2"; cmdline = "console=ttyS0"; };
	components { base { sha256 = "$D2"; format = "squashfs"; }; };
	apps { x { image = "$D1"; }; };
};
DTS
ok "$KOS" manifest show objects.dts --json
cp "$T/.out" objects.json
python3 - objects.json "$D1" "$D2" <<'PY' || fail "JSON objects"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["objects"] == [sys.argv[2], sys.argv[3]], j["objects"]
assert j["boot"] == {"kernel": sys.argv[2], "initrd": sys.argv[3], "cmdline": "console=ttyS0", "init": ["/sbin/init"]}
assert j["components"] == [{"name": "base", "sha256": sys.argv[3], "format": "squashfs", "encryption_key": None, "verity": None, "encryption": None}]
assert j["apps"][0]["path"] is None and j["apps"][0]["image"] == sys.argv[2]
assert j["persistent_boot"] is True
PY

# graph: Graphviz accepts it, and it has the apps, protocols and supervision edges.
ok "$KOS" manifest graph example.dtb -o example.dot
grep -q '"app:admin" -> "proto:core/weather"' example.dot || fail "graph lacks the lookup edge"
grep -q '"app:hello-phx" -> "proto:core/weather"' example.dot || fail "graph lacks the publish edge"
grep -q '"app:ethernet" -> "app:tunnel"' example.dot || fail "graph lacks supervision"
ok dot -Tsvg example.dot -o example.svg
grep -q '<svg' example.svg || fail "dot rendered no SVG"

# Errors name the DTS line.
cat >line.dts <<DTS
$H
	apps {
		ethernet { path = "/bin/e"; };
		tunnel { path = "/bin/t"; };
	};
	supervision {
		ethernet = "tunell";
	};
};
DTS
fails 1 '^kos: line\.dts:10: supervision/ethernet: unknown app "tunell"$' "$KOS" manifest check line.dts
cp line.dts line-src.dts
"$KOS" manifest build line-src.dts -o line.dtb 2>/dev/null && fail "built an invalid manifest"
dtc -q -I dts -O dtb -o line.dtb line.dts
fails 1 '^kos: line\.dtb: supervision/ethernet: unknown app "tunell"$' "$KOS" manifest check line.dtb

# dtc's own errors come through as one line with file and line.
printf '/dts-v1/;\n/ {\n\tversion = <1>\n};\n' >syntax.dts
fails 1 '^kos: syntax\.dts:4: syntax error' "$KOS" manifest check syntax.dts

# Every rejection, each with its own message.
bad no-compatible 'missing property "compatible"' '/dts-v1/; / { version = <1>; };'
bad wrong-compatible 'compatible: unknown value "acme,thing": expected kos,manifest-v1' \
	'/dts-v1/; / { compatible = "acme,thing"; version = <1>; };'
bad no-version 'missing property "version"' '/dts-v1/; / { compatible = "kos,manifest-v1"; };'
bad version-width 'version: must be one 32-bit cell' \
	'/dts-v1/; / { compatible = "kos,manifest-v1"; version = /bits/ 64 <1>; };'
bad unknown-root-prop ':5: colour: unknown property' "$H
	colour = \"red\";
};"
bad unknown-node ':5: gadgets: unknown node' "$H
	gadgets { };
};"
bad unknown-app-prop 'apps/a/colour: unknown property' "$H
	apps { a { path = \"/a\"; colour = \"red\"; }; };
};"
bad bad-digest 'apps/a/image: malformed digest "ABCD": expected 64 lowercase hex digits' "$H
	apps { a { image = \"ABCD\"; }; };
};"
bad upper-digest 'malformed digest' "$H
	boot { kernel = \"$(echo $D1 | tr 1 A)\"; };
};"
bad cmdline-kos-key 'boot/cmdline: "kos." arguments are kos-boot.s to give' "$H
	boot { kernel = \"$D1\"; cmdline = \"console=ttyS0 kos.generation=9\"; };
};"
bad cmdline-quoted-kos-key 'boot/cmdline: "kos." arguments are kos-boot.s to give' "$H
	boot { kernel = \"$D1\"; cmdline = \"console=ttyS0 \\\"kos.x=a b\\\"\"; };
};"
bad cmdline-end 'boot/cmdline: "--" would hand kos-boot.s arguments to init' "$H
	boot { kernel = \"$D1\"; cmdline = \"console=ttyS0 -- single\"; };
};"
bad path-escape 'components/c/sha256: malformed digest "../../etc/passwd"' "$H
	components { c { sha256 = \"../../etc/passwd\"; format = \"ext4\"; }; };
};"
bad neither 'apps/a: app has neither "path" nor "image"' "$H
	apps { a { args = \"x\"; }; };
};"
bad both 'apps/a: app has both "path" and "image"' "$H
	apps { a { path = \"/a\"; image = \"$D1\"; }; };
};"
bad relative-path 'apps/a/path: must be an absolute path' "$H
	apps { a { path = \"bin/a\"; }; };
};"
bad restart 'apps/a/restart: unknown value "forever": expected permanent, transient or temporary' "$H
	apps { a { path = \"/a\"; restart = \"forever\"; }; };
};"
bad ready 'apps/a/ready: unknown value "soon": expected started or notify' "$H
	apps { a { path = \"/a\"; ready = \"soon\"; }; };
};"
bad env-no-eq 'apps/a/env: entry "MTU1500" has no .=.' "$H
	apps { a { path = \"/a\"; env = \"MTU1500\"; }; };
};"
bad env-reserved 'variable is reserved' "$H
	apps { a { path = \"/a\"; env = \"NOTIFY_SOCKET=/x\"; }; };
};"
bad sup-unknown-dependent 'supervision/a: unknown app "c"' "$H
$APPS
	supervision { a = \"b\", \"c\"; };
};"
bad sup-unknown-app 'supervision/zz: unknown app "zz"' "$H
$APPS
	supervision { zz = \"a\"; };
};"
bad sup-self 'supervision/a: app "a" supervises itself' "$H
$APPS
	supervision { a = \"b\", \"a\"; };
};"
bad unknown-instance 'apps/c/msg_servers: unknown message server "edge"' "$H
	apps { c { path = \"/c\"; msg_servers = \"edge\"; }; };
};"
bad dup '^kos: dup\.dts: /apps: Duplicate node name' "$H
$APPS
	apps { c { path = \"/c\"; }; };
};"
bad publish-unknown 'msg_servers/core/dir_access_control/w/publish: unknown app "x"' "$H
	apps { a { path = \"/a\"; msg_servers = \"core\"; }; };
	msg_servers { core { dir_access_control { w { publish = \"x\"; lookup = \"a\"; }; }; }; };
};"
bad lookup-unknown 'dir_access_control/w/lookup: unknown app "y"' "$H
	apps { a { path = \"/a\"; msg_servers = \"core\"; }; };
	msg_servers { core { dir_access_control { w { publish = \"a\"; lookup = \"y\"; }; }; }; };
};"
bad key-unknown-app 'key_store/vpn/apps: unknown app "tunnel"' "$H
$APPS
	key_store { vpn { type = \"ed25519\"; apps = \"tunnel\"; }; };
};"
bad key-type 'key_store/vpn/type: unknown value "rsa": expected ed25519, x25519 or aes-256' "$H
	key_store { vpn { type = \"rsa\"; }; };
};"
bad key-operation 'key_store/vpn/operations: "sign" is not an operation of an x25519 key' "$H
	key_store { vpn { type = \"x25519\"; operations = \"sign\"; }; };
};"
bad format 'components/c/format: unknown value "zip": expected squashfs, erofs or ext4' "$H
	components { c { sha256 = \"$D1\"; format = \"zip\"; }; };
};"
bad bad-name 'invalid name' "$H
	apps { a@1 { path = \"/a\"; }; };
};"
bad dot-name 'apps/\.\.\.: invalid name: .* starting with a letter or digit' "$H
	apps { ... { path = \"/a\"; }; };
};"
bad dash-name 'apps/-x: invalid name' "$H
	apps { -x { path = \"/a\"; }; };
};"

# Corrupt, truncated and oversized DTBs.
head -c 200 example.dtb >truncated.dtb
fails 1 'truncated\.dtb: not a valid device tree blob' "$KOS" manifest check truncated.dtb
cp example.dtb corrupt.dtb
printf '\377\377\377\377' | dd of=corrupt.dtb bs=1 seek=8 conv=notrunc 2>/dev/null
fails 1 'corrupt\.dtb: not a valid device tree blob' "$KOS" manifest check corrupt.dtb
head -c 1048577 /dev/zero | tr '\0' 'x' >huge.dtb
fails 1 'huge\.dtb: larger than the manifest limit' "$KOS" manifest check huge.dtb
: >empty.dtb
mkdir empty-trust
ok "$KOS" key generate empty-trust/k
for cmd in check show graph digest "sign --key empty-trust/k.key" "verify --trust empty-trust"; do
	# shellcheck disable=SC2086 # $cmd is the subcommand and its options
	fails 1 '^kos: empty\.dtb: the file is empty$' "$KOS" manifest $cmd empty.dtb
done
[ ! -e empty.dtb.sig ] || fail "sign wrote a signature of an empty file"
fails 1 '^kos: empty\.dtb: the file is empty$' "$KOS" manifest build empty.dtb -o empty-out.dtb
[ ! -e empty-out.dtb ] || fail "build of an empty file wrote output"
# Neither a DTB (no DTB magic) nor text that could be DTS source.
printf 'PK\003\004\000\000binary' >zip.dtb
for cmd in check show digest "verify --trust empty-trust"; do
	# shellcheck disable=SC2086
	fails 1 '^kos: zip\.dtb: not a DTB: it starts with 50 4b 03 04, not the DTB magic d0 0d fe ed$' \
		"$KOS" manifest $cmd zip.dtb
done
printf '\320\015' >short.dtb
fails 1 '^kos: short\.dtb: not a DTB: it starts with d0 0d, not the DTB magic d0 0d fe ed$' \
	"$KOS" manifest check short.dtb
# Text named .dtb is read as DTS source (the content decides), and the error says so.
echo 'hello' >text.dtb
fails 1 '^kos: text\.dtb:1: syntax error \(read as DTS source: no DTB magic\)$' "$KOS" manifest check text.dtb
fails 1 'missing\.dts: No such file' "$KOS" manifest check missing.dts

# dtc's errors: the line is named whatever the file is called, and only the first error
# counts however many dtc writes.
mkdir "odd dir"
odd="odd dir/my file:1.2-3, x:4:5-6:7.dts"
printf '%s\n' "$H" '	version = <1>' '};' >"$odd"
fails 1 '^kos: odd dir/my file:1\.2-3, x:4:5-6:7\.dts:6: syntax error$' "$KOS" manifest check "$odd"
{
	printf '%s\n' "$H"
	i=0
	while [ $i -lt 3000 ]; do echo "n$i { x = <&nolabel$i>; };"; i=$((i + 1)); done
	echo '};'
} >many-errors.dts
fails 1 '^kos: many-errors\.dts: /n0: Reference to non-existent node or label "nolabel0"$' \
	"$KOS" manifest check many-errors.dts

# A node written in two blocks (a second "/ { }", or "&label { }") is mapped to the block
# that holds the error.
printf '%s\n' "$H" '	a: apps { x { path = "/x"; }; };' '};' '/ { description = "second"; };' \
	'&a { y { path = "/y"; ready = "no"; }; };' >overlay.dts
fails 1 '^kos: overlay\.dts:8: apps/y/ready: unknown value "no"' "$KOS" manifest check overlay.dts
printf '%s\n' "$H" '	a: apps { x { path = "/x"; }; };' '};' '&a { x { bogus; }; };' >overlay2.dts
fails 1 '^kos: overlay2\.dts:7: apps/x/bogus: unknown property$' "$KOS" manifest check overlay2.dts
cp overlay2.dts "$odd"
fails 1 '^kos: odd dir/my file:1\.2-3, x:4:5-6:7\.dts:7: apps/x/bogus: unknown property$' \
	"$KOS" manifest check "$odd"

# Output that cannot be written is a failure; a closed stdout is not a file kos writes into.
fails 1 '^kos: cannot write output' sh -c '"$0" manifest digest example.dtb >/dev/full' "$KOS"
"$KOS" manifest build example.dts -o closed.dtb >&- || fail "build with stdout closed failed"
cmp -s closed.dtb example.dtb || fail "build with stdout closed wrote a different DTB"

# Usage.
# An output that is the input (the same name, a symlink or a hard link to it) is refused
# before anything is written, as compilers do; the input is left as it was.
cp example.dts self.dts
ln -s self.dts self-link.dts
ln self.dts self-hard.dts
for out in self.dts ./self.dts self-link.dts self-hard.dts; do
	fails 2 "^kos: manifest build: output $out is the input self\\.dts; refusing to overwrite it\$" \
		"$KOS" manifest build self.dts -o "$out"
	cmp -s self.dts example.dts || fail "build -o $out changed its input"
	fails 2 "^kos: manifest graph: output $out is the input self\\.dts" "$KOS" manifest graph self.dts -o "$out"
	cmp -s self.dts example.dts || fail "graph -o $out changed its input"
done
cp example.dtb self.dtb
ok "$KOS" key generate signer
fails 2 '^kos: manifest sign: output self\.dtb is the input self\.dtb' \
	"$KOS" manifest sign self.dtb --key signer.key -o self.dtb
cmp -s self.dtb example.dtb || fail "sign -o changed its input"
fails 2 'option "-o" given twice' "$KOS" manifest build example.dts -o a.dtb --output b.dtb
[ ! -e a.dtb ] && [ ! -e b.dtb ] || fail "build with a repeated -o wrote output"
fails 2 'option "-o" needs a value' "$KOS" manifest build example.dts -o ''
fails 2 'option "-o" needs a value' "$KOS" manifest graph example.dtb -o
fails 2 'option "--json" given twice' "$KOS" manifest show example.dtb --json --json
fails 2 'expected one manifest file' "$KOS" manifest check ''
ok "$KOS" manifest check -- example.dtb
ok "$KOS" help manifest
out_has 'verify FILE.dtb --trust DIR'
fails 2 'expected one manifest file' "$KOS" manifest check
fails 2 'option "--json" does not apply' "$KOS" manifest check example.dtb --json
fails 2 'unknown command' "$KOS" manifest frob example.dtb
ok "$KOS" manifest --help
out_has 'verify FILE.dtb --trust DIR'
done_ok

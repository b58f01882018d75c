#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kos image encrypt: the image encrypted for dm-crypt plain aes-xts-plain64, read back by a
# second implementation (Python's AES-GCM unwraps the data key with the device key, its
# AES-XTS decrypts each sector with the plain64 IV); the printed properties make a manifest
# that parses; and each refusal says why.
. "$KOS_SOURCE/tests/lib.sh"

"$KOS" seal generate disk.key >/dev/null || fail "seal generate"
"$KOS" seal generate other.key >/dev/null || fail "seal generate"
# 3 sectors and a part of one: the last is zero-padded.
head -c 13000 /dev/urandom >site.img

check_decrypts() { # ENCRYPTED PROPERTIES-FILE SECTOR-SIZE COMPONENT
	python3 - "$@" <<'PY' || fail "$1 does not decrypt as dm-crypt plain aes-xts-plain64 would"
import re, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
enc, props, sector, component = sys.argv[1], open(sys.argv[2]).read(), int(sys.argv[3]), sys.argv[4]
w = bytes.fromhex(re.search(r"encryption-wrapped-key = \[([0-9a-f ]+)\];", props).group(1).replace(" ", ""))
p = w[9]
assert w[:8] == b"kos-wrap" and w[8] == 1 and w[12:12 + p] == ("component:" + component).encode()
key = AESGCM(open("disk.key", "rb").read()).decrypt(w[12 + p:24 + p], w[24 + p:], w[:24 + p])
assert len(key) == 64
data = open(enc, "rb").read()
plain = open("site.img", "rb").read()
plain += bytes(-len(plain) % sector)
assert len(data) == len(plain), (len(data), len(plain))
out = b""
for off in range(0, len(data), sector):
    tweak = (off // 512).to_bytes(16, "little")
    d = Cipher(algorithms.AES(key), modes.XTS(tweak)).decryptor()
    out += d.update(data[off:off + sector]) + d.finalize()
assert out == plain
assert data[:4096] != plain[:4096]
PY
	checks=$((checks + 1))
}

ok "$KOS" image encrypt --key disk.key --key-name disk --component site site.img site.enc
err_empty
out_has '^encryption-key = "disk"; encryption-cipher = "aes-xts-plain64"; encryption-sector-size = <4096>; encryption-wrapped-key = \[6b 6f 73 2d 77 72 61 70 01 0e 00 40( [0-9a-f]{2}){106}\];$'
cp "$T/.out" site.props
[ "$(stat -c %s site.enc)" = 16384 ] || fail "site.enc is not 4 sectors of 4096 bytes"
check_decrypts site.enc site.props 4096 site

ok "$KOS" image encrypt --key disk.key --key-name disk --component site --sector-size 512 site.img site512.enc
cp "$T/.out" site512.props
[ "$(stat -c %s site512.enc)" = 13312 ] || fail "site512.enc is not 26 sectors of 512 bytes"
check_decrypts site512.enc site512.props 512 site

# A fresh data key each time: the same image encrypts to other bytes.
ok "$KOS" image encrypt --key disk.key --key-name disk --component site site.img again.enc
cmp -s site.enc again.enc && fail "two encryptions of one image are the same bytes"

# The properties make a manifest that parses and shows the component encrypted.
cat >m.dts <<DTS
/dts-v1/;
/ {
	compatible = "kos,manifest-v1";
	version = <1>;
	components {
		site { sha256 = "$(sha256sum site.enc | cut -c1-64)"; format = "erofs"; $(cat site.props) };
	};
};
DTS
ok "$KOS" manifest build m.dts -o m.dtb
ok "$KOS" manifest show m.dtb
out_has '^  site +erofs +[0-9a-f]{12}  key disk  aes-xts-plain64/4096$'
# Moved to another component, the wrapped key is refused when the manifest is built.
sed 's/site {/other {/' m.dts >moved.dts
fails 1 'moved.dts:6: components/other/encryption-wrapped-key: wrapped for "component:site", not "component:other"' \
	"$KOS" manifest build moved.dts -o moved.dtb

# Refusals: each one line, no output left behind.
fails 1 'other.key: exists; refusing' "$KOS" seal generate other.key
cp disk.key loose.key && chmod 644 loose.key
fails 1 'loose.key: key file is accessible by group or others' \
	"$KOS" image encrypt --key loose.key --key-name disk --component site site.img x.enc
head -c 64 /dev/urandom >long.key && chmod 400 long.key
fails 1 'long.key: an aes-256 key file holds 32 bytes' \
	"$KOS" image encrypt --key long.key --key-name disk --component site site.img x.enc
fails 1 'missing.img: No such file' "$KOS" image encrypt --key disk.key --key-name disk --component site missing.img x.enc
: >empty.img
fails 1 'empty.img: not a non-empty regular file' "$KOS" image encrypt --key disk.key --key-name disk --component site empty.img x.enc
[ ! -e x.enc ] && ! ls x.enc.tmp* >/dev/null 2>&1 || fail "a refused encryption left an output"
fails 1 'image encrypt: site.img: Input/output error' \
	env KOS_FAULT_READ_EIO=site.img "$KOS" image encrypt --key disk.key --key-name disk --component site site.img x.enc
[ ! -e x.enc ] && ! ls x.enc.tmp* >/dev/null 2>&1 || fail "a failed read left an output"
fails 1 'site.img: the output would replace the input' \
	"$KOS" image encrypt --key disk.key --key-name disk --component site site.img site.img
fails 2 '--sector-size "8192": expected 512, 1024, 2048 or 4096' \
	"$KOS" image encrypt --key disk.key --key-name disk --component site --sector-size 8192 site.img x.enc
# 2^32 + 512 is not 512 (it would be printed as the manifest's sector size, not the one used).
fails 2 '--sector-size "4294967808": expected 512, 1024, 2048 or 4096' \
	"$KOS" image encrypt --key disk.key --key-name disk --component site --sector-size 4294967808 site.img x.enc
fails 2 '--component "a/b"' "$KOS" image encrypt --key disk.key --key-name disk --component a/b site.img x.enc
fails 2 'expected --key KEYFILE --key-name NAME --component COMPONENT IN OUT' "$KOS" image encrypt site.img x.enc
fails 2 'image: unknown command "decrypt"' "$KOS" image decrypt
# The temporary file is a new one of its own: a file already at a predictable name beside
# OUT (here a hard link to another file) is neither truncated nor written.
printf 'keep me\n' >keep.txt
ln keep.txt y.enc.tmp
ok "$KOS" image encrypt --key disk.key --key-name disk --component site site.img y.enc
[ "$(cat keep.txt)" = "keep me" ] || fail "image encrypt wrote into a file beside its output"
rm -f y.enc y.enc.tmp keep.txt
# A power cut at any write, fsync or rename leaves OUT as it was (here: absent), never a
# part; at the last point, the directory's sync after the rename, OUT is whole.
head -c 3000000 /dev/urandom >big.img
rm -f "$T/points"
KOS_FAULT_LOG="$T/points" "$KOS" image encrypt --key disk.key --key-name disk --component big big.img big.enc \
	>/dev/null || fail "image encrypt with a fault log"
n=$(wc -l <"$T/points")
[ "$n" -ge 6 ] || fail "only $n crash points for a 3 MB image (create, 3 writes, fsync, rename, directory sync)"
tail -n 1 "$T/points" | grep -q ' fsync-dir ' || fail "the last crash point is not the directory's sync: $(tail -n 1 "$T/points")"
[ "$(stat -c %s big.enc)" = 3002368 ] || fail "big.enc is not 733 sectors of 4096 bytes"
rm big.enc
i=1
while [ "$i" -le "$n" ]; do
	run env KOS_FAULT_CRASH_AT=$i "$KOS" image encrypt --key disk.key --key-name disk --component big big.img big.enc
	[ "$status" -eq 86 ] || fail "crash point $i of $n: exit $status, not the crash"
	if [ "$i" -lt "$n" ]; then
		[ ! -e big.enc ] || fail "crash point $i of $n left a big.enc"
	else
		[ "$(stat -c %s big.enc)" = 3002368 ] || fail "crash at the directory's sync left a partial big.enc"
		rm big.enc
	fi
	[ ! -s "$T/.out" ] || fail "crash point $i of $n printed properties for an image not written"
	i=$((i + 1))
done
checks=$((checks + 1))
done_ok

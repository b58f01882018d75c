#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kos image encrypt and cryptsetup agree: the encrypted image opened on the host with
# `cryptsetup open --type plain` and the unwrapped data key reads back the image. Needs root
# and the kernel's device-mapper: without them the test is skipped (exit 77), never passed.
. "$KOS_SOURCE/tests/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v cryptsetup >/dev/null || ! dmsetup version >/dev/null 2>&1; then
	echo "SKIP: needs root, cryptsetup and the kernel's device-mapper"
	exit 77
fi

"$KOS" seal generate disk.key >/dev/null || fail "seal generate"
head -c 20000 /dev/urandom >site.img
for sector in 512 4096; do
	ok "$KOS" image encrypt --key disk.key --key-name disk --component site --sector-size $sector site.img site.enc
	cp "$T/.out" site.props
	# The data key, unwrapped by a second implementation (docs/sealing.md), for cryptsetup.
	python3 - <<'PY' || fail "cannot unwrap the data key"
import re
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
w = bytes.fromhex(re.search(r"\[([0-9a-f ]+)\]", open("site.props").read()).group(1).replace(" ", ""))
p = w[9]
key = AESGCM(open("disk.key", "rb").read()).decrypt(w[12 + p:24 + p], w[24 + p:], w[:24 + p])
open("data.key", "wb").write(key)
PY
	name="kos-test-$$"
	cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512 --sector-size $sector \
		--key-file data.key site.enc "$name" || fail "cryptsetup open --sector-size $sector"
	head -c 20000 "/dev/mapper/$name" >plain.img
	cryptsetup close "$name"
	cmp -s plain.img site.img || fail "cryptsetup reads other bytes (sector size $sector)"
	checks=$((checks + 1))
	rm -f data.key site.enc
done
done_ok

// SPDX-License-Identifier: Apache-2.0
/* SHA-256 against the FIPS 180-2 test vectors. */
#include <fcntl.h>
#include <unistd.h>

#include "crypto/sha256.h"
#include "test.h"

TEST(known_vectors) {
        Sha256Digest d;
        char hex[65];

        CHECK_OK(sha256_buffer("abc", 3, &d));
        sha256_to_hex(&d, hex);
        CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        CHECK_OK(sha256_buffer("", 0, &d));
        sha256_to_hex(&d, hex);
        CHECK_EQ_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(streaming_equals_one_shot) {
        _cleanup_(sha256_freep) Sha256 *ctx = sha256_new();
        Sha256Digest a, b;

        CHECK(ctx);
        CHECK_OK(sha256_update(ctx, "ab", 2));
        CHECK_OK(sha256_update(ctx, "c", 1));
        CHECK_OK(sha256_final(ctx, &a));
        CHECK_OK(sha256_buffer("abc", 3, &b));
        CHECK(sha256_equal(&a, &b));
}

TEST(fd_hash_counts_bytes) {
        char path[] = "/tmp/kos-test-sha.XXXXXX";
        int fd = mkstemp(path);
        Sha256Digest d, expect;
        uint64_t size;
        static char big[3 << 20];

        CHECK(fd >= 0);
        memset(big, 'x', sizeof(big));
        CHECK(write(fd, big, sizeof(big)) == (ssize_t)sizeof(big));
        CHECK(lseek(fd, 0, SEEK_SET) == 0);
        CHECK_OK(sha256_fd(fd, &d, &size));
        CHECK_EQ_INT(size, sizeof(big));
        CHECK_OK(sha256_buffer(big, sizeof(big), &expect));
        CHECK(sha256_equal(&d, &expect));
        close(fd);
        unlink(path);
}

TEST(hex_round_trip_and_rejects) {
        Sha256Digest d, back;
        char hex[65];

        CHECK_OK(sha256_buffer("x", 1, &d));
        sha256_to_hex(&d, hex);
        CHECK_OK(sha256_from_hex(hex, &back));
        CHECK(sha256_equal(&d, &back));
        hex[0] = 'G';
        CHECK_EQ_INT(sha256_from_hex(hex, &back), -EINVAL);
        CHECK_EQ_INT(sha256_from_hex("abc", &back), -EINVAL);
}

TEST_MAIN()

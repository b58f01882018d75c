// SPDX-License-Identifier: Apache-2.0
/* Hex encoding and digest syntax. */
#include "test.h"
#include "util/hex.h"

TEST(encode_decode_round_trip) {
        const uint8_t data[] = { 0x00, 0x01, 0xab, 0xff };
        uint8_t back[4];
        char hex[9];

        hex_encode(hex, data, sizeof(data));
        CHECK_EQ_STR(hex, "0001abff");
        CHECK_OK(hex_decode(back, sizeof(back), "0001ABff"));
        CHECK(memcmp(back, data, sizeof(data)) == 0);
}

TEST(decode_rejects_non_hex) {
        uint8_t out[2];

        CHECK_EQ_INT(hex_decode(out, 2, "00g0"), -EINVAL);
        CHECK_EQ_INT(hex_decode(out, 2, "00\0"), -EINVAL);
}

TEST(sha256_syntax) {
        char good[65], upper[65];

        memset(good, 'a', 64);
        good[64] = '\0';
        CHECK(hex_is_sha256(good));
        memcpy(upper, good, 65);
        upper[10] = 'A';
        CHECK(!hex_is_sha256(upper));
        good[63] = '\0';
        CHECK(!hex_is_sha256(good));
        CHECK(!hex_is_sha256("../../etc/passwd"));
        CHECK(!hex_is_sha256(""));
}

TEST_MAIN()

// SPDX-License-Identifier: Apache-2.0
/* Command-line numbers (util/number.h): the one rule, its bounds, and nothing written on
 * failure (invariants 1-2). */
#include <errno.h>

#include "test.h"
#include "util/number.h"

TEST(well_formed_numbers_in_range) {
        long v = 7;
        int fd = 7, ms = 7;

        CHECK_OK(number_parse("0", 0, 10, &v));
        CHECK_EQ_INT(v, 0);
        CHECK_OK(number_parse("-5", -10, 10, &v));
        CHECK_EQ_INT(v, -5);
        CHECK_OK(number_parse_fd("65535", &fd));
        CHECK_EQ_INT(fd, 65535);
        CHECK_OK(number_parse_timeout_ms("-1", &ms));
        CHECK_EQ_INT(ms, -1);
        CHECK_OK(number_parse_timeout_ms("86400000", &ms));
        CHECK_EQ_INT(ms, 86400000);
}

TEST(malformed_or_out_of_range_is_refused_and_nothing_written) {
        static const char *const malformed[] = { "", " 3", "+3", "3 ", "3x", "0x10", "-", "--1", "99999999999999999999" };
        int fd = 7, ms = 7;
        long v = 7;

        for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
                CHECK_EQ_INT(number_parse_fd(malformed[i], &fd), -EINVAL);
                CHECK_EQ_INT(number_parse_timeout_ms(malformed[i], &ms), -EINVAL);
        }
        CHECK_EQ_INT(number_parse(NULL, 0, 1, &v), -EINVAL);
        CHECK_EQ_INT(number_parse_fd("-1", &fd), -EINVAL); /* no sign where none is allowed */
        CHECK_EQ_INT(number_parse_fd("65536", &fd), -ERANGE);
        CHECK_EQ_INT(number_parse_timeout_ms("-2", &ms), -ERANGE);
        CHECK_EQ_INT(number_parse_timeout_ms("86400001", &ms), -ERANGE);
        CHECK_EQ_INT(fd, 7);
        CHECK_EQ_INT(ms, 7);
        CHECK_EQ_INT(v, 7);
}

TEST_MAIN()

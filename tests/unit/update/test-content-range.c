// SPDX-License-Identifier: Apache-2.0
/* Tests for parsing HTTP Content-Range values from the network. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "test.h"
#include "update/content-range.h"

static int parse(const char *s, UpdateContentRange *range) {
        return update_content_range_parse(s, strlen(s), range);
}

TEST(full_form) {
        UpdateContentRange r;

        CHECK_OK(parse(" bytes 100-199/1000\r\n", &r));
        CHECK_EQ_INT(r.first, 100);
        CHECK_EQ_INT(r.last, 199);
        CHECK(r.has_length);
        CHECK_EQ_INT(r.length, 1000);
}

TEST(unknown_length) {
        UpdateContentRange r;

        CHECK_OK(parse("bytes 0-0/*", &r));
        CHECK_EQ_INT(r.first, 0);
        CHECK(!r.has_length);
}

TEST(case_of_unit) {
        UpdateContentRange r;

        CHECK_OK(parse("Bytes 5-9/10", &r));
        CHECK_EQ_INT(r.first, 5);
}

TEST(largest_numbers) {
        UpdateContentRange r;

        CHECK_OK(parse("bytes 9999999999999999998-9999999999999999998/9999999999999999999", &r));
        CHECK(r.last == 9999999999999999998ULL);
}

TEST(malformed) {
        static const char *const bad[] = {
                "", "bytes", "bytes ", "bytes -5/10", "bytes 5-/10", "bytes 5-9", "bytes 5-9/",
                "bytes 9-5/10", "bytes 5-9/9", "bytes 5-9/5", "items 5-9/10", "bytes 5-9/10x",
                "bytes 5-9/*x", "bytes 0-1/99999999999999999999", "bytes 5 -9/10", "bytes +5-9/10",
                "bytes 5-9/-10",
        };
        UpdateContentRange r;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (parse(bad[i], &r) != -EBADMSG)
                        TEST_FAIL("accepted \"%s\"", bad[i]);
}

TEST(reads_no_further_than_size) {
        UpdateContentRange r;
        const char text[] = "bytes 1-2/3 trailing";

        CHECK_OK(update_content_range_parse(text, strlen("bytes 1-2/3"), &r));
        CHECK_EQ_INT(r.length, 3);
}

TEST_MAIN()

// SPDX-License-Identifier: Apache-2.0
/* App output escaping: control characters become \xNN, text and UTF-8 pass, long input is
 * cut where it fits without splitting an escape. */
#include <string.h>

#include "supervisor/output.h"
#include "test.h"

TEST(text_passes_unchanged) {
        char out[64];
        const char in[] = "tunnel up\tmtu=1500 \xc3\xa9t\xc3\xa9";

        CHECK_EQ_INT(output_escape(in, strlen(in), out, sizeof(out)), strlen(in));
        CHECK_EQ_STR(out, in);
}

TEST(controls_are_escaped) {
        char out[64];
        const char in[] = "a\033[31mred\rfake\0x\x7f\n";

        CHECK_EQ_INT(output_escape(in, sizeof(in) - 1, out, sizeof(out)), sizeof(in) - 1);
        CHECK_EQ_STR(out, "a\\x1b[31mred\\x0dfake\\x00x\\x7f\\x0a");
}

TEST(long_input_is_cut_whole) {
        char out[8];
        const char in[] = "abc\033def";
        size_t used;

        /* "abc" then the escape (4 bytes) would need 8 with the NUL: it waits for the next piece. */
        used = output_escape(in, strlen(in), out, 7);
        CHECK_EQ_INT(used, 3);
        CHECK_EQ_STR(out, "abc");
        used = output_escape(in + 3, strlen(in) - 3, out, 6);
        CHECK_EQ_INT(used, 2);
        CHECK_EQ_STR(out, "\\x1bd");
        CHECK_EQ_INT(output_escape("", 0, out, sizeof(out)), 0);
        CHECK_EQ_STR(out, "");
}

TEST(always_progresses) {
        char out[5];

        CHECK_EQ_INT(output_escape("\001\002", 2, out, sizeof(out)), 1);
        CHECK_EQ_STR(out, "\\x01");
}

TEST_MAIN()

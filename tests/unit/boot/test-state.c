// SPDX-License-Identifier: Apache-2.0
/* The boot state machine's transition table, every cell; the errors a boot outlives; when
 * unconfirmed boots pass a generation over, and how a generation file keeps their count. */
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "store/generation.h"
#include "test.h"

static int next(StoreGenerationState state, unsigned tries, BootEvent event, StoreGenerationState *out) {
        StoreGeneration g = { .number = 1, .state = state, .tries = tries };
        return boot_transition(&g, event, out);
}

TEST(table) {
        StoreGenerationState s;

        CHECK_OK(next(STORE_GENERATION_PENDING, 2, BOOT_EVENT_SELECT, &s));
        CHECK_EQ_INT(s, STORE_GENERATION_PENDING);
        CHECK_OK(next(STORE_GENERATION_PENDING, 0, BOOT_EVENT_SELECT, &s));
        CHECK_EQ_INT(s, STORE_GENERATION_BAD);
        CHECK_OK(next(STORE_GENERATION_PENDING, 0, BOOT_EVENT_CONFIRM, &s));
        CHECK_EQ_INT(s, STORE_GENERATION_GOOD);
        CHECK_OK(next(STORE_GENERATION_GOOD, 0, BOOT_EVENT_SELECT, &s));
        CHECK_EQ_INT(s, STORE_GENERATION_GOOD);
        CHECK_OK(next(STORE_GENERATION_GOOD, 0, BOOT_EVENT_CONFIRM, &s));
        CHECK_EQ_INT(s, STORE_GENERATION_GOOD);
        CHECK_EQ_INT(next(STORE_GENERATION_BAD, 3, BOOT_EVENT_SELECT, &s), -EPERM);
        CHECK_EQ_INT(next(STORE_GENERATION_BAD, 3, BOOT_EVENT_CONFIRM, &s), -EPERM);
        CHECK_EQ_INT(next((StoreGenerationState)7, 3, BOOT_EVENT_CONFIRM, &s), -EINVAL);
}

TEST(reasons_have_names) {
        for (int r = 0; r < _BOOT_REJECT_MAX; r++)
                CHECK(boot_rejection_to_string((BootRejection)r) != NULL);
        CHECK_EQ_STR(boot_rejection_to_string(BOOT_REJECT_NO_TRIES), "no tries left");
}

TEST(unrecordable_errors) {
        CHECK(boot_error_is_unrecordable(-ENOSPC));
        CHECK(boot_error_is_unrecordable(-EDQUOT));
        CHECK(boot_error_is_unrecordable(-EROFS));
        CHECK(boot_error_is_unrecordable(-EIO));
        CHECK(!boot_error_is_unrecordable(-ENOMEM));
        CHECK(!boot_error_is_unrecordable(-EINVAL));
        CHECK(!boot_error_is_unrecordable(0));
        CHECK_EQ_STR(boot_rejection_to_string(BOOT_REJECT_NOT_RECORDED), "try not recorded");
}

TEST(unconfirmed_passes_over) {
        StoreGeneration g = { .number = 1, .state = STORE_GENERATION_GOOD, .boots = 2 };

        CHECK(!boot_unconfirmed_passes_over(&g, 3));
        g.boots = 3;
        CHECK(boot_unconfirmed_passes_over(&g, 3));
        CHECK(!boot_unconfirmed_passes_over(&g, 0)); /* 0: never */
        CHECK(boot_unconfirmed_passes_over(&g, 1));
        g.state = STORE_GENERATION_PENDING; /* a pending one has its tries instead */
        CHECK(!boot_unconfirmed_passes_over(&g, 3));
        CHECK_EQ_STR(boot_rejection_to_string(BOOT_REJECT_UNCONFIRMED), "unconfirmed boots");
}

TEST(generation_file_keeps_boots) {
        static const char old[] = "manifest 0000000000000000000000000000000000000000000000000000000000000000\n"
                                  "version 1\nstate good\ntries 3\n";
        StoreGeneration g, back;
        char *text = NULL;

        /* A file written before boots were counted reads as none counted, and back the same. */
        CHECK_OK(store_generation_parse(old, sizeof(old) - 1, &g));
        CHECK_EQ_INT(g.boots, 0);
        CHECK_OK(store_generation_format(&g, &text));
        CHECK_EQ_STR(text, old);
        free(text);

        g.boots = 7;
        CHECK_OK(store_generation_format(&g, &text));
        CHECK(strstr(text, "\nboots 7\n") != NULL);
        CHECK_OK(store_generation_parse(text, strlen(text), &back));
        CHECK_EQ_INT(back.boots, 7);
        free(text);

        static const char twice[] = "manifest 0000000000000000000000000000000000000000000000000000000000000000\n"
                                    "version 1\nstate good\ntries 3\nboots 1\nboots 2\n";
        static const char huge[] = "manifest 0000000000000000000000000000000000000000000000000000000000000000\n"
                                   "version 1\nstate good\ntries 3\nboots 1000001\n";
        CHECK_EQ_INT(store_generation_parse(twice, sizeof(twice) - 1, &g), -EBADMSG);
        CHECK_EQ_INT(store_generation_parse(huge, sizeof(huge) - 1, &g), -EBADMSG);
}

TEST_MAIN()

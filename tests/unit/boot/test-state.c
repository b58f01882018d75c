// SPDX-License-Identifier: Apache-2.0
/* The boot state machine's transition table, every cell; the errors a boot outlives. */
#include "boot/boot.h"
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

TEST_MAIN()

// SPDX-License-Identifier: Apache-2.0
/* OverlayFS options: the top layer first, and separators in paths escaped. */
#include "boot/overlay.h"
#include "util/cleanup.h"
#include "test.h"

TEST(lowerdir_lists_the_top_first) {
        char *lower[] = { "/run/kos/components/base", "/run/kos/components/site", "/run/kos/components/app" };
        _cleanup_free_ char *text = NULL;

        CHECK_OK(boot_overlay_lowerdir(lower, 3, &text));
        CHECK_EQ_STR(text, "lowerdir=/run/kos/components/app:/run/kos/components/site:/run/kos/components/base");
}

TEST(one_layer_and_none) {
        char *lower[] = { "/c/base" };
        _cleanup_free_ char *text = NULL;
        char *none = NULL;

        CHECK_OK(boot_overlay_lowerdir(lower, 1, &text));
        CHECK_EQ_STR(text, "lowerdir=/c/base");
        CHECK_EQ_INT(boot_overlay_lowerdir(lower, 0, &none), -EINVAL);
        CHECK(!none);
}

TEST(separators_are_escaped) {
        char *lower[] = { "/c/a:b", "/c/x,y", "/c/back\\slash" };
        _cleanup_free_ char *text = NULL, *escaped = NULL;

        CHECK_OK(boot_overlay_lowerdir(lower, 3, &text));
        CHECK_EQ_STR(text, "lowerdir=/c/back\\\\slash:/c/x\\,y:/c/a\\:b");
        CHECK_OK(boot_overlay_escape(&escaped, ":,\\"));
        CHECK_EQ_STR(escaped, "\\:\\,\\\\");
}

TEST(options_add_upper_and_work) {
        char *lower[] = { "/c/base", "/c/site" };
        _cleanup_free_ char *text = NULL;

        CHECK_OK(boot_overlay_options(lower, 2, "/run/kos/rw/upper", "/run/kos/rw/wo,rk", &text));
        CHECK_EQ_STR(text, "lowerdir=/c/site:/c/base,upperdir=/run/kos/rw/upper,workdir=/run/kos/rw/wo\\,rk");
}

TEST_MAIN()

// SPDX-License-Identifier: Apache-2.0
/*
 * The admin client (src/trace/admin.c): a NULL handle or out-parameter is -EINVAL, as
 * kos/trace.h says, not a crash.
 */
#include <errno.h>
#include <stddef.h>

#include "kos/trace.h"
#include "test.h"

TEST(null_handle_is_einval) {
        char *text = NULL;
        int fd = -1;

        CHECK_EQ_INT(kos_trace_admin_start(NULL, "alpha", NULL, KOS_TRACE_MODE_DISCARD), -EINVAL);
        CHECK_EQ_INT(kos_trace_admin_stop(NULL, "alpha"), -EINVAL);
        CHECK_EQ_INT(kos_trace_admin_list(NULL, &text), -EINVAL);
        CHECK(text == NULL);
        CHECK_EQ_INT(kos_trace_admin_collect(NULL, NULL, &fd), -EINVAL);
        CHECK_EQ_INT(fd, -1);
        CHECK(kos_trace_admin_close(NULL) == NULL);
}

TEST(null_out_parameter_is_einval) {
        CHECK_EQ_INT(kos_trace_admin_open(0, NULL), -EINVAL);
}

TEST_MAIN()

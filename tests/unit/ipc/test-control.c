// SPDX-License-Identifier: Apache-2.0
/* A service's end of the control connection (ipc/control.h) in a real event loop, with
 * kosd's half sending: handovers reach on_app, a malformed one is dropped, kosd's hang-up
 * ends it once (invariants 1-3); no descriptor leaks. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ipc/control.h"
#include "ipc/handover.h"
#include "ipc-test.h"
#include "test.h"

typedef struct Seen {
        char app[32];
        int n_apps;
        int n_ends;
} Seen;

static void on_app(void *userdata, const char *app, int fd) {
        Seen *seen = userdata;

        snprintf(seen->app, sizeof(seen->app), "%s", app);
        seen->n_apps++;
        close(fd);
}

static void on_end(void *userdata) {
        ((Seen *)userdata)->n_ends++;
}

TEST(handovers_malformed_and_hang_up) {
        _cleanup_(event_loop_freep) EventLoop *loop = NULL;
        IpcControl *control = NULL;
        Seen seen = { { 0 }, 0, 0 };
        int kosd, service, app_fd;
        int before;

        CHECK_OK(event_loop_new(&loop));
        before = ipc_test_count_fds();
        CHECK_OK(ipc_handover_pair(&kosd, &service));
        CHECK_OK(ipc_control_new(&control, loop, service, 8, "[test] ", on_app, on_end, &seen));
        CHECK(ipc_control_is_open(control));

        CHECK_OK(ipc_handover_send(kosd, "alpha", &app_fd));
        close(app_fd);
        CHECK_OK(event_loop_dispatch(loop, 5000));
        CHECK_EQ_INT(seen.n_apps, 1);
        CHECK_EQ_STR(seen.app, "alpha");

        /* Longer than name_max: malformed, dropped; the connection serves on. */
        CHECK_OK(ipc_handover_send(kosd, "a-name-too-long", &app_fd));
        close(app_fd);
        CHECK_OK(event_loop_dispatch(loop, 5000));
        CHECK_EQ_INT(seen.n_apps, 1);
        CHECK(ipc_control_is_open(control));
        CHECK_OK(ipc_handover_send(kosd, "beta", &app_fd));
        close(app_fd);
        CHECK_OK(event_loop_dispatch(loop, 5000));
        CHECK_EQ_INT(seen.n_apps, 2);
        CHECK_EQ_STR(seen.app, "beta");

        /* kosd hangs up: on_end once, the descriptor closed. */
        close(kosd);
        CHECK_OK(event_loop_dispatch(loop, 5000));
        CHECK_EQ_INT(seen.n_ends, 1);
        CHECK(!ipc_control_is_open(control));
        control = ipc_control_free(control);
        CHECK_EQ_INT(ipc_test_count_fds(), before);
}

TEST(bad_name_max_closes_the_descriptor) {
        _cleanup_(event_loop_freep) EventLoop *loop = NULL;
        IpcControl *control = NULL;
        int kosd, service;
        int before;

        CHECK_OK(event_loop_new(&loop));
        before = ipc_test_count_fds();
        CHECK_OK(ipc_handover_pair(&kosd, &service));
        CHECK_EQ_INT(ipc_control_new(&control, loop, service, IPC_HANDOVER_NAME_MAX + 1, "", on_app, on_end, NULL),
                     -EINVAL);
        CHECK(control == NULL);
        close(kosd);
        CHECK_EQ_INT(ipc_test_count_fds(), before);
}

TEST_MAIN()

// SPDX-License-Identifier: Apache-2.0
/* kosd's control requests and ps rows: exactly the documented forms. */
#include <string.h>

#include "supervisor/control-protocol.h"
#include "test.h"
#include "util/cleanup.h"

static int parse(const char *s, ControlRequest *r) {
        return control_request_parse(s, strlen(s), r);
}

TEST(requests) {
        ControlRequest r;
        char buf[CONTROL_REQUEST_MAX];

        CHECK_OK(parse("ps", &r));
        CHECK_EQ_INT(r.verb, CONTROL_PS);
        CHECK_OK(parse("restart hello-phx", &r));
        CHECK_EQ_INT(r.verb, CONTROL_RESTART);
        CHECK_EQ_STR(r.name, "hello-phx");
        CHECK_OK(parse("stop kos-msgd:core", &r));
        CHECK_EQ_INT(r.verb, CONTROL_STOP);
        CHECK_EQ_INT(control_request_format(&r, buf, sizeof(buf)), 18);
        CHECK_EQ_STR(buf, "stop kos-msgd:core");
}

TEST(bad_requests) {
        ControlRequest r;
        const char *bad[] = { "", "p", "ps ", "psx", "start", "start ", "start  a", "start a b",
                              "restart\ta", "stop a\n", "kill a", "START a" };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                CHECK_EQ_INT(parse(bad[i], &r), -EBADMSG);
        CHECK_EQ_INT(control_request_parse("stop a\0b", 8, &r), -EBADMSG);
        char longname[300] = "stop ";
        memset(longname + 5, 'a', 200);
        CHECK_EQ_INT(parse(longname, &r), -EBADMSG);
}

TEST(ps_rows) {
        char line[] = "tunnel\trunning\t42\t3\t1500\tserving";
        char bad[] = "tunnel\trunning\tx\t3\t1500\t";
        char short_line[] = "tunnel\trunning";
        ControlPsRow row;

        CHECK_OK(control_ps_parse_line(line, &row));
        CHECK_EQ_STR(row.name, "tunnel");
        CHECK_EQ_STR(row.state, "running");
        CHECK_EQ_INT(row.pid, 42);
        CHECK_EQ_INT(row.restarts, 3);
        CHECK_EQ_INT(row.uptime_ms, 1500);
        CHECK_EQ_STR(row.status, "serving");
        CHECK_EQ_INT(control_ps_parse_line(bad, &row), -EBADMSG);
        CHECK_EQ_INT(control_ps_parse_line(short_line, &row), -EBADMSG);
}

TEST_MAIN()

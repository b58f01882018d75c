// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for the message frame parser and the server's handling of what apps send.
 *
 * Input: a sequence of records [selector u8][length u16 LE][bytes]. Each record's bytes go
 * through msg_frame_parse() under every accept mask (the client side parses frames from
 * peers too), then into msg_server_handle_frame() as if connection (selector % 3) sent them,
 * with a descriptor attached if selector bit 7 is set. A dropped connection is replaced by
 * a new one for the same app. The server's answers are drained from the app ends.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/frame.h"
#include "msg/server.h"
#include "msg/wire.h"
#include "util/log.h"

static bool f_has_app(void *u, const char *app) {
        return true;
}
static bool f_may_publish(void *u, const char *protocol, const char *app) {
        return protocol[0] != 'x' && strcmp(app, "c") != 0;
}
static bool f_may_lookup(void *u, const char *protocol, const char *app) {
        return protocol[0] != 'y';
}
static const MsgPolicy f_policy = { f_has_app, f_may_publish, f_may_lookup, NULL };
static const char *const f_apps[3] = { "a", "b", "c" };

typedef struct FuzzConn {
        MsgConnection *c;
        int app_fd;
} FuzzConn;

static void f_connect(MsgServer *s, FuzzConn *fc, const char *app) {
        int pair[2];
        fc->c = NULL;
        fc->app_fd = -1;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return;
        if (msg_server_add_connection(s, app, pair[0], &fc->c) < 0) {
                close(pair[1]);
                return;
        }
        fc->app_fd = pair[1];
}

static void f_drain(int fd) {
        static uint8_t buf[MSG_FRAME_MAX];
        for (int i = 0; i < 64 && fd >= 0; i++) {
                int got = -1;
                ssize_t n = ipc_frame_receive(fd, buf, sizeof(buf), MSG_DONTWAIT, &got);
                if (n <= 0)
                        return;
                MsgFrame f;
                (void)msg_frame_parse(buf, (size_t)n, got >= 0, MSG_ACCEPT_APP_CONTROL, &f);
                if (got >= 0)
                        close(got);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const uint32_t masks[] = { MSG_ACCEPT_SERVER, MSG_ACCEPT_APP_CONTROL, MSG_ACCEPT_PUBLISHER,
                                          MSG_ACCEPT_CLIENT, 0xffffffffU };
        MsgServer *s = NULL;
        FuzzConn conns[3];
        int reconnects = 0;

        log_set_max_level(0); /* quiet */
        if (msg_server_new(&s, "fuzz", &f_policy) < 0)
                return 0;
        for (int i = 0; i < 3; i++)
                f_connect(s, &conns[i], f_apps[i]);

        while (size >= 3) {
                uint8_t sel = data[0];
                size_t len = (size_t)data[1] | (size_t)data[2] << 8;
                data += 3;
                size -= 3;
                if (len > size)
                        len = size;
                /* Own copy, so the parser reads nothing past the record. */
                uint8_t frame[MSG_HEADER_SIZE + MSG_CONTROL_PAYLOAD_MAX + 64];
                size_t n = len < sizeof(frame) ? len : sizeof(frame);
                memcpy(frame, data, n);
                data += len;
                size -= len;

                for (size_t m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
                        MsgFrame f;
                        (void)msg_frame_parse(frame, n, sel >> 7, masks[m], &f);
                        (void)msg_frame_parse(frame, n, 0, masks[m], &f);
                }
                FuzzConn *fc = &conns[sel % 3];
                if (!fc->c)
                        continue;
                int fd = (sel & 0x80) ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
                if (msg_server_handle_frame(s, fc->c, frame, n, fd) < 0) {
                        if (fc->app_fd >= 0)
                                close(fc->app_fd);
                        if (reconnects++ < 8)
                                f_connect(s, fc, f_apps[sel % 3]);
                        else
                                fc->c = NULL, fc->app_fd = -1;
                }
                for (int i = 0; i < 3; i++)
                        f_drain(conns[i].app_fd);
        }
        for (int i = 0; i < 3; i++)
                if (conns[i].app_fd >= 0)
                        close(conns[i].app_fd);
        msg_server_free(s);
        return 0;
}

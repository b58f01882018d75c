// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for what an administering or traced app sends kos-traced: the first byte
 * picks the parser, the rest is the payload.
 *   even: trace_admin_request_parse(); an accepted request is formatted again and must
 *         come out byte for byte as it went in, then run against a server.
 *   odd:  a session HELLO: trace_server_session_open() with the payload.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/admin-protocol.h"
#include "trace/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        TraceServerConfig config = { 2, 4, 16 };
        TraceServer *s = NULL;
        TraceAdminRequest req;
        uint8_t again[4096];

        if (size < 1 || trace_server_new(&s, &config) < 0)
                return 0;
        if (data[0] % 2 == 0) {
                if (trace_admin_request_parse(data + 1, size - 1, &req) == 0) {
                        int n = trace_admin_request_format(&req, again, sizeof(again));
                        if (n < 0 || (size_t)n != size - 1 || memcmp(again, data + 1, size - 1) != 0)
                                abort();
                        switch (req.op) {
                        case TRACE_ADMIN_START:
                                (void)trace_server_start(s, req.app, req.categories, req.mode);
                                break;
                        case TRACE_ADMIN_STOP:
                                (void)trace_server_stop(s, req.app);
                                break;
                        case TRACE_ADMIN_LIST: {
                                char *text = NULL;
                                if (trace_server_list(s, 4096, &text) == 0)
                                        free(text);
                                break;
                        }
                        case TRACE_ADMIN_COLLECT: {
                                TraceFileWriter w;
                                trace_file_writer_init(&w);
                                (void)trace_server_collect(s, req.app, &w);
                                trace_file_writer_done(&w);
                                break;
                        }
                        }
                }
        } else {
                TraceSession *session;
                uint64_t shm_size;
                int fd;

                if (trace_server_session_open(s, "app", data + 1, size - 1, &session, &fd, &shm_size) == 0) {
                        close(fd);
                        (void)trace_server_start(s, "app", "", KOS_TRACE_MODE_DISCARD);
                        trace_server_drain(s);
                        trace_server_session_close(s, session);
                }
        }
        trace_server_free(s);
        return 0;
}

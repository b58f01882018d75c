// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for what kos-traced reads from a traced app's shared memory: the app may
 * write any bytes anywhere in it (layout.h invariant 3). The first byte picks the mode
 * (even: discard, odd: overwrite) and whether the rings are retired (bit 1); the rest is
 * copied over the session's memory from offset 0, as a misbehaving app would write it.
 * The server drains it, stops, and collects; what it collects must be a trace file the
 * strict reader accepts (file.h invariant 2), and the memory must still be sealed against
 * resizing.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace/file.h"
#include "trace/layout.h"
#include "trace/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One category, "c", so that category 0 is declared. */
static const char fuzz_hello_categories[] = "c\0d";

static void fuzz_collect_and_check(TraceServer *s) {
        TraceFileWriter w;
        TraceFile *file = NULL;
        char err[256];

        trace_file_writer_init(&w);
        if (trace_server_collect(s, "app", &w) == 0 && trace_file_parse(&file, w.data, w.size, err, sizeof(err)) != 0)
                abort();
        trace_file_free(file);
        trace_file_writer_done(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        TraceServerConfig config = { 2, 4, 16 };
        TraceServer *s = NULL;
        TraceSession *session;
        TraceHelloHead head = { TRACE_HELLO_MAGIC, 1, 4242, 1 };
        uint8_t hello[sizeof(head) + sizeof(fuzz_hello_categories)];
        uint64_t shm_size;
        void *shm;
        int fd;

        if (size < 1 || trace_server_new(&s, &config) < 0)
                return 0;
        memcpy(hello, &head, sizeof(head));
        memcpy(hello + sizeof(head), fuzz_hello_categories, sizeof(fuzz_hello_categories));
        if (trace_server_session_open(s, "app", hello, sizeof(hello), &session, &fd, &shm_size) < 0)
                abort();
        if (trace_server_start(s, "app", "", data[0] & 1 ? KOS_TRACE_MODE_OVERWRITE : KOS_TRACE_MODE_DISCARD) < 0)
                abort();
        shm = mmap(NULL, shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (shm == MAP_FAILED)
                abort();
        memcpy(shm, data + 1, size - 1 < shm_size ? size - 1 : shm_size);
        if (data[0] & 2)
                for (uint32_t k = 0; k < config.n_buffers; k++)
                        trace_shm_buffer(shm, config.buffer_records, k)->retired = 1;
        trace_server_drain(s);
        if (ftruncate(fd, 0) == 0 || errno != EPERM)
                abort();
        if (data[0] & 1) {
                /* Overwrite mode is read at collect, then at stop. */
                fuzz_collect_and_check(s);
                (void)trace_server_stop(s, "app");
        } else {
                (void)trace_server_stop(s, "app");
        }
        fuzz_collect_and_check(s);
        trace_server_session_close(s, session);
        fuzz_collect_and_check(s);
        munmap(shm, shm_size);
        close(fd);
        trace_server_free(s);
        return 0;
}

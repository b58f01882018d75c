// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for the trace file reader (what kos trace json/ctf and kostrace2json read):
 * trace_file_parse() on the input, and for a file it accepts, both converters, whose
 * output must be written without error (their input is exactly what the parser returns).
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "trace/convert.h"
#include "trace/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        TraceFile *file = NULL;
        char err[256], *text = NULL, dir[] = "/tmp/fuzz-trace-ctf-XXXXXX";
        size_t text_size = 0;
        FILE *f;
        int dir_fd;

        if (trace_file_parse(&file, data, size, err, sizeof(err)) < 0)
                return 0;
        f = open_memstream(&text, &text_size);
        if (!f || trace_convert_json(file, f, NULL) < 0)
                abort();
        fclose(f);
        free(text);
        if (!mkdtemp(dir))
                abort();
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0 || trace_convert_ctf(file, dir_fd, NULL) < 0)
                abort();
        (void)unlinkat(dir_fd, "metadata", 0);
        (void)unlinkat(dir_fd, "stream_0", 0);
        close(dir_fd);
        (void)rmdir(dir);
        trace_file_free(file);
        return 0;
}

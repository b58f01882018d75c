// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target: kosd's control request parser and the ps row parser of `kos ps`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/control-protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ControlRequest req;
        ControlPsRow row;
        char *line;

        if (control_request_parse(data, size, &req) == 0) {
                char buf[CONTROL_REQUEST_MAX];
                int n = control_request_format(&req, buf, sizeof(buf));
                /* What parses formats back to the same bytes. */
                if (n < 0 || (size_t)n != size || memcmp(buf, data, size) != 0)
                        __builtin_trap();
        }
        line = malloc(size + 1);
        if (!line)
                return 0;
        memcpy(line, data, size);
        line[size] = '\0';
        (void)control_ps_parse_line(line, &row);
        free(line);
        return 0;
}

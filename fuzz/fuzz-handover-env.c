// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target: the KOS_MSG_SERVERS parser of the client library, which reads whatever
 * environment a program was started with. Whatever it accepts names only valid servers,
 * each once, with a descriptor in range; whatever it refuses says why in printable text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/handover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        IpcHandoverLink links[8];
        IpcHandoverEnvError err;
        char value[512];
        size_t n = 0;
        int r;

        if (size >= sizeof(value))
                return 0;
        memcpy(value, data, size);
        value[size] = '\0';
        r = ipc_handover_env_parse(value, links, 8, &n, &err);
        if (r < 0) {
                for (const char *p = err.message; *p; p++)
                        if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
                                abort();
                return 0;
        }
        if (n > 8)
                abort();
        for (size_t i = 0; i < n; i++) {
                if (links[i].fd < 0 || links[i].name[0] == '\0')
                        abort();
                for (size_t j = 0; j < i; j++)
                        if (strcmp(links[i].name, links[j].name) == 0)
                                abort();
        }
        return 0;
}

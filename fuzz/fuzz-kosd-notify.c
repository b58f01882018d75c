// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target: kosd's NOTIFY_SOCKET message parser (any app can send anything). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "supervisor/notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        NotifyMessage m;

        notify_message_parse(data, size, &m);
        if (m.has_status && strlen(m.status) >= NOTIFY_STATUS_MAX)
                __builtin_trap();
        return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
#include "manifest/load.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ipc/handover.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log.h"

int manifest_load_handed(const char *path, int fd, Manifest **mp) {
        _cleanup_free_ char *dtb = NULL;
        ManifestError err = { 0 };
        char name[32], message[512];
        size_t size;
        int r;

        if (fd >= 0) {
                snprintf(name, sizeof(name), "manifest fd %d", fd);
                path = name;
                r = ipc_handover_read_sealed(fd, MANIFEST_MAX_SIZE, &dtb, &size);
                if (r == -EPERM)
                        return log_error_errno(r, "%s: not sealed against changes; refusing it", path);
        } else
                r = read_file_full(path, MANIFEST_MAX_SIZE, &dtb, &size);
        if (r >= 0)
                r = manifest_parse(mp, dtb, size, &err);
        if (r == -EBADMSG) {
                manifest_error_format(&err, message, sizeof(message));
                return log_error_errno(r, "%s: %s", path, message);
        }
        if (r < 0)
                return log_error_errno(r, "%s: %s", path, strerror(-r));
        return 0;
}

// SPDX-License-Identifier: Apache-2.0
/*
 * kosd --booted (see booted.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>

#include "boot/cmdline.h"
#include "supervisor/booted.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/hex.h"
#include "util/log.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

int kosd_booted_read(KosdBooted *b) {
        _cleanup_(boot_cmdline_freep) BootCmdline *cmdline = NULL;
        _cleanup_free_ char *text = NULL;
        const char *generation, *manifest;
        size_t size;
        char *end;
        unsigned long n;
        int r;

        r = read_file_full("/proc/cmdline", BOOT_CMDLINE_MAX, &text, &size);
        if (r >= 0)
                r = boot_cmdline_parse(&cmdline, text, size);
        if (r < 0)
                return log_error_errno(r, "/proc/cmdline: %s; nothing started", strerror(-r));
        generation = boot_cmdline_value(cmdline, "kos.generation");
        manifest = boot_cmdline_value(cmdline, "kos.manifest");
        if (!generation || !manifest)
                return log_error_errno(-ENOENT, "the kernel command line names no kos.generation and kos.manifest: "
                                       "this system was not booted by kos-boot; nothing started");
        errno = 0;
        n = strtoul(generation, &end, 10);
        if (errno || end == generation || *end || n == 0 || n > 0xFFFFFFFFUL)
                return log_error_errno(-EINVAL, "kos.generation: not a generation number; nothing started");
        if (!hex_is_sha256(manifest))
                return log_error_errno(-EINVAL, "kos.manifest: not a SHA-256 digest; nothing started");
        b->generation = (unsigned)n;
        memcpy(b->manifest, manifest, SHA256_HEX_LEN + 1);
        return 0;
}

int kosd_booted_setup(void) {
        struct statfs fs;

        if (getpid() != 1)
                return 0;
        if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
                return 0;
        (void)mkdir("/sys/fs/cgroup", 0755);
        if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate") < 0)
                log_warning("cannot mount cgroup2 at /sys/fs/cgroup: %m; apps are contained by process group only");
        return 0;
}

/* The socket address of NOTIFY_SOCKET (a path, or "@" for an abstract name); false if
 * there is none that fits. */
static bool kosd_notify_address(struct sockaddr_un *addr, socklen_t *lenp) {
        const char *path = getenv("NOTIFY_SOCKET");
        size_t len;

        if (!path || (path[0] != '/' && path[0] != '@'))
                return false;
        len = strlen(path);
        if (len >= sizeof(addr->sun_path))
                return false;
        *addr = (struct sockaddr_un){ .sun_family = AF_UNIX };
        memcpy(addr->sun_path, path, len);
        if (path[0] == '@')
                addr->sun_path[0] = '\0'; /* an abstract socket */
        *lenp = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
        return true;
}

int kosd_service_watchdog(unsigned *intervalp) {
        const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
        struct sockaddr_un addr;
        socklen_t len;
        unsigned long long n = 0;
        char *end = NULL;
        int fd = -1;

        if (usec) {
                errno = 0;
                n = strtoull(usec, &end, 10);
        }
        if (!usec || errno || end == usec || *end || n < 2000 || n / 2000 > UINT_MAX ||
            (pid && strtol(pid, NULL, 10) != getpid()) || !kosd_notify_address(&addr, &len))
                goto done;
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, len) < 0) {
                log_warning("cannot reach the service manager's watchdog: %m");
                close(fd);
                fd = -1;
        }
        if (fd >= 0)
                *intervalp = (unsigned)(n / 2000);
done:
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
        return fd;
}

void kosd_notify_ready(void) {
        const char *path = getenv("NOTIFY_SOCKET");
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        size_t len;

        if (!path || (path[0] != '/' && path[0] != '@'))
                return;
        len = strlen(path);
        if (len >= sizeof(addr.sun_path))
                return;
        memcpy(addr.sun_path, path, len);
        if (path[0] == '@')
                addr.sun_path[0] = '\0'; /* an abstract socket */
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || sendto(fd, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *)&addr,
                             (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
                log_warning("cannot tell the service manager kosd is ready: %m");
        /* Apps get kosd's own NOTIFY_SOCKET, never this one. */
        unsetenv("NOTIFY_SOCKET");
}

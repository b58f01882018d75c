// SPDX-License-Identifier: Apache-2.0
/*
 * PID 1 basics (see pid1.h for the invariants).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "boot/pid1.h"
#include "util/log.h"

int boot_pid1_mkdir_p(const char *path) {
        char buf[4096];
        size_t n = strlen(path);

        if (n == 0 || n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, path, n + 1);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int boot_pid1_mount(const char *source, const char *target, const char *type, unsigned long flags,
                    const char *data) {
        int r = boot_pid1_mkdir_p(target);

        if (r < 0)
                return r;
        return mount(source, target, type, flags, data) < 0 ? -errno : 0;
}

/* True if path is already a mount point (a different device than its parent). */
static bool pid1_is_mounted(const char *path) {
        struct stat st, parent;
        char up[256];

        snprintf(up, sizeof(up), "%s/..", path);
        return stat(path, &st) == 0 && stat(up, &parent) == 0 && st.st_dev != parent.st_dev;
}

static int pid1_mount_once(const char *source, const char *target, const char *type, unsigned long flags) {
        if (pid1_is_mounted(target))
                return 0;
        return boot_pid1_mount(source, target, type, flags, NULL);
}

/* stdin, stdout and stderr on /dev/console, whatever the kernel gave (or did not give). */
static int pid1_console(void) {
        int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        for (int i = 0; i < 3; i++)
                if (dup2(fd, i) < 0) {
                        int r = -errno;

                        close(fd);
                        return r;
                }
        if (fd > 2)
                close(fd);
        return 0;
}

int boot_pid1_setup(const char *program, bool run) {
        int r, ret = 0;

        /*
         * The kernel hands PID 1 every unknown "key=value" of its command line as an
         * environment variable: whoever edits the boot loader's command line would steer
         * whatever reads the environment (the store's fault hooks, OpenSSL's CPU
         * capability mask, the init this program executes). Nothing here reads it; the
         * init gets a fixed one.
         */
        if (clearenv() != 0 || setenv("PATH", BOOT_PID1_PATH, 1) < 0 || setenv("TERM", "linux", 1) < 0)
                ret = -ENOMEM;
        log_set_program(program);
        r = pid1_mount_once("devtmpfs", "/dev", "devtmpfs", MS_NOSUID);
        if (r < 0 && ret == 0)
                ret = r;
        r = pid1_console();
        if (r < 0 && ret == 0)
                ret = r;
        r = pid1_mount_once("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
        if (r < 0 && ret == 0)
                ret = r;
        r = pid1_mount_once("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC);
        if (r < 0 && ret == 0)
                ret = r;
        if (run) {
                r = pid1_mount_once("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

_Noreturn void boot_pid1_fatal(BootPid1End end, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        log_msgv(LOG_LEVEL_ERROR, fmt, ap);
        va_end(ap);
        sync();
        reboot(end == BOOT_PID1_POWER_OFF ? RB_POWER_OFF : RB_AUTOBOOT);
        log_error("cannot %s: %s; halted", end == BOOT_PID1_POWER_OFF ? "power off" : "reboot", strerror(errno));
        for (;;)
                pause();
}

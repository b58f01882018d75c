// SPDX-License-Identifier: Apache-2.0
/*
 * The steps both boot programs take (see stage.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "boot/modules.h"
#include "boot/pid1.h"
#include "boot/stage.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/log.h"

int boot_stage_cmdline(BootCmdline **cmdlinep) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r;

        r = read_file_full("/proc/cmdline", BOOT_CMDLINE_MAX, &text, &size);
        if (r < 0)
                return r;
        return boot_cmdline_parse(cmdlinep, text, size);
}

unsigned boot_stage_timeout(const BootCmdline *c) {
        const char *v = boot_cmdline_value(c, "kos.timeout");
        unsigned long seconds;
        char *end;

        if (!v)
                return BOOT_STAGE_TIMEOUT_DEFAULT;
        errno = 0;
        seconds = strtoul(v, &end, 10);
        if (errno != 0 || end == v || *end || v[0] == '-' || seconds > 3600) {
                log_warning("kos.timeout=%s: expected 0 to 3600 seconds; using %u", v, BOOT_STAGE_TIMEOUT_DEFAULT);
                return BOOT_STAGE_TIMEOUT_DEFAULT;
        }
        return (unsigned)seconds;
}

uint64_t boot_stage_modules(void) {
        uint64_t start = now_ms(), ms;
        BootModulesError err = {};
        struct utsname u;
        char dir[sizeof(u.release) + 32];
        size_t loaded = 0;
        int r;

        if (uname(&u) < 0)
                snprintf(u.release, sizeof(u.release), "unknown");
        snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
        r = boot_modules_load(dir, &loaded, &err);
        if (r < 0)
                log_warning("modules: %s", err.message[0] ? err.message : strerror(-r));
        ms = now_ms() - start;
        log_info("modules: %zu loaded in %llu ms", loaded, (unsigned long long)ms);
        return ms;
}

int boot_stage_mount_ext4(const BootBlockdevSpec *spec, uint64_t deadline_ms, const char *target,
                          unsigned long flags, char dev[64], char how[64]) {
        int r;

        r = boot_blockdev_wait(spec, deadline_ms, dev, 64, how, 64);
        if (r < 0)
                return r;
        return boot_pid1_mount(dev, target, "ext4", flags, NULL);
}

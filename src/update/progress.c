// SPDX-License-Identifier: Apache-2.0
/*
 * Upgrade progress on a terminal.
 *
 * Invariant: nothing is ever written unless the fd was a terminal at init, and a drawn
 * line is always cleared before the upgrade prints anything else.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "update/progress.h"
#include "util/clock.h"

#define PROGRESS_INTERVAL_NS 100000000ULL

void update_progress_init(UpdateProgress *p, int fd) {
        *p = (UpdateProgress){ .fd = fd, .enabled = isatty(fd) == 1 };
}

static void progress_draw(UpdateProgress *p, bool force) {
        char line[128];
        uint64_t now;
        int n;

        if (!p->enabled || p->count == 0) /* the manifest and signatures: too small to show */
                return;
        now = now_ns();
        if (!force && now - p->last_draw_ns < PROGRESS_INTERVAL_NS)
                return;
        p->last_draw_ns = now;
        n = snprintf(line, sizeof(line), "\r\033[Kkos: fetching object %zu/%zu: %" PRIu64 " KiB, %.1f MiB in all",
                     p->index, p->count, p->object_bytes / 1024, (double)p->total_bytes / (1024.0 * 1024.0));
        if (n > 0)
                (void)!write(p->fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
        p->drawn = true;
}

void update_progress_object(UpdateProgress *p, size_t index, size_t count, uint64_t already) {
        p->index = index;
        p->count = count;
        p->object_bytes = already;
        progress_draw(p, true);
}

void update_progress_bytes(UpdateProgress *p, uint64_t n) {
        p->object_bytes += n;
        p->total_bytes += n;
        progress_draw(p, false);
}

void update_progress_clear(UpdateProgress *p) {
        static const char clear[] = "\r\033[K";

        if (!p->enabled || !p->drawn)
                return;
        (void)!write(p->fd, clear, strlen(clear));
        p->drawn = false;
}

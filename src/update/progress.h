/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Upgrade progress on a terminal: one line, redrawn at most ten times a second, and only
 * when the output is a terminal (isatty), so logs and pipes never see it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct UpdateProgress {
        bool enabled;
        int fd;
        size_t index, count;  /* object index (1-based) of count being fetched */
        uint64_t object_bytes; /* bytes of the current object so far */
        uint64_t total_bytes;  /* bytes written by this upgrade so far */
        uint64_t last_draw_ns;
        bool drawn; /* a line is on screen and must be cleared */
} UpdateProgress;

/* Shows progress on fd if it is a terminal. */
void update_progress_init(UpdateProgress *p, int fd);

/* A new object starts; already counts the bytes it already had (resumed). */
void update_progress_object(UpdateProgress *p, size_t index, size_t count, uint64_t already);

/* n more bytes of the current object arrived. */
void update_progress_bytes(UpdateProgress *p, uint64_t n);

/* Clears the line, so the next message starts at the left edge. */
void update_progress_clear(UpdateProgress *p);

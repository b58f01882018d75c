/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scope-bound cleanup helpers.
 *
 * A variable declared with one of the _cleanup_*_ attributes is released when it goes out
 * of scope. Ownership leaves the scope only through steal_ptr()/steal_fd(), which leave
 * NULL/-1 behind, so the cleanup becomes a no-op.
 */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline void freep(void *p) {
        free(*(void **)p);
}

/* Closes *fdp if it is open, keeping errno as it was. */
static inline void closep(int *fdp) {
        if (*fdp >= 0) {
                int saved = errno;
                close(*fdp);
                errno = saved;
        }
}

static inline void fclosep(FILE **fp) {
        if (*fp)
                fclose(*fp);
}

static inline void *steal_ptr_impl(void **pp) {
        void *p = *pp;
        *pp = NULL;
        return p;
}
#define steal_ptr(pp) ((typeof(*(pp)))steal_ptr_impl((void **)(pp)))

static inline int steal_fd(int *fdp) {
        int fd = *fdp;
        *fdp = -1;
        return fd;
}

/* Defines name##p(type **) calling func on the pointee, for _cleanup_(name##p). */
#define DEFINE_CLEANUP_FUNC(type, func)                 \
        static inline void func##p(type **p) {          \
                if (*p)                                 \
                        func(*p);                       \
        }

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

static inline void closedirp(DIR **dp) {
        if (*dp)
                closedir(*dp);
}

// SPDX-License-Identifier: Apache-2.0
/*
 * Numbers given on a command line (see number.h for invariants 1-2).
 */
#include <errno.h>
#include <stdlib.h>

#include "util/number.h"

#include "util/log.h"

int number_parse(const char *s, long min, long max, long *valuep) {
        const char *digits = s && s[0] == '-' && min < 0 ? s + 1 : s;
        char *end;
        long v;

        /* Invariant 1: strtol() alone takes spaces, '+' and "" (as 0). */
        if (!digits || *digits < '0' || *digits > '9')
                return -EINVAL;
        errno = 0;
        v = strtol(s, &end, 10);
        if (*end || errno == ERANGE)
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *valuep = v;
        return 0;
}

int number_parse_fd(const char *s, int *fdp) {
        long v;
        int r = number_parse(s, 0, NUMBER_FD_MAX, &v);

        if (r < 0)
                return r;
        *fdp = (int)v;
        return 0;
}

int number_parse_timeout_ms(const char *s, int *msp) {
        long v;
        int r = number_parse(s, -1, NUMBER_TIMEOUT_MS_MAX, &v);

        if (r < 0)
                return r;
        *msp = (int)v;
        return 0;
}

int number_parse_fd_option(const char *option, const char *s, int *fdp) {
        int r = number_parse_fd(s, fdp);

        if (r < 0)
                log_error("--%s: not a descriptor number: \"%s\"", option, s);
        return r;
}

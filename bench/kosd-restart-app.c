// SPDX-License-Identifier: Apache-2.0
/*
 * The app every supervisor restarts in bench/kosd-restart.sh. First thing in main it reads
 * CLOCK_MONOTONIC and announces "NAME PID NANOSECONDS" on the FIFO named by $BENCH_FIFO,
 * then waits to be killed. NAME is argv[1], else $BENCH_NAME, else "app".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
        struct timespec ts;
        const char *fifo, *name;
        int fd;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        fifo = getenv("BENCH_FIFO");
        name = argc > 1 ? argv[1] : getenv("BENCH_NAME");
        if (!fifo)
                return 2;
        fd = open(fifo, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return 2;
        dprintf(fd, "%s %d %lld\n", name ? name : "app", (int)getpid(),
                (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
        close(fd);
        for (;;)
                pause();
}

// SPDX-License-Identifier: Apache-2.0
/*
 * Measures restart latency for bench/kosd-restart.sh: from SIGKILL of an app to the moment
 * the new instance runs its first line of main (its own CLOCK_MONOTONIC stamp, announced on
 * a FIFO by kosd-restart-app).
 *
 *   harness single FIFO N GAP_MS           a supervisor restarts the app; we only kill it
 *   harness floor FIFO N GAP_MS APP        we are the supervisor: waitpid + fork + exec
 *   harness chain FIFO N GAP_MS KILL NAMES...  kill KILL, wait for every NAME to restart
 *
 * Prints "median_us p90_us min_us samples".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_NAMES 16

static FILE *fifo;
static char names[MAX_NAMES][64];
static int pids[MAX_NAMES];
static size_t n_names;

static long long now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms(long ms) {
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Reads one announcement; returns the name's slot, its pid and time. */
static int announce(char *name, int *pid, long long *t) {
        char line[256];

        alarm(10);
        if (!fgets(line, sizeof(line), fifo)) {
                fprintf(stderr, "harness: no announcement (timeout)\n");
                exit(1);
        }
        alarm(0);
        if (sscanf(line, "%63s %d %lld", name, pid, t) != 3) {
                fprintf(stderr, "harness: bad announcement: %s", line);
                exit(1);
        }
        for (size_t i = 0; i < n_names; i++)
                if (strcmp(names[i], name) == 0) {
                        pids[i] = *pid;
                        return (int)i;
                }
        return -1;
}

static int cmp_ll(const void *a, const void *b) {
        long long x = *(const long long *)a, y = *(const long long *)b;
        return (x > y) - (x < y);
}

static void report(long long *samples, int n) {
        qsort(samples, (size_t)n, sizeof(long long), cmp_ll);
        printf("%.1f %.1f %.1f %d\n", samples[n / 2] / 1000.0, samples[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1] / 1000.0,
               samples[0] / 1000.0, n);
}

static pid_t spawn(const char *app) {
        pid_t pid = fork();

        if (pid == 0) {
                execl(app, app, "app", (char *)NULL);
                _exit(127);
        }
        return pid;
}

int main(int argc, char **argv) {
        long long samples[10000];
        char name[64];
        long long t;
        int pid, n, gap, fd;

        if (argc < 5)
                return 2;
        n = atoi(argv[3]);
        gap = atoi(argv[4]);
        if (n < 1 || n > 10000)
                return 2;
        signal(SIGPIPE, SIG_IGN);
        fd = open(argv[2], O_RDWR); /* never sees EOF */
        if (fd < 0 || !(fifo = fdopen(fd, "r")))
                return 2;

        if (strcmp(argv[1], "single") == 0) {
                snprintf(names[0], sizeof(names[0]), "app");
                n_names = 1;
                announce(name, &pid, &t);
                for (int i = 0; i < n; i++) {
                        long long t0;
                        sleep_ms(gap);
                        t0 = now_ns();
                        kill(pid, SIGKILL);
                        announce(name, &pid, &t);
                        samples[i] = t - t0;
                }
        } else if (strcmp(argv[1], "floor") == 0 && argc > 5) {
                n_names = 1;
                snprintf(names[0], sizeof(names[0]), "app");
                pid = spawn(argv[5]);
                announce(name, &pid, &t);
                for (int i = 0; i < n; i++) {
                        long long t0;
                        sleep_ms(gap);
                        t0 = now_ns();
                        kill(pid, SIGKILL);
                        waitpid(pid, NULL, 0);
                        spawn(argv[5]);
                        announce(name, &pid, &t);
                        samples[i] = t - t0;
                }
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
        } else if (strcmp(argv[1], "chain") == 0 && argc > 6) {
                int victim = -1;
                for (int i = 6; i < argc && n_names < MAX_NAMES; i++) {
                        snprintf(names[n_names], sizeof(names[0]), "%s", argv[i]);
                        if (strcmp(argv[i], argv[5]) == 0)
                                victim = (int)n_names;
                        n_names++;
                }
                if (victim < 0)
                        return 2;
                for (size_t seen = 0; seen < n_names;)
                        if (announce(name, &pid, &t) >= 0)
                                seen++;
                for (int i = 0; i < n; i++) {
                        long long t0, last = 0;
                        int fresh[MAX_NAMES] = { 0 };
                        size_t got = 0;
                        sleep_ms(gap);
                        t0 = now_ns();
                        kill(pids[victim], SIGKILL);
                        while (got < n_names) {
                                int k = announce(name, &pid, &t);
                                if (k >= 0 && !fresh[k]) {
                                        fresh[k] = 1;
                                        got++;
                                        if (t > last)
                                                last = t;
                                }
                        }
                        samples[i] = last - t0;
                }
        } else {
                return 2;
        }
        report(samples, n);
        return 0;
}

// SPDX-License-Identifier: Apache-2.0
/*
 * A small app for kosd's integration tests. It records what happens to it, one line per
 * event appended with a single write(2) to the file named by --record:
 *
 *   start NAME PID          at start
 *   env NAME A=1|B=2        its whole environment, in order, '|'-separated
 *   fds NAME 0,1,2,3        its open file descriptors
 *   msg NAME INSTANCE TEXT  what it read from a message-server connection (--msg-check)
 *   ready NAME              when it sent READY=1 (--notify-after)
 *   stop NAME               on SIGTERM (then it exits 0, unless --ignore-term)
 *
 * Options: --record FILE, --name NAME, --notify-after MS, --exit-after MS CODE,
 * --ignore-term, --msg-check, --notify-socket PATH (send READY=1 there, not to
 * $NOTIFY_SOCKET: an impostor).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int record_fd = -1;
static const char *name = "app";
static const char *notify_socket;

static void record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void record(const char *fmt, ...) {
        char line[8192];
        va_list ap;
        int n;

        if (record_fd < 0)
                return;
        va_start(ap, fmt);
        n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if ((size_t)n > sizeof(line) - 2)
                n = (int)sizeof(line) - 2;
        line[n++] = '\n';
        (void)!write(record_fd, line, (size_t)n);
}

static void record_env(void) {
        char buf[4096] = "";
        size_t len = 0;

        for (char **e = environ; *e; e++)
                len += (size_t)snprintf(buf + len, len < sizeof(buf) ? sizeof(buf) - len : 0, "%s%s",
                                        e == environ ? "" : "|", *e);
        record("env %s %s", name, buf);
}

static void record_fds(void) {
        char buf[1024] = "";
        size_t len = 0;
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        int fds[256], n = 0;

        if (!d)
                return;
        while ((de = readdir(d)) && n < 256) {
                int fd = atoi(de->d_name);
                if (de->d_name[0] == '.' || fd == dirfd(d) || fd == record_fd)
                        continue;
                fds[n++] = fd;
        }
        closedir(d);
        for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++)
                        if (fds[j] < fds[i]) {
                                int t = fds[i];
                                fds[i] = fds[j];
                                fds[j] = t;
                        }
        for (int i = 0; i < n; i++)
                len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%d", i ? "," : "", fds[i]);
        record("fds %s %s", name, buf);
}

/* Reads one message from each connection KOS_MSG_SERVERS names and records it. */
static void msg_check(void) {
        const char *spec = getenv("KOS_MSG_SERVERS");
        char copy[512];

        if (!spec) {
                record("msg %s none -", name);
                return;
        }
        snprintf(copy, sizeof(copy), "%s", spec);
        for (char *item = strtok(copy, ","); item; item = strtok(NULL, ",")) {
                char *eq = strchr(item, '=');
                char text[256];
                ssize_t n;
                int fd, type = 0;
                socklen_t tl = sizeof(type);

                if (!eq)
                        continue;
                *eq = '\0';
                fd = atoi(eq + 1);
                if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_SEQPACKET) {
                        record("msg %s %s not-a-seqpacket-socket", name, item);
                        continue;
                }
                n = recv(fd, text, sizeof(text) - 1, 0);
                text[n > 0 ? n : 0] = '\0';
                record("msg %s %s %s", name, item, n > 0 ? text : "-");
        }
}

static void notify_ready(void) {
        const char *path = notify_socket ? notify_socket : getenv("NOTIFY_SOCKET");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (!path)
                return;
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        record("ready %s", name);
        (void)sendto(fd, "STATUS=serving\nREADY=1", 22, 0, (struct sockaddr *)&sa, sizeof(sa));
        close(fd);
}

int main(int argc, char **argv) {
        long notify_after = -1, exit_after = -1;
        int exit_code = 0, ignore_term = 0, check_msg = 0;
        struct timespec start, now;
        sigset_t mask;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--record") == 0 && i + 1 < argc)
                        record_fd = open(argv[++i], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
                else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
                        name = argv[++i];
                else if (strcmp(argv[i], "--notify-after") == 0 && i + 1 < argc)
                        notify_after = atol(argv[++i]);
                else if (strcmp(argv[i], "--exit-after") == 0 && i + 2 < argc) {
                        exit_after = atol(argv[++i]);
                        exit_code = atoi(argv[++i]);
                } else if (strcmp(argv[i], "--ignore-term") == 0)
                        ignore_term = 1;
                else if (strcmp(argv[i], "--notify-socket") == 0 && i + 1 < argc)
                        notify_socket = argv[++i];
                else if (strcmp(argv[i], "--msg-check") == 0)
                        check_msg = 1;
        }
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        record("start %s %d", name, (int)getpid());
        record_env();
        record_fds();
        if (check_msg)
                msg_check();
        printf("%s says hello\n", name);
        fflush(stdout);

        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                long elapsed, wait_ms = 1000;
                struct timespec ts;

                clock_gettime(CLOCK_MONOTONIC, &now);
                elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
                if (notify_after >= 0 && elapsed >= notify_after) {
                        notify_ready();
                        notify_after = -1;
                }
                if (exit_after >= 0 && elapsed >= exit_after)
                        return exit_code;
                if (notify_after >= 0 && notify_after - elapsed < wait_ms)
                        wait_ms = notify_after - elapsed;
                if (exit_after >= 0 && exit_after - elapsed < wait_ms)
                        wait_ms = exit_after - elapsed;
                ts.tv_sec = wait_ms / 1000;
                ts.tv_nsec = (wait_ms % 1000) * 1000000;
                if (sigtimedwait(&mask, NULL, &ts) == SIGTERM) {
                        record("stop %s", name);
                        if (!ignore_term)
                                return 0;
                }
        }
}

// SPDX-License-Identifier: Apache-2.0
/*
 * msg-launch: plays kosd's part of the message-server handover, and nothing else, so the
 * real kos-msgd and real apps can be tested without the supervisor.
 *
 *   msg-launch --msgd PATH --manifest FILE.dtb < SCRIPT
 *
 * Starts one kos-msgd per msg_servers instance (control connection on its fd 3), then reads
 * the script, one command a line:
 *
 *   start APP CMD...   start APP in the background: `sh -c CMD` with one fresh connection per
 *                      instance APP lists (fds 3, 4, ... and KOS_MSG_SERVERS, as kosd does)
 *   run APP CMD...     the same in the foreground; prints "APP: exit N" when it ends
 *   restart APP        kills the background APP and starts its command again (new connections)
 *   wait APP           waits for the background APP to end; prints "APP: exit N"
 *   await PATH         waits until PATH exists (at most 20 s, else the script fails)
 *   remove PATH        removes PATH
 *
 * At the end of the script it stops the apps, closes the control connections and waits for
 * every kos-msgd: exit status 0 if each exited 0, else 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../unit/msg/msg-test.h"
#include "manifest/manifest.h"
#include "util/log.h"
#include "util/strv.h"

#define LAUNCH_MAX 32

typedef struct LaunchServer {
        const char *instance;
        pid_t pid;
        int control; /* kosd's end */
} LaunchServer;

typedef struct LaunchApp {
        char name[128];
        char cmd[1024];
        pid_t pid;
} LaunchApp;

static LaunchServer servers[LAUNCH_MAX];
static size_t n_servers;
static LaunchApp apps[LAUNCH_MAX];
static size_t n_apps;
static Manifest *manifest;

static void close_from(int lowest) {
        for (int fd = lowest; fd < 1024; fd++)
                close(fd);
}

static void start_server(const char *msgd, const char *dtb, const char *instance) {
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                exit(1);
        pid_t pid = fork();
        if (pid == 0) {
                if (pair[1] == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(pair[1], 3) < 0)
                        _exit(127);
                close_from(4);
                execl(msgd, msgd, "--instance", instance, "--manifest", dtb, (char *)NULL);
                _exit(127);
        }
        close(pair[1]);
        servers[n_servers++] = (LaunchServer){ instance, pid, pair[0] };
}

static LaunchServer *find_server(const char *instance) {
        for (size_t i = 0; i < n_servers; i++)
                if (strcmp(servers[i].instance, instance) == 0)
                        return &servers[i];
        return NULL;
}

/* As kosd: a fresh socketpair, one end to kos-msgd with the app's name. */
static int make_connection(LaunchServer *s, const char *app) {
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return -errno;
        int r = msg_test_send_connection(s->control, app, strlen(app), pair[0]);
        if (r < 0) {
                close(pair[0]);
                close(pair[1]);
                return r;
        }
        close(pair[0]);
        return pair[1];
}

static pid_t spawn_app(const char *name, const char *cmd) {
        const ManifestApp *a = manifest_find_app(manifest, name);
        int conns[LAUNCH_MAX];
        size_t n = 0;
        char spec[1024] = "";

        if (!a) {
                log_error("no app \"%s\" in the manifest", name);
                return -1;
        }
        for (char **i = a->msg_servers; *i; i++) {
                LaunchServer *s = find_server(*i);
                if (!s || n >= LAUNCH_MAX - 4)
                        continue;
                int fd = make_connection(s, name);
                if (fd < 0) {
                        log_error("%s: no connection to \"%s\": %s", name, *i, strerror(-fd));
                        continue;
                }
                snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), "%s%s=%zu", n ? "," : "", *i, 3 + n);
                conns[n++] = fd;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                /* Park the connections high, close everything else, then put them at 3, 4, ... */
                for (size_t i = 0; i < n; i++)
                        if (dup2(conns[i], (int)(900 + i)) < 0)
                                _exit(127);
                for (int fd = 3; fd < 900; fd++)
                        close(fd);
                for (size_t i = 0; i < n; i++)
                        if (dup2((int)(900 + i), (int)(3 + i)) < 0)
                                _exit(127);
                close_from(900);
                if (n > 0)
                        setenv("KOS_MSG_SERVERS", spec, 1);
                else
                        unsetenv("KOS_MSG_SERVERS");
                setenv("KOS_APP", name, 1);
                execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
                _exit(127);
        }
        for (size_t i = 0; i < n; i++)
                close(conns[i]);
        return pid;
}

static LaunchApp *find_app(const char *name) {
        for (size_t i = 0; i < n_apps; i++)
                if (strcmp(apps[i].name, name) == 0)
                        return &apps[i];
        return NULL;
}

static void stop_app(LaunchApp *a) {
        if (a->pid <= 0)
                return;
        kill(a->pid, SIGTERM);
        waitpid(a->pid, NULL, 0);
        a->pid = -1;
}

/* Splits "WORD REST" into word (NUL-terminated in place) and rest. */
static char *split(char *line, char **restp) {
        char *sp = strchr(line, ' ');
        if (sp) {
                *sp = '\0';
                *restp = sp + 1;
        } else
                *restp = line + strlen(line);
        return line;
}

/* Polls until path exists: 0, or -ETIMEDOUT after 20 s. */
static int await_file(const char *path) {
        const struct timespec tick = { 0, 10 * 1000000L };

        for (int i = 0; i < 2000; i++) {
                if (access(path, F_OK) == 0)
                        return 0;
                nanosleep(&tick, NULL);
        }
        return -ETIMEDOUT;
}

static int run_script(void) {
        char line[2048];

        while (fgets(line, sizeof(line), stdin)) {
                line[strcspn(line, "\n")] = '\0';
                char *rest, *rest2;
                char *verb = split(line, &rest);
                if (verb[0] == '\0' || verb[0] == '#')
                        continue;
                if (strcmp(verb, "await") == 0) {
                        if (await_file(rest) < 0) {
                                log_error("await: %s did not appear", rest);
                                return -1;
                        }
                } else if (strcmp(verb, "remove") == 0) {
                        if (unlink(rest) < 0) {
                                log_error("remove: %s: %s", rest, strerror(errno));
                                return -1;
                        }
                } else if (strcmp(verb, "start") == 0 || strcmp(verb, "run") == 0) {
                        char *name = split(rest, &rest2);
                        pid_t pid = spawn_app(name, rest2);
                        if (pid < 0)
                                return -1;
                        if (strcmp(verb, "run") == 0) {
                                int status;
                                waitpid(pid, &status, 0);
                                printf("%s: exit %d\n", name,
                                       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                                fflush(stdout);
                                continue;
                        }
                        LaunchApp *a = find_app(name);
                        if (!a) {
                                if (n_apps >= LAUNCH_MAX)
                                        return -1;
                                a = &apps[n_apps++];
                        }
                        snprintf(a->name, sizeof(a->name), "%s", name);
                        snprintf(a->cmd, sizeof(a->cmd), "%s", rest2);
                        a->pid = pid;
                } else if (strcmp(verb, "wait") == 0) {
                        LaunchApp *a = find_app(rest);
                        int status;
                        if (!a || a->pid <= 0 || waitpid(a->pid, &status, 0) != a->pid) {
                                log_error("wait: no background app \"%s\"", rest);
                                return -1;
                        }
                        a->pid = -1;
                        printf("%s: exit %d\n", rest, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                        fflush(stdout);
                } else if (strcmp(verb, "restart") == 0) {
                        LaunchApp *a = find_app(rest);
                        if (!a) {
                                log_error("restart: no background app \"%s\"", rest);
                                return -1;
                        }
                        stop_app(a);
                        a->pid = spawn_app(a->name, a->cmd);
                } else {
                        log_error("unknown command \"%s\"", verb);
                        return -1;
                }
        }
        return 0;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "msgd", required_argument, NULL, 'M' },
                { "manifest", required_argument, NULL, 'm' },
                {},
        };
        const char *msgd = NULL, *dtb = NULL;
        ManifestError err;
        int c, failed = 0;

        log_set_program("msg-launch");
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                if (c == 'M')
                        msgd = optarg;
                else if (c == 'm')
                        dtb = optarg;
                else
                        return 2;
        }
        if (!msgd || !dtb)
                return 2;
        if (manifest_load(&manifest, dtb, &err) < 0) {
                log_error("%s: cannot load the manifest", dtb);
                return 1;
        }
        signal(SIGPIPE, SIG_IGN);
        for (size_t i = 0; i < manifest->n_msg_servers && i < LAUNCH_MAX; i++)
                start_server(msgd, dtb, manifest->msg_servers[i].name);

        if (run_script() < 0)
                failed = 1;

        for (size_t i = 0; i < n_apps; i++)
                stop_app(&apps[i]);
        for (size_t i = 0; i < n_servers; i++) {
                int status;
                close(servers[i].control);
                waitpid(servers[i].pid, &status, 0);
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        log_error("kos-msgd %s ended badly (status %d)", servers[i].instance, status);
                        failed = 1;
                }
        }
        manifest_free(manifest);
        return failed;
}

// SPDX-License-Identifier: Apache-2.0
/* Starting a process: an exec failure is reported as its errno, and ENOENT for a file that
 * exists is explained by what is missing (its "#!" interpreter or ELF loader). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/spawn.h"
#include "test.h"

static char t_dir[] = "/tmp/kos-spawn.XXXXXX";

/* Writes an executable file NAME in the test directory; returns its path (static). */
static const char *t_file(const char *name, const char *content, size_t size) {
        static char path[256];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", t_dir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        if (fd < 0 || write(fd, content, size) != (ssize_t)size || close(fd) < 0)
                TEST_FAIL("cannot write %s", path);
        return path;
}

static int t_spawn(const char *path) {
        char *argv[] = { (char *)path, NULL }, *envp[] = { NULL };
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        SpawnParams p = { .path = path, .argv = argv, .envp = envp, .devnull_fd = devnull, .output_fd = devnull };
        pid_t pid;
        int r = spawn_process(&p, &pid);

        close(devnull);
        return r;
}

TEST(missing_interpreter_is_named_not_the_script) {
        char buf[512];
        const char *path;

        CHECK(mkdtemp(t_dir) != NULL);
        path = t_file("app.sh", "#!/no/such/sh -e\necho hi\n", 24);
        CHECK_EQ_INT(t_spawn(path), -ENOENT);
        CHECK_EQ_STR(spawn_describe_error(path, ENOENT, buf, sizeof(buf)), "its interpreter /no/such/sh is missing");
        path = t_file("spaced.sh", "#! /no/such/sh\n", 15);
        CHECK_EQ_STR(spawn_describe_error(path, ENOENT, buf, sizeof(buf)), "its interpreter /no/such/sh is missing");

        /* A DOS line ending makes "/bin/sh\r" the interpreter. */
        path = t_file("dos.sh", "#!/bin/sh\r\necho hi\r\n", 20);
        CHECK_EQ_INT(t_spawn(path), -ENOENT);
        CHECK_EQ_STR(spawn_describe_error(path, ENOENT, buf, sizeof(buf)),
                     "its interpreter \"/bin/sh\\r\" is missing (the \"#!\" line ends in a DOS carriage return)");

        /* The interpreter is there, but is itself a script whose interpreter is missing. */
        const char *inner = t_file("inner.sh", "#!/no/such/sh\n", 14);
        char outer[300];
        int n = snprintf(outer, sizeof(outer), "#!%s\n", inner);
        path = t_file("outer.sh", outer, (size_t)n);
        CHECK_EQ_INT(t_spawn(path), -ENOENT);
        CHECK(strstr(spawn_describe_error(path, ENOENT, buf, sizeof(buf)), "exists but cannot be started"));

        /* A control character in the "#!" line is not copied into a log line. */
        path = t_file("escape.sh", "#!/no/\033[2J\n", 11);
        CHECK_EQ_STR(spawn_describe_error(path, ENOENT, buf, sizeof(buf)),
                     "the interpreter its \"#!\" line names is missing");

        path = t_file("elf", "\177ELF\002\001\001", 7);
        CHECK(strstr(spawn_describe_error(path, ENOENT, buf, sizeof(buf)), "ELF interpreter (dynamic loader)"));
}

TEST(other_failures_read_as_strerror) {
        char buf[512], path[300];

        snprintf(path, sizeof(path), "%s/no-such-program", t_dir);
        CHECK_EQ_INT(t_spawn(path), -ENOENT);
        CHECK_EQ_STR(spawn_describe_error(path, ENOENT, buf, sizeof(buf)), strerror(ENOENT));
        CHECK_EQ_STR(spawn_describe_error("/", EACCES, buf, sizeof(buf)), strerror(EACCES));
        /* A plain file that exists and is no script: ENOENT is all there is to say. */
        const char *text = t_file("text", "hello\n", 6);
        CHECK_EQ_STR(spawn_describe_error(text, ENOENT, buf, sizeof(buf)), strerror(ENOENT));

}

/* Runs last: removes what the tests wrote. */
TEST(cleanup) {
        static const char *const names[] = { "app.sh", "spaced.sh", "dos.sh", "inner.sh", "outer.sh",
                                             "escape.sh", "elf", "text" };
        char path[300];

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", t_dir, names[i]);
                CHECK(unlink(path) == 0);
        }
        CHECK(rmdir(t_dir) == 0);
}

TEST_MAIN()

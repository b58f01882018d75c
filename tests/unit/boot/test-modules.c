// SPDX-License-Identifier: Apache-2.0
/* modules.dep: parsing, the load order, and the errors that stop a load before it starts. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/modules.h"
#include "test.h"

static BootModules *parse(const char *text, int *rp, BootModulesError *err) {
        BootModules *m = NULL;

        *err = (BootModulesError){};
        *rp = boot_modules_parse(&m, text, strlen(text), err);
        return m;
}

static ssize_t position(const BootModules *m, const size_t *order, const char *path) {
        for (size_t k = 0; k < m->n; k++)
                if (strcmp(m->modules[order[k]].path, path) == 0)
                        return (ssize_t)k;
        return -1;
}

TEST(parse_as_depmod_writes) {
        BootModulesError err;
        int r;
        _cleanup_(boot_modules_freep) BootModules *m = parse(
                "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko\n"
                "kernel/lib/crc16.ko:\n"
                "\n"
                "kernel/fs/mbcache.ko:\n"
                "kernel/fs/jbd2/jbd2.ko:\n",
                &r, &err);

        CHECK_OK(r);
        CHECK_EQ_INT(m->n, 4);
        CHECK_EQ_STR(m->modules[0].path, "kernel/fs/ext4/ext4.ko");
        CHECK_EQ_INT(m->modules[0].n_deps, 3);
        CHECK_EQ_STR(m->modules[m->modules[0].deps[2]].path, "kernel/fs/jbd2/jbd2.ko");
        CHECK_EQ_INT(m->modules[1].n_deps, 0);
}

TEST(order_puts_dependencies_first) {
        BootModulesError err;
        _cleanup_free_ size_t *order = NULL;
        int r;
        _cleanup_(boot_modules_freep) BootModules *m = parse(
                "a.ko: b.ko c.ko\n"
                "b.ko: c.ko d.ko\n"
                "c.ko: d.ko\n"
                "d.ko:\n"
                "e.ko:\n",
                &r, &err);

        CHECK_OK(r);
        CHECK_OK(boot_modules_order(m, &order, &err));
        CHECK(position(m, order, "d.ko") < position(m, order, "c.ko"));
        CHECK(position(m, order, "c.ko") < position(m, order, "b.ko"));
        CHECK(position(m, order, "b.ko") < position(m, order, "a.ko"));
        CHECK(position(m, order, "e.ko") >= 0);
        /* every module exactly once */
        for (size_t i = 0; i < m->n; i++)
                for (size_t k = i + 1; k < m->n; k++)
                        CHECK(order[i] != order[k]);
}

TEST(cycle_is_an_error_that_names_it) {
        BootModulesError err;
        _cleanup_free_ size_t *order = NULL;
        int r;
        _cleanup_(boot_modules_freep) BootModules *m = parse("x.ko: y.ko\ny.ko: z.ko\nz.ko: x.ko\nfree.ko:\n", &r, &err);
        _cleanup_(boot_modules_freep) BootModules *self = parse("s.ko: s.ko\n", &r, &err);

        CHECK_OK(r);
        CHECK_EQ_INT(boot_modules_order(m, &order, &err), -ELOOP);
        CHECK(!order);
        CHECK(strstr(err.message, "dependency cycle"));
        CHECK(strstr(err.message, "x.ko") || strstr(err.message, "y.ko") || strstr(err.message, "z.ko"));
        CHECK_EQ_INT(boot_modules_order(self, &order, &err), -ELOOP);
        CHECK(strstr(err.message, "s.ko depends on s.ko"));
}

TEST(unlisted_dependency_and_malformed_lines) {
        BootModulesError err;
        int r;
        BootModules *m;

        m = parse("a.ko: gone.ko\n", &r, &err);
        CHECK_EQ_INT(r, -EBADMSG);
        CHECK(!m);
        CHECK_EQ_STR(err.message, "modules.dep:1: a.ko depends on gone.ko, which modules.dep does not list");

        m = parse("a.ko:\nno colon here\n", &r, &err);
        CHECK_EQ_INT(r, -EBADMSG);
        CHECK(strstr(err.message, "modules.dep:2:"));

        m = parse("a.ko:\na.ko:\n", &r, &err);
        CHECK_EQ_INT(r, -EBADMSG);
        CHECK(strstr(err.message, "listed twice"));

        m = parse("../../etc/evil.ko:\n", &r, &err);
        CHECK_EQ_INT(r, -EBADMSG);
        m = parse("/abs.ko:\n", &r, &err);
        CHECK_EQ_INT(r, -EBADMSG);
        m = parse("kernel/../../x.ko:\n", &r, &err);
        CHECK_EQ_INT(r, -EBADMSG);
        m = parse("kernel/..x/ok.ko:\n", &r, &err);
        CHECK_OK(r);
        boot_modules_free(m);
}

TEST(missing_file_is_named_before_loading) {
        char dir[] = "/tmp/kos-test-modules.XXXXXX";
        BootModulesError err;
        size_t loaded = 99;
        int dirfd, fd, r;
        _cleanup_(boot_modules_freep) BootModules *m = NULL;

        CHECK(mkdtemp(dir));
        dirfd = open(dir, O_RDONLY | O_DIRECTORY);
        CHECK(dirfd >= 0);
        CHECK(mkdirat(dirfd, "kernel", 0755) == 0);
        fd = openat(dirfd, "kernel/a.ko", O_CREAT | O_WRONLY, 0644);
        CHECK(fd >= 0);
        close(fd);
        fd = openat(dirfd, "modules.dep", O_CREAT | O_WRONLY, 0644);
        CHECK(fd >= 0);
        CHECK(write(fd, "kernel/a.ko: kernel/b.ko\nkernel/b.ko:\n", 38) == 38);
        close(fd);

        m = parse("kernel/a.ko: kernel/b.ko\nkernel/b.ko:\n", &r, &err);
        CHECK_OK(r);
        CHECK_EQ_INT(boot_modules_check_files(m, dirfd, &err), -ENOENT);
        CHECK_EQ_STR(err.message, "kernel/b.ko: No such file or directory");

        /* The whole load stops at the same check: nothing is loaded. */
        err = (BootModulesError){};
        CHECK_EQ_INT(boot_modules_load(dir, &loaded, &err), -ENOENT);
        CHECK_EQ_INT(loaded, 99);
        CHECK_EQ_STR(err.message, "kernel/b.ko: No such file or directory");

        err = (BootModulesError){};
        CHECK_EQ_INT(boot_modules_load("/nonexistent-kos-modules", &loaded, &err), -ENOENT);
        CHECK(strstr(err.message, "/nonexistent-kos-modules"));

        unlinkat(dirfd, "kernel/a.ko", 0);
        unlinkat(dirfd, "kernel", AT_REMOVEDIR);
        unlinkat(dirfd, "modules.dep", 0);
        close(dirfd);
        rmdir(dir);
}

TEST(deep_chain_does_not_recurse) {
        enum { N = 100000 };
        char *text = malloc((size_t)N * 32), *p = text;
        BootModules *m = NULL;
        BootModulesError err;
        _cleanup_free_ size_t *order = NULL;

        CHECK(text);
        for (int i = 0; i < N; i++)
                p += i + 1 < N ? sprintf(p, "m%d.ko: m%d.ko\n", i, i + 1) : sprintf(p, "m%d.ko:\n", i);
        CHECK_OK(boot_modules_parse(&m, text, (size_t)(p - text), &err));
        CHECK_OK(boot_modules_order(m, &order, &err));
        CHECK_EQ_STR(m->modules[order[0]].path, "m99999.ko");
        CHECK_EQ_STR(m->modules[order[N - 1]].path, "m0.ko");
        boot_modules_free(m);
        free(text);
}

TEST_MAIN()

// SPDX-License-Identifier: Apache-2.0
/*
 * kos bootfs: what a device boots from (image/bootfs.h, docs/boot.md).
 *
 * Invariants: nothing here needs root or mounts anything; an output is written whole or
 * not at all (temporary name, then rename), and on failure one line says what.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "image/bootfs.h"
#include "util/cleanup.h"
#include "util/log.h"

static const char bootfs_usage[] =
        "usage: kos bootfs build --store DIR --trust KEYDIR -o OUT [--kernel DIR] [--boot-program FILE]\n"
        "                        [--imagefs-size SIZE] [--datafs-size SIZE] [--data DIR]\n"
        "       kos bootfs initrd --trust KEYDIR -o FILE [--kernel DIR] [--init-program FILE]\n"
        "       kos bootfs kernel [--kernel DIR]\n"
        "\n"
        "build   writes OUT/vmlinuz (the boot kernel), OUT/initramfs.img (kos-boot, the keys of\n"
        "        KEYDIR, the kernel modules it needs) and OUT/disk.img: a GPT disk with the\n"
        "        ImageFS (ext4 \"" IMAGE_IMAGEFS_LABEL "\", a copy of the store DIR at /store) and a\n"
        "        DataFS (ext4 \"" IMAGE_DATAFS_LABEL "\"), empty or with a copy of --data DIR (the\n"
        "        device's sealed keys in kos/keystore/, say). SIZE in bytes or with K, M or G; the\n"
        "        ImageFS defaults to twice the store plus 64M, the DataFS to 64M.\n"
        "initrd  writes the system initrd a manifest's boot node names: kos-init, the keys of\n"
        "        KEYDIR, the kernel modules it needs.\n"
        "kernel  prints the path of the kernel image, to add it to a store.\n"
        "\n"
        "The kernel is the unpacked Debian package in DIR (boot/vmlinuz-V, lib/modules/V),\n"
        "by default $KOS_KERNEL_DIR or the cache scripts/fetch-kernel fills,\n"
        "/var/cache/kos/kernel/amd64/current. Nothing needs root; nothing is mounted.\n";

#define BOOTFS_DEFAULT_KERNEL "/var/cache/kos/kernel/amd64/current"

static const char *bootfs_kernel_dir(const char *option) {
        const char *env = getenv("KOS_KERNEL_DIR");

        if (option)
                return option;
        return env && *env ? env : BOOTFS_DEFAULT_KERNEL;
}

/*
 * A program of the boot chain, as built beside kos (build/src/cli/kos and
 * build/src/boot/NAME) or installed (bin/kos and libexec/kos/NAME).
 */
static int bootfs_program(const char *name, char **pathp) {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        static const char *const places[] = { "../boot", "../libexec/kos" };
        char *slash;

        if (n < 0)
                return -errno;
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (!slash)
                return -ENOENT;
        *slash = '\0';
        for (size_t i = 0; i < ELEMENTSOF(places); i++) {
                if (asprintf(pathp, "%s/%s/%s", exe, places[i], name) < 0)
                        return -ENOMEM;
                if (access(*pathp, X_OK) == 0)
                        return 0;
                free(*pathp);
                *pathp = NULL;
        }
        return -ENOENT;
}

static int bootfs_parse_size(const char *s, uint64_t *sizep) {
        char *end;
        unsigned long long n;
        unsigned shift = 0;

        if (!s || !*s || *s == '-')
                return -EINVAL;
        errno = 0;
        n = strtoull(s, &end, 10);
        if (errno || end == s)
                return -EINVAL;
        if (*end == 'K' || *end == 'k')
                shift = 10, end++;
        else if (*end == 'M' || *end == 'm')
                shift = 20, end++;
        else if (*end == 'G' || *end == 'g')
                shift = 30, end++;
        if (*end || n == 0 || n > (UINT64_MAX >> shift))
                return -EINVAL;
        *sizep = (uint64_t)n << shift;
        return 0;
}

enum {
        OPT_STORE = 0x100,
        OPT_TRUST,
        OPT_KERNEL,
        OPT_BOOT_PROGRAM,
        OPT_INIT_PROGRAM,
        OPT_IMAGEFS_SIZE,
        OPT_DATAFS_SIZE,
        OPT_DATA,
};

static const struct option bootfs_options[] = {
        { "store", required_argument, NULL, OPT_STORE },
        { "trust", required_argument, NULL, OPT_TRUST },
        { "kernel", required_argument, NULL, OPT_KERNEL },
        { "boot-program", required_argument, NULL, OPT_BOOT_PROGRAM },
        { "init-program", required_argument, NULL, OPT_INIT_PROGRAM },
        { "imagefs-size", required_argument, NULL, OPT_IMAGEFS_SIZE },
        { "datafs-size", required_argument, NULL, OPT_DATAFS_SIZE },
        { "data", required_argument, NULL, OPT_DATA },
        { "output", required_argument, NULL, 'o' },
        {},
};

typedef struct BootfsArgs {
        const char *store, *trust, *kernel, *program, *out, *data;
        uint64_t imagefs_size, datafs_size;
} BootfsArgs;

static int bootfs_parse(int argc, char **argv, const char *verb, BootfsArgs *a) {
        int c;

        opterr = 0;
        optind = 1;
        while ((c = getopt_long(argc, argv, ":o:", bootfs_options, NULL)) != -1) {
                switch (c) {
                case OPT_STORE:
                        a->store = optarg;
                        break;
                case OPT_TRUST:
                        a->trust = optarg;
                        break;
                case OPT_KERNEL:
                        a->kernel = optarg;
                        break;
                case OPT_BOOT_PROGRAM:
                case OPT_INIT_PROGRAM:
                        a->program = optarg;
                        break;
                case OPT_IMAGEFS_SIZE:
                case OPT_DATAFS_SIZE:
                        if (bootfs_parse_size(optarg, c == OPT_IMAGEFS_SIZE ? &a->imagefs_size : &a->datafs_size) < 0)
                                return cli_usage_error("bootfs %s: %s: \"%s\" is not a size", verb,
                                                       c == OPT_IMAGEFS_SIZE ? "--imagefs-size" : "--datafs-size",
                                                       optarg);
                        break;
                case OPT_DATA:
                        a->data = optarg;
                        break;
                case 'o':
                        a->out = optarg;
                        break;
                default:
                        return cli_option_error(verb, c, argv);
                }
        }
        if (optind < argc)
                return cli_usage_error("bootfs %s: unexpected argument \"%s\"", verb, argv[optind]);
        return 0;
}

static int bootfs_find_program(const char *given, const char *name, char **pathp) {
        if (given) {
                *pathp = strdup(given);
                return *pathp ? 0 : -ENOMEM;
        }
        if (bootfs_program(name, pathp) < 0) {
                log_error("bootfs: cannot find %s beside kos; name it with --%s", name,
                          strcmp(name, "kos-boot") == 0 ? "boot-program" : "init-program");
                return -ENOENT;
        }
        return 0;
}

static int bootfs_build(int argc, char **argv) {
        BootfsArgs a = { 0 };
        _cleanup_free_ char *program = NULL;
        char whatbuf[512] = "";
        int r;

        r = bootfs_parse(argc, argv, "build", &a);
        if (r != 0)
                return r;
        if (!a.store || !a.trust || !a.out)
                return cli_usage_error("bootfs build: expected --store DIR --trust KEYDIR -o OUT");
        if (bootfs_find_program(a.program, "kos-boot", &program) < 0)
                return CLI_EXIT_FAILURE;
        ImageBootfsOptions o = {
                .store = a.store,
                .trust_dir = a.trust,
                .kernel_root = bootfs_kernel_dir(a.kernel),
                .boot_program = program,
                .out_dir = a.out,
                .imagefs_size = a.imagefs_size,
                .datafs_size = a.datafs_size,
                .datafs_dir = a.data,
        };
        r = image_bootfs_build(&o, whatbuf, sizeof(whatbuf));
        if (r < 0) {
                log_error("bootfs build: %s", whatbuf[0] ? whatbuf : strerror(-r));
                return CLI_EXIT_FAILURE;
        }
        printf("%s/vmlinuz\n%s/initramfs.img\n%s/disk.img\n", a.out, a.out, a.out);
        return CLI_EXIT_OK;
}

static int bootfs_initrd(int argc, char **argv) {
        BootfsArgs a = { 0 };
        _cleanup_(image_kernel_done) ImageKernel k = { 0 };
        _cleanup_free_ char *program = NULL;
        char whatbuf[512] = "";
        const char *kernel;
        int r;

        r = bootfs_parse(argc, argv, "initrd", &a);
        if (r != 0)
                return r;
        if (a.store || a.imagefs_size || a.datafs_size || a.data)
                return cli_usage_error("bootfs initrd: --store, --data and sizes belong to 'bootfs build'");
        if (!a.trust || !a.out)
                return cli_usage_error("bootfs initrd: expected --trust KEYDIR -o FILE");
        if (bootfs_find_program(a.program, "kos-init", &program) < 0)
                return CLI_EXIT_FAILURE;
        kernel = bootfs_kernel_dir(a.kernel);
        r = image_kernel_find(kernel, &k);
        if (r < 0) {
                log_error("bootfs initrd: %s: no kernel (boot/vmlinuz-V, lib/modules/V): %s", kernel, strerror(-r));
                return CLI_EXIT_FAILURE;
        }
        r = image_initramfs_write(a.out, program, a.trust, &k, image_system_modules, whatbuf, sizeof(whatbuf));
        if (r < 0) {
                log_error("bootfs initrd: %s", whatbuf[0] ? whatbuf : strerror(-r));
                return CLI_EXIT_FAILURE;
        }
        return CLI_EXIT_OK;
}

static int bootfs_kernel(int argc, char **argv) {
        BootfsArgs a = { 0 };
        _cleanup_(image_kernel_done) ImageKernel k = { 0 };
        const char *kernel;
        int r;

        r = bootfs_parse(argc, argv, "kernel", &a);
        if (r != 0)
                return r;
        kernel = bootfs_kernel_dir(a.kernel);
        r = image_kernel_find(kernel, &k);
        if (r < 0) {
                log_error("bootfs kernel: %s: no kernel (boot/vmlinuz-V, lib/modules/V): %s", kernel, strerror(-r));
                return CLI_EXIT_FAILURE;
        }
        printf("%s\n", k.vmlinuz);
        return CLI_EXIT_OK;
}

int cli_bootfs(int argc, char **argv) {
        if (argc < 2 || cli_wants_help(argc, argv)) {
                fputs(bootfs_usage, argc < 2 ? stderr : stdout);
                return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
        }
        if (strcmp(argv[1], "build") == 0)
                return bootfs_build(argc - 1, argv + 1);
        if (strcmp(argv[1], "initrd") == 0)
                return bootfs_initrd(argc - 1, argv + 1);
        if (strcmp(argv[1], "kernel") == 0)
                return bootfs_kernel(argc - 1, argv + 1);
        return cli_usage_error("bootfs: unknown verb \"%s\"; see 'kos bootfs --help'", argv[1]);
}

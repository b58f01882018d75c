// SPDX-License-Identifier: Apache-2.0
/*
 * kos simulate: boots a boot image (kos bootfs build) in QEMU (image/simulate.h).
 *
 * Invariants: the guest's network reaches nothing but the 127.0.0.1 ports forwarded to
 * it (user-mode networking with restrict=on); KVM is used only where it can create a VM,
 * never waited for; with --timeout QEMU is killed when the time is up (exit 124).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "image/simulate.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strv.h"

static const char simulate_usage[] =
        "usage: kos simulate IMAGE [--arch x86_64] [--data FILE] [--append ARGS] [--memory MIB]\n"
        "                    [--timeout SECONDS] [--forward HOSTPORT:GUESTPORT]...\n"
        "                    [--guest-forward GUESTPORT:HOSTPORT]... [--accel auto|tcg|kvm]\n"
        "                    [--no-reboot] [--print]\n"
        "\n"
        "Boots IMAGE, a directory 'kos bootfs build' wrote, in QEMU, with the serial console on\n"
        "this terminal (at a terminal, Ctrl-A X quits). --data adds a second disk (a DataFS).\n"
        "--append adds to the boot kernel's command line. The guest has no network unless a\n"
        "forward is given, and then only user-mode networking that reaches nothing but the\n"
        "forwards: --forward makes 127.0.0.1:HOSTPORT reach GUESTPORT in the guest,\n"
        "--guest-forward makes 10.0.2.2:GUESTPORT in the guest reach 127.0.0.1:HOSTPORT.\n"
        "--accel auto (default) uses KVM where it works, else TCG. --no-reboot ends QEMU when\n"
        "the guest reboots. --timeout kills QEMU after SECONDS (exit 124). --print shows the\n"
        "QEMU command instead of running it. Memory defaults to 512 MiB (kexec needs the new\n"
        "kernel and initrd within half of it).\n";

enum {
        OPT_ARCH = 0x100,
        OPT_DATA,
        OPT_APPEND,
        OPT_MEMORY,
        OPT_TIMEOUT,
        OPT_FORWARD,
        OPT_GUEST_FORWARD,
        OPT_ACCEL,
        OPT_NO_REBOOT,
        OPT_PRINT,
};

static const struct option simulate_options[] = {
        { "arch", required_argument, NULL, OPT_ARCH },
        { "data", required_argument, NULL, OPT_DATA },
        { "append", required_argument, NULL, OPT_APPEND },
        { "memory", required_argument, NULL, OPT_MEMORY },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "forward", required_argument, NULL, OPT_FORWARD },
        { "guest-forward", required_argument, NULL, OPT_GUEST_FORWARD },
        { "accel", required_argument, NULL, OPT_ACCEL },
        { "no-reboot", no_argument, NULL, OPT_NO_REBOOT },
        { "print", no_argument, NULL, OPT_PRINT },
        {},
};

static int simulate_number(const char *s, unsigned min, unsigned max, unsigned *np) {
        char *end;
        unsigned long n;

        if (!s || !*s || *s == '-')
                return -EINVAL;
        errno = 0;
        n = strtoul(s, &end, 10);
        if (errno || *end || n < min || n > max)
                return -EINVAL;
        *np = (unsigned)n;
        return 0;
}

static void simulate_print(char *const *argv) {
        for (size_t i = 0; argv[i]; i++) {
                bool quote = strpbrk(argv[i], " \t'\"\\$") != NULL;
                printf("%s%s%s%s", i ? " " : "", quote ? "'" : "", argv[i], quote ? "'" : "");
        }
        printf("\n");
}

int cli_simulate(int argc, char **argv) {
        ImageSimulateOptions o = { .arch = image_arch_find("x86_64"), .accel = "auto", .memory_mib = 512 };
        _cleanup_(strv_freep) char **host = NULL, **guest = NULL, **qemu = NULL;
        char whatbuf[256] = "";
        bool print = false;
        int c, r;

        if (cli_wants_help(argc, argv)) {
                fputs(simulate_usage, stdout);
                return CLI_EXIT_OK;
        }
        opterr = 0;
        optind = 1;
        while ((c = getopt_long(argc, argv, ":", simulate_options, NULL)) != -1) {
                switch (c) {
                case OPT_ARCH:
                        o.arch = image_arch_find(optarg);
                        if (!o.arch)
                                return cli_usage_error("simulate: --arch: \"%s\" is not x86_64 or aarch64", optarg);
                        break;
                case OPT_DATA:
                        o.data_disk = optarg;
                        break;
                case OPT_APPEND:
                        o.append = optarg;
                        break;
                case OPT_MEMORY:
                        if (simulate_number(optarg, 256, 1U << 20, &o.memory_mib) < 0)
                                return cli_usage_error("simulate: --memory: \"%s\" is not a size in MiB of at least 256",
                                                       optarg);
                        break;
                case OPT_TIMEOUT:
                        if (simulate_number(optarg, 1, 1U << 20, &o.timeout_s) < 0)
                                return cli_usage_error("simulate: --timeout: \"%s\" is not a number of seconds", optarg);
                        break;
                case OPT_FORWARD:
                case OPT_GUEST_FORWARD:
                        if (strv_extend(c == OPT_FORWARD ? &host : &guest, optarg) < 0)
                                return log_error("simulate: out of memory"), CLI_EXIT_FAILURE;
                        break;
                case OPT_ACCEL:
                        if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "tcg") != 0 && strcmp(optarg, "kvm") != 0)
                                return cli_usage_error("simulate: --accel: \"%s\" is not auto, tcg or kvm", optarg);
                        o.accel = optarg;
                        break;
                case OPT_NO_REBOOT:
                        o.no_reboot = true;
                        break;
                case OPT_PRINT:
                        print = true;
                        break;
                default:
                        return cli_option_error("simulate", c, argv);
                }
        }
        if (optind + 1 != argc)
                return cli_usage_error("simulate: expected one IMAGE directory; see 'kos simulate --help'");
        o.image_dir = argv[optind];
        o.host_forwards = host;
        o.guest_forwards = guest;
        if (strcmp(o.accel, "kvm") == 0 && !image_kvm_usable()) {
                log_error("simulate: --accel kvm: KVM cannot create a VM on this machine; use --accel tcg");
                return CLI_EXIT_FAILURE;
        }
        r = image_simulate_argv(&o, &qemu, whatbuf, sizeof(whatbuf));
        if (r == -EINVAL)
                return cli_usage_error("simulate: %s", whatbuf);
        if (r < 0)
                return log_error("simulate: out of memory"), CLI_EXIT_FAILURE;
        if (print) {
                simulate_print(qemu);
                return CLI_EXIT_OK;
        }
        fflush(stdout);
        r = image_simulate_run(qemu, o.timeout_s);
        if (r < 0) {
                log_error("simulate: cannot start %s: %s", qemu[0], strerror(-r));
                return CLI_EXIT_FAILURE;
        }
        if (r == 124)
                log_error("simulate: timed out after %u s", o.timeout_s);
        return r;
}

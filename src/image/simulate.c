// SPDX-License-Identifier: Apache-2.0
/*
 * QEMU (see simulate.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/simulate.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/strv.h"

static const ImageArch image_arches[] = {
        { .name = "x86_64", .qemu = "qemu-system-x86_64", .console = "ttyS0", .net_device = "virtio-net-pci",
          .watchdog = "i6300esb" },
        { .name = "aarch64", .qemu = "qemu-system-aarch64", .console = "ttyAMA0", .machine = "virt", .cpu = "max",
          .net_device = "virtio-net-pci" }, /* virt has no watchdog device of its own */
};

const ImageArch *image_arch_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(image_arches); i++)
                if (strcmp(image_arches[i].name, name) == 0)
                        return &image_arches[i];
        return NULL;
}

static void kvm_alarm(int sig) {
        (void)sig; /* only interrupts KVM_RUN */
}

/*
 * Runs "out 0x10, al; hlt" in a one-page real-mode guest, with a second's alarm. A KVM
 * that creates VMs but never runs them (seen on nested hosts) fails here instead of
 * hanging QEMU.
 */
static bool kvm_runs_guest(int kvm, int vm) {
        static const uint8_t code[] = { 0xb0, 0x42, 0xe6, 0x10, 0xf4 }; /* mov al,0x42; out 0x10,al; hlt */
        struct sigaction sa = { .sa_handler = kvm_alarm }, old;
        struct itimerval timer = { .it_value = { .tv_sec = 1 } }, off = { 0 };
        struct kvm_userspace_memory_region region;
        struct kvm_sregs sregs;
        struct kvm_regs regs = { .rip = 0, .rflags = 2 };
        struct kvm_run *run = MAP_FAILED;
        _cleanup_close_ int vcpu = -1;
        bool out_seen = false, ok = false;
        void *mem;
        int size;

        mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED)
                return false;
        memcpy(mem, code, sizeof(code));
        region = (struct kvm_userspace_memory_region){ .guest_phys_addr = 0x1000, .memory_size = 4096,
                                                       .userspace_addr = (uintptr_t)mem };
        vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
        size = vcpu < 0 ? -1 : ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
        if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0 || size <= 0)
                goto out;
        run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
        if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
                goto out;
        sregs.cs.base = 0x1000;
        sregs.cs.selector = 0x100;
        if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
                goto out;
        sigaction(SIGALRM, &sa, &old);
        setitimer(ITIMER_REAL, &timer, NULL);
        for (int i = 0; i < 4 && !ok; i++) {
                if (ioctl(vcpu, KVM_RUN, 0) < 0)
                        break; /* EINTR: the alarm, the guest did not get to hlt */
                if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0x10)
                        out_seen = *((uint8_t *)run + run->io.data_offset) == 0x42;
                else if (run->exit_reason == KVM_EXIT_HLT)
                        ok = out_seen;
                else
                        break;
        }
        setitimer(ITIMER_REAL, &off, NULL);
        sigaction(SIGALRM, &old, NULL);
out:
        if (run != MAP_FAILED)
                munmap(run, (size_t)size);
        munmap(mem, 4096);
        return ok;
}

/*
 * True if KVM offers the guest SSE3 (CPUID leaf 1, ECX bit 0), which every x86-64 CPU
 * since 2004 has. A nested KVM that leaves it out creates and runs small guests, but QEMU
 * warns "host doesn't support requested feature: CPUID.01H:ECX.pni" and a Linux kernel
 * then never prints a line: such a KVM is not used.
 */
static bool kvm_cpuid_sane(int kvm) {
#if defined(__x86_64__)
        enum { MAX_ENTRIES = 256 };
        _cleanup_free_ struct kvm_cpuid2 *cpuid =
                calloc(1, sizeof(*cpuid) + MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2));

        if (!cpuid)
                return false;
        cpuid->nent = MAX_ENTRIES;
        if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0)
                return false;
        for (uint32_t i = 0; i < cpuid->nent; i++)
                if (cpuid->entries[i].function == 1)
                        return cpuid->entries[i].ecx & 1U;
        return false;
#else
        (void)kvm;
        return true;
#endif
}

bool image_kvm_usable(void) {
        _cleanup_close_ int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC | O_NONBLOCK);
        _cleanup_close_ int vm = -1;

        if (kvm < 0 || ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION || !kvm_cpuid_sane(kvm))
                return false;
        vm = ioctl(kvm, KVM_CREATE_VM, 0);
        return vm >= 0 && kvm_runs_guest(kvm, vm);
}

/* path with every ',' doubled, as QEMU's option syntax wants it inside "file=...". */
static char *qemu_escape(const char *path) {
        size_t n = strlen(path);
        char *out = malloc(2 * n + 1), *p = out;

        if (!out)
                return NULL;
        for (const char *c = path; *c; c++) {
                *p++ = *c;
                if (*c == ',')
                        *p++ = ',';
        }
        *p = '\0';
        return out;
}

static int push(char ***argv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int push(char ***argv, const char *fmt, ...) {
        va_list ap;
        char *s;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&s, fmt, ap);
        va_end(ap);
        return n < 0 ? -ENOMEM : strv_push(argv, s);
}

/* "A:B" with two ports. */
static bool parse_forward(const char *s, unsigned *a, unsigned *b) {
        char end;

        return sscanf(s, "%u:%u%c", a, b, &end) == 2 && *a > 0 && *a < 65536 && *b > 0 && *b < 65536;
}

static int netdev_arg(const ImageSimulateOptions *o, char **argp, char *whatbuf, size_t whatsize) {
        _cleanup_free_ char *arg = strdup("user,id=net0,restrict=on");
        unsigned a, b;

        if (!arg)
                return -ENOMEM;
        for (size_t i = 0; o->host_forwards && o->host_forwards[i]; i++) {
                char *grown;
                if (!parse_forward(o->host_forwards[i], &a, &b)) {
                        snprintf(whatbuf, whatsize, "forward \"%s\": want HOSTPORT:GUESTPORT", o->host_forwards[i]);
                        return -EINVAL;
                }
                if (asprintf(&grown, "%s,hostfwd=tcp:127.0.0.1:%u-:%u", arg, a, b) < 0)
                        return -ENOMEM;
                free(arg);
                arg = grown;
        }
        for (size_t i = 0; o->guest_forwards && o->guest_forwards[i]; i++) {
                char *grown;
                if (!parse_forward(o->guest_forwards[i], &a, &b)) {
                        snprintf(whatbuf, whatsize, "guest forward \"%s\": want GUESTPORT:HOSTPORT", o->guest_forwards[i]);
                        return -EINVAL;
                }
                if (asprintf(&grown, "%s,guestfwd=tcp:10.0.2.2:%u-tcp:127.0.0.1:%u", arg, a, b) < 0)
                        return -ENOMEM;
                free(arg);
                arg = grown;
        }
        *argp = steal_ptr(&arg);
        return 0;
}

int image_simulate_argv(const ImageSimulateOptions *o, char ***argvp, char *whatbuf, size_t whatsize) {
        _cleanup_(strv_freep) char **argv = NULL;
        const char *accel = o->accel;
        int r = 0;

        if (strcmp(accel, "auto") == 0)
                accel = image_kvm_usable() ? "kvm" : "tcg";
        r |= push(&argv, "%s", o->arch->qemu);
        r |= push(&argv, "-accel");
        r |= push(&argv, "%s", accel);
        if (o->arch->machine) {
                r |= push(&argv, "-machine");
                r |= push(&argv, "%s", o->arch->machine);
        }
        if (o->arch->cpu) {
                r |= push(&argv, "-cpu");
                r |= push(&argv, "%s", o->arch->cpu);
        }
        r |= push(&argv, "-m");
        r |= push(&argv, "%u", o->memory_mib);
        r |= push(&argv, "-display");
        r |= push(&argv, "none");
        /* At a terminal Ctrl-A X leaves; in a pipe there is no monitor to reach. */
        r |= push(&argv, "-serial");
        r |= push(&argv, "%s", isatty(STDIN_FILENO) ? "mon:stdio" : "stdio");
        if (!isatty(STDIN_FILENO)) {
                r |= push(&argv, "-monitor");
                r |= push(&argv, "none");
        }
        r |= push(&argv, "-kernel");
        r |= push(&argv, "%s/vmlinuz", o->image_dir);
        r |= push(&argv, "-initrd");
        r |= push(&argv, "%s/initramfs.img", o->image_dir);
        /* panic=-1: a kernel that panics reboots at once instead of hanging. */
        r |= push(&argv, "-append");
        r |= push(&argv, "console=%s panic=-1%s%s", o->arch->console, o->append ? " " : "", o->append ? o->append : "");
        _cleanup_free_ char *image_dir = qemu_escape(o->image_dir);
        _cleanup_free_ char *data_disk = o->data_disk ? qemu_escape(o->data_disk) : NULL;
        if (!image_dir || (o->data_disk && !data_disk))
                return -ENOMEM;
        r |= push(&argv, "-drive");
        r |= push(&argv, "file=%s/disk.img,format=raw,if=virtio,cache=writeback", image_dir);
        if (data_disk) {
                r |= push(&argv, "-drive");
                r |= push(&argv, "file=%s,format=raw,if=virtio,cache=writeback", data_disk);
        }
        if (o->host_forwards || o->guest_forwards) {
                _cleanup_free_ char *netdev = NULL;
                int q = netdev_arg(o, &netdev, whatbuf, whatsize);
                if (q < 0)
                        return q;
                r |= push(&argv, "-netdev");
                r |= push(&argv, "%s", netdev);
                r |= push(&argv, "-device");
                r |= push(&argv, "%s,netdev=net0", o->arch->net_device);
        } else {
                r |= push(&argv, "-nic");
                r |= push(&argv, "none");
        }
        /* A device has a watchdog (docs/boot.md, "The watchdog"); when it fires, the machine
         * resets, as a board's would, and boots again. */
        if (o->arch->watchdog) {
                r |= push(&argv, "-device");
                r |= push(&argv, "%s", o->arch->watchdog);
                r |= push(&argv, "-action");
                r |= push(&argv, "watchdog=reset");
        }
        if (o->no_reboot)
                r |= push(&argv, "-no-reboot");
        if (r < 0)
                return -ENOMEM;
        *argvp = steal_ptr(&argv);
        return 0;
}

int image_simulate_run(char *const *argv, unsigned timeout_s) {
        _cleanup_close_ int pidfd = -1;
        uint64_t deadline = timeout_s ? now_ms() + (uint64_t)timeout_s * 1000 : 0;
        pid_t parent = getpid(), pid;
        int status;

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                /* The machine goes with kos simulate, however that ends (its timeout, a
                 * SIGTERM, a SIGKILL): never an orphaned QEMU running on. */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                        _exit(126);
                execvp(argv[0], argv);
                fprintf(stderr, "kos: %s: %s\n", argv[0], strerror(errno));
                _exit(errno == ENOENT ? 127 : 126);
        }
        /* Waits on the pidfd until the deadline; where there is no pidfd (an old kernel, a
         * seccomp filter), on a 100 ms poll of waitpid: the timeout always holds. */
        pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        for (;;) {
                pid_t done = waitpid(pid, &status, WNOHANG);
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                int wait_ms = -1;

                if (done == pid)
                        break;
                if (done < 0 && errno != EINTR)
                        return -errno;
                if (deadline) {
                        uint64_t now = now_ms();
                        if (now >= deadline) {
                                kill(pid, SIGKILL);
                                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                                        ;
                                return 124;
                        }
                        wait_ms = (int)(deadline - now);
                }
                if (pidfd < 0)
                        wait_ms = wait_ms < 0 || wait_ms > 100 ? 100 : wait_ms;
                (void)poll(&p, pidfd < 0 ? 0 : 1, wait_ms); /* EINTR: look again */
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// SPDX-License-Identifier: Apache-2.0
/*
 * kosd: the KOS node manager. Runs a manifest's apps and supervises them (supervisor.h).
 *
 *   kosd --manifest FILE.dtb            [--run-dir DIR] [--msgd PATH] [--keystored PATH] [--start-timeout-ms MS]
 *   kosd --store DIR --trust KEYDIR     [--run-dir DIR] [--msgd PATH] [--keystored PATH] [--start-timeout-ms MS]
 *   kosd --booted                       (the same, for the generation this device booted)
 *
 * --booted is what a device runs, as PID 1 (the manifest's boot init) or as a service of
 * its init (kosd.service): the store kos-init mounted (KOSD_BOOTED_STORE), the keys of
 * the root (KOSD_BOOTED_TRUST), and the generation the kernel command line names
 * (kos.generation=N kos.manifest=DIGEST, from kos-boot), checked again; it is confirmed
 * only if refs/booted names it too (a store the boot decision could not write keeps an
 * older choice there: the generation runs, unconfirmed). As PID 1 with no arguments kosd
 * runs --booted.
 *
 * Invariants: a manifest that does not load is refused before anything starts; kosd runs
 * in the foreground and logs to stderr, one line a message (with "<N>" priority prefixes
 * when stderr is the journal). As PID 1 it never exits, whatever went wrong (the kernel
 * would panic): it powers off after SIGTERM and reboots after anything else (escalation,
 * a manifest that does not load, a bad command line), so the boot decision can fall back.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "manifest/manifest.h"
#include "boot/verify.h"
#include "crypto/key.h"
#include "store/ref.h"
#include "util/fileio.h"
#include "supervisor/control-protocol.h"
#include "supervisor/supervisor.h"
#include "util/log.h"
#include "util/path.h"
#include "boot/watchdog.h"
#include "supervisor/booted.h"

/* systemd's DefaultTimeoutStartSec: an app gets this long to become ready. */

static void kosd_help(FILE *f) {
        fprintf(f, "usage: kosd (--manifest FILE.dtb | --store DIR --trust KEYDIR | --booted) [OPTIONS]\n\n"
                   "Runs the manifest's apps and supervises them.\n\n"
                   "  --manifest FILE.dtb  run this manifest (development)\n"
                   "  --store DIR          run the generation the boot decision chose, confirm it\n"
                   "  --trust KEYDIR       with --store: the keys its manifest must be signed by\n"
                   "  --booted             on a device: --store " KOSD_BOOTED_STORE " --trust " KOSD_BOOTED_TRUST ",\n"
                   "                       the generation named on the kernel command line\n"
                   "  --run-dir DIR        control and notify sockets (default %s)\n"
                   "  --msgd PATH          kos-msgd to run for message servers\n"
                   "                       (default: next to kosd)\n"
                   "  --keystored PATH     kos-keystored to run for the key store\n"
                   "                       (default: next to kosd)\n"
                   "  --start-timeout-ms MS  an app not ready this long after its start (setup\n"
                   "                       script included) is stopped as faulty (default: the\n"
                   "                       manifest's node-manager start-timeout-ms; 0: never)\n"
                   "  --watchdog PATH      keep the watchdog device PATH alive from the event loop,\n"
                   "                       its timeout the manifest's node-manager\n"
                   "                       watchdog-timeout-ms (default with --booted as PID 1:\n"
                   "                       " BOOT_WATCHDOG_DEVICE " if there is one)\n"
                   "  --verbose            log debug messages too\n",
                CONTROL_DEFAULT_RUN_DIR);
}

/*
 * Opens the watchdog kosd keeps alive (path, or as PID 1 on a device /dev/watchdog if the
 * kernel has one) with the manifest's timeout; *intervalp gets the keepalive period, a
 * third of the timeout. Returns the fd, -1 for none, or a negative errno (-2 and below)
 * after logging why. A watchdog kosd cannot open as PID 1 is only a warning: running the
 * device matters more than what would reset it.
 */
static int kosd_watchdog(const char *path, bool device, const Manifest *m, unsigned *intervalp) {
        unsigned ms = m->node_manager.watchdog_timeout_ms, s = ms / 1000 + (ms % 1000 != 0);
        bool timeout_set;
        int fd;

        if (!path && (!device || getpid() != 1))
                return -1;
        if (ms == 0) {
                if (path)
                        log_warning("--watchdog %s: the manifest's watchdog-timeout-ms is 0: not kept alive", path);
                return -1;
        }
        if (s > 65535)
                s = 65535;
        fd = boot_watchdog_open(path ?: BOOT_WATCHDOG_DEVICE, s, &timeout_set);
        if (fd == -ENOENT && !path) {
                log_notice("watchdog: none (no %s)", BOOT_WATCHDOG_DEVICE);
                return -1;
        }
        if (fd < 0 && !path) {
                log_warning("watchdog: %s: %s; not kept alive", BOOT_WATCHDOG_DEVICE, strerror(-fd));
                return -1;
        }
        if (fd < 0) {
                log_error("--watchdog %s: %s; nothing started", path, strerror(-fd));
                return -2;
        }
        *intervalp = s * 1000U / 3U;
        log_notice("watchdog: %s, %u s%s, kept alive every %u ms", path ?: BOOT_WATCHDOG_DEVICE, s,
                   timeout_set ? "" : " (not settable here: the device keeps its own)", *intervalp);
        return fd;
}

static int parse_ms(const char *s, unsigned *msp) {
        unsigned long n;
        char *end;

        if (!*s || *s == '-')
                return -EINVAL;
        errno = 0;
        n = strtoul(s, &end, 10);
        if (errno || *end || n > 24UL * 3600 * 1000)
                return -EINVAL;
        *msp = (unsigned)n;
        return 0;
}

/* Finds a helper program: explicit path, then beside kosd, then in the build tree. */
static char *kosd_find_program(const char *explicit_path, const char *name, const char *build_subdir) {
        char self[PATH_MAX], candidate[PATH_MAX + 64];
        ssize_t n;
        char *dir;

        if (explicit_path)
                return access(explicit_path, X_OK) == 0 ? strdup(explicit_path) : NULL;
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
                return NULL;
        self[n] = '\0';
        dir = dirname(self);
        snprintf(candidate, sizeof(candidate), "%s/%s", dir, name);
        if (access(candidate, X_OK) == 0)
                return strdup(candidate);
        snprintf(candidate, sizeof(candidate), "%s/../%s/%s", dir, build_subdir, name);
        if (access(candidate, X_OK) == 0)
                return realpath(candidate, NULL);
        return NULL;
}

/* The manifest file, read once: the bytes parsed are the bytes every service gets. */
static int kosd_load_manifest(const char *path, Manifest **mp, char **dtbp, size_t *sizep) {
        _cleanup_free_ char *dtb = NULL;
        ManifestError err = { 0 };
        size_t size;
        int r;

        r = read_file_full(path, MANIFEST_MAX_SIZE, &dtb, &size);
        if (r == -EFBIG)
                return log_error_errno(r, "%s: larger than a manifest may be (%u bytes); nothing started", path,
                                       MANIFEST_MAX_SIZE);
        if (r < 0)
                return log_error_errno(r, "%s: %s; nothing started", path, strerror(-r));
        r = manifest_parse(mp, dtb, size, &err);
        if (r == -EBADMSG) {
                char buf[512];
                manifest_error_format(&err, buf, sizeof(buf));
                return log_error_errno(r, "%s: %s; nothing started", path, buf);
        }
        if (r < 0)
                return log_error_errno(r, "%s: %s; nothing started", path, strerror(-r));
        *dtbp = steal_ptr(&dtb);
        *sizep = size;
        return 0;
}

/* The generation the boot decision chose, checked as the boot decision checks it
 * (src/boot/verify.h): its SHA-256 and a trusted key's signature, over the bytes kosd runs. */
static int kosd_load_generation(const char *store_dir, const char *trust_dir, const KosdBooted *booted,
                                Manifest **mp, char **dtbp, size_t *sizep, unsigned *generationp, bool *pendingp) {
        _cleanup_(trust_store_freep) TrustStore *trust = NULL;
        _cleanup_free_ char *bad_file = NULL;
        Store *store = NULL;
        StoreGeneration gen;
        BootCandidate c;
        int r;

        r = trust_store_load(&trust, trust_dir, &bad_file);
        if (r < 0)
                return log_error_errno(r, "%s: %s; nothing started", bad_file ? bad_file : trust_dir, key_strerror(r));
        if (trust_store_size(trust) == 0)
                return log_error_errno(-ENOKEY, "%s: no trusted key; nothing started", trust_dir);
        r = store_open(&store, store_dir, STORE_OPEN_READ);
        if (r < 0)
                return log_error_errno(r, "%s: cannot open store: %s; nothing started", store_dir, strerror(-r));
        if (booted) {
                /* What the kernel booted, whatever refs/booted says (a store the decision
                 * could not write keeps an older choice there): that is what runs. */
                Sha256Digest digest;
                unsigned recorded = 0;

                r = sha256_from_hex(booted->manifest, &digest);
                if (r >= 0)
                        r = boot_verify_named(store, trust, booted->generation, &digest, "kos.manifest", &gen, &c, mp,
                                              dtbp, sizep);
                if (r == 0 && boot_ref_generation(store, STORE_REF_BOOTED, &recorded) >= 0 &&
                    recorded != booted->generation)
                        log_warning("%s: refs/%s names generation %u, not generation %u that the kernel booted (the "
                                    "boot decision could not record its choice): running it; it will not be confirmed",
                                    store_dir, STORE_REF_BOOTED, recorded, booted->generation);
        } else
                r = boot_verify_booted(store, trust, &gen, &c, mp, dtbp, sizep);
        store_close(store);
        if (r == -ENOENT && booted)
                return log_error_errno(r, "%s: no generation %u, which the kernel booted; nothing started", store_dir,
                                       booted->generation);
        if (r == -ENOENT)
                return log_error_errno(r, "%s: no boot decision (refs/%s); run 'kos boot select' first", store_dir,
                                       STORE_REF_BOOTED);
        if (r < 0)
                return log_error_errno(r, "%s: cannot read the chosen generation: %s; nothing started", store_dir,
                                       strerror(-r));
        if (r > 0)
                return log_error_errno(-EPERM, "%s: generation %u may not run: %s%s%s; nothing started, nothing confirmed",
                                       store_dir, c.generation, boot_rejection_to_string(c.reason),
                                       c.detail[0] ? ": " : "", c.detail);
        *generationp = gen.number;
        *pendingp = gen.state == STORE_GENERATION_PENDING;
        return 0;
}

/* Stores path, made absolute, in *absolutep (freeing what was there); logs why not. */
static int kosd_absolute(const char *option, const char *path, char **absolutep) {
        char *absolute;
        int r = path_make_absolute(path, &absolute);

        if (r < 0)
                return log_error_errno(r, "%s: cannot make \"%s\" absolute: %s", option, path, strerror(-r));
        free(*absolutep);
        *absolutep = absolute;
        return 0;
}

static void kosd_reset_signals(void) {
        struct sigaction dfl = { .sa_handler = SIG_DFL }, ign = { .sa_handler = SIG_IGN };

        /* Dispositions inherited as SIG_IGN would pass on to every app. */
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void)sigaction(sig, &dfl, NULL);
        (void)sigaction(SIGPIPE, &ign, NULL);
}

static int kosd_main(int argc, char **argv) {
        static const struct option options[] = {
                { "manifest", required_argument, NULL, 'm' },
                { "store", required_argument, NULL, 's' },
                { "trust", required_argument, NULL, 'T' },
                { "booted", no_argument, NULL, 'B' },
                { "run-dir", required_argument, NULL, 'r' },
                { "msgd", required_argument, NULL, 'M' },
                { "keystored", required_argument, NULL, 'K' },
                { "start-timeout-ms", required_argument, NULL, 't' },
                { "watchdog", required_argument, NULL, 'W' },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_(supervisor_freep) Supervisor *s = NULL;
        _cleanup_free_ char *dtb = NULL, *msgd = NULL, *trust_dir = NULL, *keystored = NULL, *keystored_arg = NULL,
                            *traced = NULL;
        size_t dtb_size = 0;
        unsigned generation = 0;
        KosdBooted booted = { 0 };
        bool booted_mode = false, pending = false;
        /* Every path given is made absolute at once (util/path.h): children start in "/". */
        _cleanup_free_ char *manifest_path = NULL, *store_dir = NULL, *run_dir = NULL, *msgd_arg = NULL,
                            *watchdog_path = NULL;
        unsigned watchdog_interval_ms = 0, service_watchdog_interval_ms = 0;
        int watchdog_fd;
        _cleanup_close_ int service_watchdog_fd = -1;
        const char *run_dir_arg = CONTROL_DEFAULT_RUN_DIR;
        SupervisorConfig config;
        unsigned start_timeout_ms = 0;
        bool start_timeout_set = false;
        int c, r = 0, status;

        log_set_program("kosd");
        if (getenv("JOURNAL_STREAM"))
                log_set_priority_prefix(true);
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'm': r = kosd_absolute("--manifest", optarg, &manifest_path); break;
                case 's': r = kosd_absolute("--store", optarg, &store_dir); break;
                case 'T': r = kosd_absolute("--trust", optarg, &trust_dir); break;
                case 'B': booted_mode = true; break;
                case 'r': run_dir_arg = optarg; r = 0; break;
                case 'M': r = kosd_absolute("--msgd", optarg, &msgd_arg); break;
                case 'K': r = kosd_absolute("--keystored", optarg, &keystored_arg); break;
                case 't':
                        if (parse_ms(optarg, &start_timeout_ms) < 0) {
                                log_error("--start-timeout-ms: \"%s\" is not a number of milliseconds (at most a day)",
                                          optarg);
                                return 2;
                        }
                        start_timeout_set = true;
                        break;
                case 'W': r = kosd_absolute("--watchdog", optarg, &watchdog_path); break;
                case 'v': log_set_max_level(LOG_LEVEL_DEBUG); break;
                case 'h': kosd_help(stdout); return 0;
                default: kosd_help(stderr); return 2;
                }
                if (r < 0)
                        return 2;
        }
        /* PID 1 started with no arguments is a device's node manager. */
        if (argc == 1 && getpid() == 1)
                booted_mode = true;
        if (booted_mode) {
                if (manifest_path || store_dir || trust_dir) {
                        log_error("--booted takes the store, the keys and the generation from the boot; "
                                  "it goes with no --manifest, --store or --trust");
                        return 2;
                }
                r = kosd_booted_read(&booted);
                if (r < 0)
                        return 1;
                if (kosd_absolute("--store", KOSD_BOOTED_STORE, &store_dir) < 0 ||
                    kosd_absolute("--trust", KOSD_BOOTED_TRUST, &trust_dir) < 0)
                        return 2;
                r = kosd_booted_setup();
                if (r < 0)
                        return 1;
        }
        if (kosd_absolute("--run-dir", run_dir_arg, &run_dir) < 0)
                return 2;
        if (optind < argc || !!manifest_path == !!store_dir) {
                log_error("exactly one of --manifest FILE.dtb or --store DIR is required");
                kosd_help(stderr);
                return 2;
        }

        if (!!store_dir != !!trust_dir) {
                log_error("--store and --trust go together: a generation runs only if a trusted key signed it");
                kosd_help(stderr);
                return 2;
        }
        if (store_dir)
                r = kosd_load_generation(store_dir, trust_dir, booted_mode ? &booted : NULL, &m, &dtb, &dtb_size,
                                         &generation, &pending);
        else
                r = kosd_load_manifest(manifest_path, &m, &dtb, &dtb_size);
        if (r < 0)
                return 1;
        msgd = kosd_find_program(msgd_arg, service_kinds[SERVICE_MSG].program, "msg");
        if (m->n_msg_servers > 0 && !msgd)
                log_warning("no executable %s found%s%s; message servers not started, apps get no connections",
                            service_kinds[SERVICE_MSG].program, msgd_arg ? " at " : "", msgd_arg ? msgd_arg : "");
        keystored = kosd_find_program(keystored_arg, service_kinds[SERVICE_KEYSTORE].program, "keystore");
        if (m->n_keys > 0 && !keystored)
                log_warning("no executable %s found%s%s; key store not started, apps get no keys",
                            service_kinds[SERVICE_KEYSTORE].program, keystored_arg ? " at " : "",
                            keystored_arg ? keystored_arg : "");
        traced = kosd_find_program(NULL, service_kinds[SERVICE_TRACE].program, "trace");
        if (m->trace_server && !(traced && msgd))
                log_warning("no executable %s found; the trace server is not started",
                            traced ? service_kinds[SERVICE_MSG].program : service_kinds[SERVICE_TRACE].program);

        /* Left open to the end, and running when kosd ends (boot/watchdog.h, invariant 1):
         * as PID 1 kosd then reboots, which stops it. */
        watchdog_fd = kosd_watchdog(watchdog_path, booted_mode, m, &watchdog_interval_ms);
        if (watchdog_fd < -1)
                return 1;

        service_watchdog_fd = kosd_service_watchdog(&service_watchdog_interval_ms);

        kosd_reset_signals();
        config = (SupervisorConfig){
                .manifest_dtb = dtb,
                .manifest_size = dtb_size,
                .generation = generation,
                .run_dir = run_dir,
                .service_paths = { [SERVICE_MSG] = m->n_msg_servers > 0 ? msgd : NULL,
                                   [SERVICE_KEYSTORE] = m->n_keys > 0 ? keystored : NULL,
                                   [SERVICE_TRACE] = m->trace_server && msgd ? traced : NULL },
                .store_dir = store_dir,
                .start_timeout_ms = start_timeout_set ? start_timeout_ms : m->node_manager.start_timeout_ms,
                /* A new generation that never confirms must give its boot back: without a
                 * reboot its tries would never run out. A good one reboots into itself. */
                .confirm_timeout_ms = booted_mode && pending ? m->node_manager.confirm_timeout_ms : 0,
                .watchdog_fd = watchdog_fd,
                .watchdog_interval_ms = watchdog_interval_ms,
                .service_watchdog_fd = service_watchdog_fd,
                .service_watchdog_interval_ms = service_watchdog_interval_ms,
        };
        r = supervisor_new(&s, m, &config);
        if (r < 0) {
                log_error("cannot set up supervision; nothing started");
                return 1;
        }
        if (store_dir)
                log_notice("running generation %u of %s: %zu app%s, %zu message server%s", generation, store_dir,
                           m->n_apps,
                           m->n_apps == 1 ? "" : "s", msgd ? m->n_msg_servers : 0,
                           msgd && m->n_msg_servers == 1 ? "" : "s");
        else
                log_notice("running %s: %zu app%s, %zu message server%s", manifest_path, m->n_apps,
                           m->n_apps == 1 ? "" : "s", msgd ? m->n_msg_servers : 0,
                           msgd && m->n_msg_servers == 1 ? "" : "s");
        kosd_notify_ready();
        status = supervisor_run(s);
        return status;
}

int main(int argc, char **argv) {
        int status = kosd_main(argc, argv);

        if (getpid() == 1) {
                log_notice("%s", status == 0 ? "powering off" : "rebooting");
                sync();
                (void)reboot(status == 0 ? RB_POWER_OFF : RB_AUTOBOOT);
                for (;;)
                        pause();
        }
        return status;
}

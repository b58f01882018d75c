// SPDX-License-Identifier: Apache-2.0
/*
 * kos manifest: build, check, show, graph, sign, verify and digest manifests.
 *
 * Every command that takes a manifest accepts DTS source or a DTB (told apart by the DTB
 * magic, not the file name), and validates it fully before doing anything else. Errors in
 * DTS name the file and line; errors in a DTB name the file and the node path.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libfdt.h>

#include "cli/cli.h"
#include "crypto/signature.h"
#include "manifest/manifest.h"
#include "manifest/render.h"
#include "manifest/source.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/utf8.h"

static const char manifest_usage[] =
        "usage: kos manifest COMMAND ...\n"
        "\n"
        "  build IN.dts [-o OUT.dtb]          compile with dtc and validate; writes nothing on error\n"
        "  check FILE                         validate a .dts or .dtb; silent on success\n"
        "  show FILE [--json]                 a readable summary, or JSON\n"
        "  graph FILE [-o OUT.dot]            Graphviz graph of apps, protocols, supervision\n"
        "  sign FILE.dtb --key K.key [-o SIG] add a signature to FILE.dtb.sig (or SIG)\n"
        "  verify FILE.dtb --trust DIR [--sig SIG]\n"
        "                                     exit 0 if a key in DIR (*.pub) signed it\n"
        "  digest FILE.dtb                    the manifest's identity: SHA-256 of the DTB\n"
        "\n"
        "FILE may be DTS source or a DTB wherever a manifest is read.\n";

/* A manifest read from the command line: its DTB bytes and model. */
typedef struct CliManifest {
        char *dtb; /* owned */
        size_t size;
        Manifest *manifest; /* owned */
} CliManifest;

static void cli_manifest_done(CliManifest *cm) {
        free(cm->dtb);
        manifest_free(cm->manifest);
}

static bool cli_manifest_is_dtb(const char *data, size_t size) {
        return size >= sizeof(fdt32_t) && fdt_magic(data) == FDT_MAGIC;
}

/* True if data could be DTS source: UTF-8 text with no control character but white space. */
static bool cli_manifest_is_text(const char *data, size_t size) {
        _cleanup_free_ char *text = NULL;

        if (memchr(data, '\0', size))
                return false;
        text = strndup(data, size);
        if (!text)
                return true; /* let dtc judge it */
        for (char *p = text; *p; p++)
                if (strchr("\t\n\v\f\r", *p))
                        *p = ' ';
        return utf8_is_printable(text);
}

static bool cli_manifest_is_named_dtb(const char *path) {
        size_t n = strlen(path);

        return n >= 4 && strcmp(path + n - 4, ".dtb") == 0;
}

/* Refuses data that is not a DTB, naming the bytes it starts with instead of the magic. */
static int cli_manifest_refuse_magic(const char *path, const char *data, size_t size) {
        char start[4 * 3] = "";

        for (size_t i = 0; i < size && i < sizeof(fdt32_t); i++)
                snprintf(start + 3 * i, sizeof(start) - 3 * i, "%02x%s", (unsigned char)data[i],
                         i + 1 < size && i + 1 < sizeof(fdt32_t) ? " " : "");
        return log_error_errno(-EBADMSG, "%s: not a DTB: it starts with %s, not the DTB magic d0 0d fe ed", path, start);
}

/* Reports a validation error: "FILE:LINE: where: what" for DTS, "FILE: where: what" for DTB. */
static void cli_manifest_report_invalid(const char *path, bool source, const ManifestError *err) {
        _cleanup_(manifest_source_map_freep) ManifestSourceMap *map = NULL;
        const char *location = NULL;
        char what[600];

        manifest_error_format(err, what, sizeof(what));
        if (source && manifest_source_map_new(&map, path) >= 0)
                location = manifest_source_map_lookup(map, err->node, err->property);
        log_error("%s: %s", location ? location : path, what);
}

/*
 * Reads and validates a manifest, DTS or DTB; with dtb_only, DTS is refused (signatures and
 * digests are of the exact DTB bytes that ship). Logs the error and returns < 0 on failure.
 */
static int cli_manifest_open(CliManifest *cm, const char *path, bool dtb_only) {
        _cleanup_free_ char *data = NULL, *dtb = NULL, *dtc_error = NULL;
        ManifestError err;
        size_t size, dtb_size;
        bool source;
        int r;

        r = read_file_full(path, MANIFEST_MAX_SIZE, &data, &size);
        if (r == -EFBIG)
                return log_error_errno(r, "%s: larger than the manifest limit of %u bytes", path, MANIFEST_MAX_SIZE);
        if (r < 0)
                return log_error_errno(r, "%s: %s", path, strerror(-r));

        /* dtc would call an empty file a syntax error on line 0. */
        if (size == 0)
                return log_error_errno(-EBADMSG, "%s: the file is empty", path);
        source = !cli_manifest_is_dtb(data, size);
        if (source && !cli_manifest_is_text(data, size))
                return cli_manifest_refuse_magic(path, data, size);
        if (source && dtb_only)
                return log_error_errno(-EINVAL, "%s: not a DTB; build it with 'kos manifest build' first", path);
        if (source) {
                r = manifest_compile_dts(path, &dtb, &dtb_size, &dtc_error);
                /* A file named .dtb that is text was meant as a DTB more likely than not. */
                if (r == -EBADMSG && cli_manifest_is_named_dtb(path))
                        return log_error_errno(r, "%s (read as DTS source: no DTB magic)", dtc_error);
                if (r == -EBADMSG)
                        return log_error_errno(r, "%s", dtc_error);
                if (r < 0)
                        return log_error_errno(r, "%s: cannot run dtc: %s", path, strerror(-r));
        } else {
                dtb = steal_ptr(&data);
                dtb_size = size;
        }

        r = manifest_parse(&cm->manifest, dtb, dtb_size, &err);
        if (r == -EBADMSG || r == -EFBIG) {
                cli_manifest_report_invalid(path, source, &err);
                return r;
        }
        if (r < 0)
                return log_error_errno(r, "%s: %s", path, strerror(-r));
        cm->dtb = steal_ptr(&dtb);
        cm->size = dtb_size;
        return 0;
}

/* Options shared by the subcommands; each accepts only the ones it documents. */
typedef struct ManifestOptions {
        const char *output;
        const char *key;
        const char *trust;
        const char *sig;
        bool json;
} ManifestOptions;

enum { OPT_JSON = 256, OPT_KEY, OPT_TRUST, OPT_SIG };

/* Parses options after the subcommand; "allowed" lists the accepted ones by letter. */
static int cli_manifest_parse_options(int argc, char **argv, const char *allowed, ManifestOptions *o, const char **filep) {
        static const struct option options[] = {
                { "output", required_argument, NULL, 'o' }, { "json", no_argument, NULL, OPT_JSON },
                { "key", required_argument, NULL, OPT_KEY }, { "trust", required_argument, NULL, OPT_TRUST },
                { "sig", required_argument, NULL, OPT_SIG }, {},
        };
        char seen[8] = "";
        int c;

        optind = 0; /* glibc: start afresh */
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":o:", options, NULL)) >= 0) {
                char letter = c == 'o' ? 'o' : c == OPT_JSON ? 'j' : c == OPT_KEY ? 'k' : c == OPT_TRUST ? 't' : c == OPT_SIG ? 's' : 0;

                if (c == '?')
                        return cli_usage_error("manifest %s: unknown option \"%s\"", argv[0], argv[optind - 1]);
                if (c == ':')
                        return cli_usage_error("manifest %s: option \"%s\" needs a value", argv[0], argv[optind - 1]);
                if (!letter || !strchr(allowed, letter))
                        return cli_usage_error("manifest %s: option \"%s\" does not apply", argv[0], argv[optind - 1]);
                const char *name = c == 'o' ? "-o" : c == OPT_JSON ? "--json" : c == OPT_KEY ? "--key"
                                 : c == OPT_TRUST ? "--trust" : "--sig";
                /* A repeated option is a mistake to point out, not a choice to guess. */
                if (strchr(seen, letter))
                        return cli_usage_error("manifest %s: option \"%s\" given twice", argv[0], name);
                strncat(seen, &letter, 1);
                if (optarg && optarg[0] == '\0')
                        return cli_usage_error("manifest %s: option \"%s\" needs a value", argv[0], name);
                switch (c) {
                case 'o':
                        o->output = optarg;
                        break;
                case OPT_JSON:
                        o->json = true;
                        break;
                case OPT_KEY:
                        o->key = optarg;
                        break;
                case OPT_TRUST:
                        o->trust = optarg;
                        break;
                case OPT_SIG:
                        o->sig = optarg;
                        break;
                }
        }
        if (argc - optind != 1 || argv[optind][0] == '\0')
                return cli_usage_error("manifest %s: expected one manifest file; see 'kos manifest --help'", argv[0]);
        *filep = argv[optind];
        return 0;
}

/* Every command that writes a file refuses one that is its input, as compilers do. */
static int cli_manifest_refuse_output(const char *command, const char *out, const char *in) {
        return cli_usage_error("manifest %s: output %s is the input %s; refusing to overwrite it",
                               command, out, in);
}

static int cli_manifest_build(const char *in, const ManifestOptions *o) {
        _cleanup_(cli_manifest_done) CliManifest cm = {};
        _cleanup_free_ char *derived = NULL;
        const char *out = o->output;
        int r;

        if (!out) {
                size_t n = strlen(in);
                if (n > 4 && strcmp(in + n - 4, ".dts") == 0)
                        r = asprintf(&derived, "%.*s.dtb", (int)(n - 4), in);
                else
                        r = asprintf(&derived, "%s.dtb", in);
                if (r < 0)
                        return log_error_errno(-ENOMEM, "out of memory"), CLI_EXIT_FAILURE;
                out = derived;
        }
        if (cli_output_is_input(out, in))
                return cli_manifest_refuse_output("build", out, in);
        if (cli_manifest_open(&cm, in, false) < 0)
                return CLI_EXIT_FAILURE;
        r = write_file_atomic(out, cm.dtb, cm.size, 0644);
        if (r < 0)
                return log_error("%s: cannot write: %s", out, strerror(-r)), CLI_EXIT_FAILURE;
        return CLI_EXIT_OK;
}

static int cli_manifest_show(const char *path, const ManifestOptions *o) {
        _cleanup_(cli_manifest_done) CliManifest cm = {};
        int r;

        if (cli_manifest_open(&cm, path, false) < 0)
                return CLI_EXIT_FAILURE;
        if (o->json) {
                json_t *json;

                r = manifest_render_json(cm.manifest, &json);
                if (r < 0)
                        return log_error("%s: %s", path, strerror(-r)), CLI_EXIT_FAILURE;
                r = json_dumpf(json, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                json_decref(json);
                putchar('\n');
        } else
                r = manifest_render_text(cm.manifest, stdout);
        if (r < 0 || fflush(stdout) != 0)
                return log_error("cannot write output"), CLI_EXIT_FAILURE;
        return CLI_EXIT_OK;
}

static int cli_manifest_graph(const char *path, const ManifestOptions *o) {
        _cleanup_(cli_manifest_done) CliManifest cm = {};
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        if (o->output && cli_output_is_input(o->output, path))
                return cli_manifest_refuse_output("graph", o->output, path);
        if (cli_manifest_open(&cm, path, false) < 0)
                return CLI_EXIT_FAILURE;
        f = open_memstream(&text, &size);
        if (!f)
                return log_error("out of memory"), CLI_EXIT_FAILURE;
        r = manifest_render_dot(cm.manifest, f);
        if (fclose(f) != 0 || r < 0)
                return log_error("out of memory"), CLI_EXIT_FAILURE;
        if (o->output) {
                r = write_file_atomic(o->output, text, size, 0644);
                if (r < 0)
                        return log_error("%s: cannot write: %s", o->output, strerror(-r)), CLI_EXIT_FAILURE;
        } else if (fwrite(text, 1, size, stdout) != size || fflush(stdout) != 0)
                return log_error("cannot write output"), CLI_EXIT_FAILURE;
        return CLI_EXIT_OK;
}

static char *cli_manifest_signature_path(const char *dtb_path, const char *sig) {
        char *path;

        if (sig)
                return strdup(sig);
        return asprintf(&path, "%s.sig", dtb_path) < 0 ? NULL : path;
}

/* Loads a signature file, reporting errors. A missing file is an empty list if allowed. */
static int cli_manifest_load_signatures(SignatureList **listp, const char *path, bool missing_ok) {
        SignatureParseError err = {};
        char hex[SHA256_HEX_LEN + 1];
        int r;

        r = signature_list_load(listp, path, &err);
        if (r == -ENOENT && missing_ok) {
                r = signature_list_new(listp);
                return r < 0 ? log_error_errno(r, "out of memory") : 0;
        }
        if (r == -EBADMSG)
                return log_error_errno(r, "%s:%u: malformed signature line: expected \"ed25519 <key id> <signature>\"",
                                       path, err.line);
        if (r == -ENOTUNIQ) {
                sha256_to_hex(&err.key_id, hex);
                return log_error_errno(r, "%s:%u: a second signature by key %s; "
                                       "a signature file holds one line per key", path, err.line, hex);
        }
        if (r == -E2BIG)
                return log_error_errno(r, "%s:%u: more than %u signatures", path, err.line, SIGNATURE_LIST_MAX);
        if (r == -EFBIG)
                return log_error_errno(r, "%s: larger than the limit of %u bytes", path, SIGNATURE_FILE_MAX);
        if (r < 0)
                return log_error_errno(r, "%s: %s", path, strerror(-r));
        return 0;
}

static int cli_manifest_sign(const char *path, const ManifestOptions *o) {
        _cleanup_(cli_manifest_done) CliManifest cm = {};
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(signature_list_freep) SignatureList *list = NULL;
        _cleanup_free_ char *sig_path = NULL, *text = NULL;
        Signature sig;
        size_t size;
        struct stat st;
        int r;

        if (!o->key)
                return cli_usage_error("manifest sign: --key K.key is required");
        sig_path = cli_manifest_signature_path(path, o->output);
        if (!sig_path)
                return log_error("out of memory"), CLI_EXIT_FAILURE;
        if (cli_output_is_input(sig_path, path))
                return cli_manifest_refuse_output("sign", sig_path, path);
        r = key_load_private(&key, o->key);
        if (r < 0)
                return log_error("%s: %s", o->key, key_strerror(r)), CLI_EXIT_FAILURE;
        if (stat(o->key, &st) == 0 && (st.st_mode & 0077))
                log_warning("warning: %s is readable or writable by others (mode %04o); chmod 600 it",
                            o->key, (unsigned)(st.st_mode & 07777));
        if (cli_manifest_open(&cm, path, true) < 0)
                return CLI_EXIT_FAILURE;
        if (cli_manifest_load_signatures(&list, sig_path, true) < 0)
                return CLI_EXIT_FAILURE;
        r = signature_create(key, cm.dtb, cm.size, &sig);
        if (r >= 0)
                r = signature_list_add(list, &sig);
        if (r >= 0)
                r = signature_list_format(list, &text, &size);
        if (r >= 0)
                r = write_file_atomic(sig_path, text, size, 0644);
        if (r < 0)
                return log_error("%s: cannot sign: %s", sig_path, strerror(-r)), CLI_EXIT_FAILURE;
        return CLI_EXIT_OK;
}

static int cli_manifest_verify(const char *path, const ManifestOptions *o) {
        _cleanup_(cli_manifest_done) CliManifest cm = {};
        _cleanup_(signature_list_freep) SignatureList *list = NULL;
        _cleanup_(trust_store_freep) TrustStore *trust = NULL;
        _cleanup_free_ char *sig_path = NULL, *bad_file = NULL;
        char hex[SHA256_HEX_LEN + 1];
        Sha256Digest id;
        int r;

        if (!o->trust)
                return cli_usage_error("manifest verify: --trust DIR is required");
        r = trust_store_load(&trust, o->trust, &bad_file);
        if (r < 0)
                return log_error("%s: %s", bad_file ? bad_file : o->trust, key_strerror(r)), CLI_EXIT_FAILURE;
        if (trust_store_size(trust) == 0)
                return log_error("%s: no trusted keys (*.pub)", o->trust), CLI_EXIT_FAILURE;
        if (cli_manifest_open(&cm, path, true) < 0)
                return CLI_EXIT_FAILURE;
        sig_path = cli_manifest_signature_path(path, o->sig);
        if (!sig_path)
                return log_error("out of memory"), CLI_EXIT_FAILURE;
        if (cli_manifest_load_signatures(&list, sig_path, false) < 0)
                return CLI_EXIT_FAILURE;

        r = signature_list_verify(list, trust, cm.dtb, cm.size, &id);
        if (r < 0)
                return log_error("%s: %s", sig_path, strerror(-r)), CLI_EXIT_FAILURE;
        if (r != SIGNATURE_VALID)
                return log_error("%s: %s", sig_path, signature_verdict_to_string(r)), CLI_EXIT_FAILURE;
        sha256_to_hex(&id, hex);
        printf("%s: signed by trusted key %s\n", path, hex);
        return CLI_EXIT_OK;
}

int cli_manifest(int argc, char **argv) {
        static const struct {
                const char *name;
                const char *options; /* o: -o, j: --json, k: --key, t: --trust, s: --sig */
                int (*run)(const char *file, const ManifestOptions *o);
        } commands[] = {
                { "build", "o", cli_manifest_build }, { "check", "", NULL },
                { "show", "j", cli_manifest_show },   { "graph", "o", cli_manifest_graph },
                { "sign", "ko", cli_manifest_sign },  { "verify", "ts", cli_manifest_verify },
                { "digest", "", NULL },
        };
        ManifestOptions o = {};
        const char *file = NULL;

        if (argc < 2 || cli_wants_help(argc, argv)) {
                fputs(manifest_usage, argc < 2 ? stderr : stdout);
                return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
        }
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                if (strcmp(argv[1], commands[i].name) != 0)
                        continue;
                int r = cli_manifest_parse_options(argc - 1, argv + 1, commands[i].options, &o, &file);
                if (r != 0)
                        return r;
                if (commands[i].run)
                        return commands[i].run(file, &o);

                _cleanup_(cli_manifest_done) CliManifest cm = {};
                if (cli_manifest_open(&cm, file, strcmp(argv[1], "digest") == 0) < 0)
                        return CLI_EXIT_FAILURE;
                if (strcmp(argv[1], "digest") == 0) {
                        char hex[SHA256_HEX_LEN + 1];
                        sha256_to_hex(&cm.manifest->digest, hex);
                        printf("%s\n", hex);
                }
                return CLI_EXIT_OK;
        }
        return cli_usage_error("manifest: unknown command \"%s\"; see 'kos manifest --help'", argv[1]);
}

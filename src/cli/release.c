// SPDX-License-Identifier: Apache-2.0
/*
 * kos release upload: a signed release to an Orbit project.
 *
 *     kos release upload --orbit URL --project ID [--org ID] [--token-file FILE]
 *                        MANIFEST.dtb [--sig SIG] OBJECT...
 *
 * Uploads only the objects the organisation lacks on the server (manifest, signature file
 * and OBJECTs alike), then asks for the release; Orbit checks the signature against the
 * project's trusted keys and every object the manifest references before the release
 * exists. Prints one line per file ("sent DIGEST BYTES NAME" or "kept DIGEST NAME"), then
 * "release ID version N manifest DIGEST".
 *
 * Invariants: every file is hashed locally before anything is sent, so a file that cannot
 * be read stops the upload before it starts; a file is sent whole, and the server keeps
 * it only if it hashes to the name it was sent under.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "crypto/sha256.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/strv.h"

#define RELEASE_FILE_MAX (1024ULL * 1024ULL * 1024ULL)

static const char release_usage[] =
        "usage: kos release upload --orbit URL --project ID [--org ID] [--token-file FILE]\n"
        "                          MANIFEST.dtb [--sig SIG] OBJECT...\n"
        "\n"
        "Uploads a signed release to an Orbit project: the objects Orbit lacks, then the\n"
        "manifest and its signature file (default MANIFEST.dtb.sig). Orbit refuses a release\n"
        "whose signature is not by a trusted key of the project or whose objects are missing\n"
        "or do not match. The token comes from --token-file, else $KOS_ORBIT_TOKEN.\n";

typedef struct ReleaseFile {
        const char *name;
        char *data; /* owned */
        size_t size;
        char digest[SHA256_HEX_LEN + 1];
} ReleaseFile;

static int release_file_load(ReleaseFile *f, const char *name) {
        Sha256Digest d;
        int r;

        f->name = name;
        r = read_file_full(name, RELEASE_FILE_MAX, &f->data, &f->size);
        if (r < 0)
                return log_error("release: %s: %s", name, strerror(-r)), r;
        r = sha256_buffer(f->data, f->size, &d);
        if (r < 0)
                return r;
        sha256_to_hex(&d, f->digest);
        return 0;
}

static int release_upload(int argc, char **argv) {
        _cleanup_free_ char *sig_default = NULL, *path = NULL;
        _cleanup_free_ ReleaseFile *files = NULL;
        CliOrbit orbit = { 0 };
        const char *manifest = NULL, *sig = NULL, *project = NULL;
        size_t n_files = 0;
        json_t *answer = NULL, *digests, *missing;
        int status = CLI_EXIT_FAILURE, r;

        files = calloc((size_t)argc + 1, sizeof(*files));
        if (!files)
                return CLI_EXIT_FAILURE;
        /* files[0] the manifest, files[1] the signatures, then the objects */
        n_files = 2;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                bool has_value = i + 1 < argc;
                if (strcmp(a, "--orbit") == 0 && has_value)
                        orbit.url = argv[++i];
                else if (strcmp(a, "--token-file") == 0 && has_value)
                        orbit.token_file = argv[++i];
                else if (strcmp(a, "--project") == 0 && has_value)
                        project = argv[++i];
                else if (strcmp(a, "--org") == 0 && has_value)
                        orbit.org = strtoll(argv[++i], NULL, 10);
                else if (strcmp(a, "--sig") == 0 && has_value)
                        sig = argv[++i];
                else if (a[0] == '-')
                        return cli_usage_error("release upload: unknown option \"%s\" (or it needs a value)", a);
                else if (!manifest)
                        manifest = a;
                else
                        files[n_files++].name = a;
        }
        if (!orbit.url || !project || !manifest)
                return cli_usage_error("release upload: --orbit URL, --project ID and MANIFEST.dtb are required");
        if (!*project || strspn(project, "0123456789") != strlen(project) || project[0] == '0')
                return cli_usage_error("release upload: --project: \"%s\" is not a project id", project);
        if (!sig) {
                if (asprintf(&sig_default, "%s.sig", manifest) < 0)
                        return CLI_EXIT_FAILURE;
                sig = sig_default;
        }
        if (release_file_load(&files[0], manifest) < 0 || release_file_load(&files[1], sig) < 0)
                goto out;
        for (size_t i = 2; i < n_files; i++)
                if (release_file_load(&files[i], files[i].name) < 0)
                        goto out;
        r = cli_orbit_setup(&orbit);
        if (r != 0) {
                status = r;
                goto out;
        }

        digests = json_array();
        for (size_t i = 0; i < n_files; i++)
                json_array_append_new(digests, json_string(files[i].digest));
        if (asprintf(&path, "/api/v1/orgs/%" PRId64 "/objects/missing", orbit.org) < 0 ||
            cli_orbit_request_json(&orbit, "POST", path, json_pack("{s:o}", "digests", digests), &answer) < 0)
                goto out;
        missing = json_object_get(answer, "missing");
        for (size_t i = 0; i < n_files; i++) {
                bool need = false;
                size_t j;
                json_t *item;
                json_array_foreach(missing, j, item)
                        need = need || strcmp(json_string_value(item), files[i].digest) == 0;
                /* the same file named twice is sent once */
                for (size_t k = 0; k < i && need; k++)
                        need = strcmp(files[k].digest, files[i].digest) != 0;
                if (!need) {
                        printf("kept %s %s\n", files[i].digest, files[i].name);
                        continue;
                }
                _cleanup_free_ char *put = NULL;
                json_t *stored = NULL;
                if (asprintf(&put, "/api/v1/orgs/%" PRId64 "/objects/%s", orbit.org, files[i].digest) < 0 ||
                    cli_orbit_request(&orbit, "PUT", put, files[i].data, files[i].size, true, &stored) < 0)
                        goto out;
                json_decref(stored);
                printf("sent %s %zu %s\n", files[i].digest, files[i].size, files[i].name);
        }
        json_decref(answer);
        answer = NULL;
        free(path);
        path = NULL;
        if (asprintf(&path, "/api/v1/orgs/%" PRId64 "/projects/%s/releases", orbit.org, project) < 0 ||
            cli_orbit_request_json(&orbit, "POST", path,
                                   json_pack("{s:s,s:s}", "manifest", files[0].digest, "signatures", files[1].digest),
                                   &answer) < 0)
                goto out;
        printf("release %" JSON_INTEGER_FORMAT " version %" JSON_INTEGER_FORMAT " manifest %s\n",
               json_integer_value(json_object_get(answer, "id")), json_integer_value(json_object_get(answer, "version")),
               files[0].digest);
        status = CLI_EXIT_OK;
out:
        json_decref(answer);
        for (size_t i = 0; i < n_files; i++)
                free(files[i].data);
        cli_orbit_done(&orbit);
        return status;
}

int cli_release(int argc, char **argv) {
        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                fputs(release_usage, argc < 2 ? stderr : stdout);
                return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
        }
        if (strcmp(argv[1], "upload") == 0) {
                if (cli_wants_help(argc - 1, argv + 1)) {
                        fputs(release_usage, stdout);
                        return CLI_EXIT_OK;
                }
                return release_upload(argc - 1, argv + 1);
        }
        return cli_usage_error("release: unknown verb \"%s\"; see 'kos release --help'", argv[1]);
}

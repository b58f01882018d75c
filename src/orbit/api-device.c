// SPDX-License-Identifier: Apache-2.0
/*
 * The device API: check-in (with long polling), progress reports, and the store a device
 * upgrades from with `kos upgrade`.
 *
 * Progress of a device on a release (one row per device and release):
 *
 *     assigned ─> downloading ─> installed ─> booted ─> confirmed
 *         │            │             │           │
 *         └────────────┴─────────────┴───────────┴──────> failed (reason)
 *
 * The server writes "assigned" when it first offers a release; the device reports the
 * rest. A device whose progress on the target is "failed" is not offered it again until
 * an owner retries (that removes the row).
 *
 * Invariants:
 *  1. A report is answered 200 only after it committed (db.h invariant 2): an
 *     acknowledged report survives a crash of orbit.
 *  2. The store serves a device only its deployment's target release: refs/release-N for
 *     that N, and the objects that release lists.
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "manifest/manifest.h"
#include "manifest/render.h"
#include "orbit/api.h"
#include "orbit/auth.h"
#include "orbit/rollout.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/hex.h"

static const char *const progress_states[] = { "downloading", "installed", "booted", "confirmed", "failed" };

/*
 * The device's row as check-in needs it, in one statement (a long poll told of an attach
 * runs it once, not one query per thing to know): at 0 its deployment, 1 to 4 its
 * deployment's target (release, manifest, signatures, version; NULL without one), 5, 6, 7
 * the manifest, generations and apps it last reported, 8 its progress on the target (NULL
 * if none), 9 how many commands are queued for it, 10 the deployment's rollout phases (NULL
 * if not phased), 11 whether the organisation has the manifest it reports now (manifest).
 */
static int checkin_device_row(Orbit *o, OrbitRequest *req, const char *manifest, OrbitDbResult *t) {
        int q = orbit_db_queryv(
                o->db, t,
                "SELECT d.deployment_id, r.id, r.manifest, r.signatures, r.version, d.manifest, d.generations, d.apps,"
                " p.state, (SELECT COUNT(*) FROM commands c WHERE c.device_id = d.id AND c.state = 'queued'),"
                " e.rollout_phases,"
                " (SELECT COUNT(*) FROM device_manifests m WHERE m.org_id = d.org_id AND m.digest = ?)"
                " FROM devices d JOIN deployments e ON e.id = d.deployment_id LEFT JOIN releases r ON r.id = e.target"
                " LEFT JOIN progress p ON p.device_id = d.id AND p.release_id = e.target WHERE d.id = ?",
                (const char *const[]){ manifest ? manifest : "", ID(req->who.device_id) }, 2);
        if (q >= 0 && t->n_rows == 0)
                return -ENOENT;
        return q;
}

/* The rows of every device of a deployment, as checkin_device_row() reads one, and at 12
 * the device's id, in id order. */
typedef struct CheckinBatch {
        OrbitDbResult rows;
} CheckinBatch;

static void checkin_fill(OrbitRequest *req, void *userdata) {
        const OrbitDbResult *r = &((CheckinBatch *)userdata)->rows;
        size_t lo = 0, hi = r->n_rows;

        if (req->route->handler != api_device_checkin)
                return;
        while (lo < hi) { /* the device's row: binary search by id */
                size_t mid = (lo + hi) / 2;
                int64_t id = orbit_db_cell_int(r, mid, 12);
                if (id == req->who.device_id) {
                        char **cells = calloc(r->n_columns, sizeof(char *));
                        size_t c;
                        if (!cells)
                                return;
                        for (c = 0; c < r->n_columns; c++) {
                                const char *cell = orbit_db_cell(r, mid, c);
                                if (cell && !(cells[c] = strdup(cell)))
                                        break;
                        }
                        if (c < r->n_columns) { /* out of memory: the handler reads the row itself */
                                for (c = 0; c < r->n_columns; c++)
                                        free(cells[c]);
                                free(cells);
                                return;
                        }
                        orbit_db_result_clear(&req->checkin_row);
                        req->checkin_row = (OrbitDbResult){ .n_rows = 1, .n_columns = r->n_columns, .cells = cells };
                        return;
                }
                if (id < req->who.device_id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
}

void orbit_checkin_wake(Orbit *o, int64_t deployment) {
        CheckinBatch batch = { 0 };

        if (orbit_waiters_count(o->waiters) > 0 &&
            orbit_db_query(o->db, &batch.rows,
                           "SELECT d.deployment_id, r.id, r.manifest, r.signatures, r.version, d.manifest, d.generations,"
                           " d.apps, p.state, (SELECT COUNT(*) FROM commands c WHERE c.device_id = d.id AND"
                           " c.state = 'queued'), e.rollout_phases, 0, d.id"
                           " FROM devices d JOIN deployments e ON e.id = d.deployment_id"
                           " LEFT JOIN releases r ON r.id = e.target"
                           " LEFT JOIN progress p ON p.device_id = d.id AND p.release_id = e.target"
                           " WHERE d.deployment_id = ? ORDER BY d.id", ID(deployment)) >= 0)
                orbit_waiters_wake_fill(o->waiters, deployment, checkin_fill, &batch);
        else /* each waiter reads its row itself */
                orbit_waiters_wake(o->waiters, deployment);
        orbit_db_result_clear(&batch.rows);
}

/* The check-in answer for the device whose row is t; NULL if nothing to do. */
static int checkin_offer(Orbit *o, OrbitRequest *req, const OrbitDbResult *t, const char *manifest, json_t **answerp) {
        char token[ORBIT_DOWNLOAD_TOKEN_MAX];
        _cleanup_free_ char *source = NULL;
        int64_t deployment = orbit_db_cell_int(t, 0, 0);
        const char *progress = orbit_db_cell(t, 0, 8);
        bool may = true;
        int q;

        *answerp = NULL;
        if (!orbit_db_cell(t, 0, 1))
                return 0; /* no target */
        if (manifest && strcmp(manifest, orbit_db_cell(t, 0, 2)) == 0)
                return 0; /* runs it */
        if (progress && strcmp(progress, "failed") == 0)
                return 0; /* not again until an owner retries */
        if (orbit_db_cell(t, 0, 10)) {
                q = rollout_device_may_start(o, deployment, req->who.device_id, &may);
                if (q < 0)
                        return q;
        }
        if (!may)
                return 0; /* not in the rollout's current phase, or the rollout is paused */
        if (!progress) { /* attach assigned the devices it had: this one came later */
                q = orbit_db_query(o->db, NULL,
                                   "INSERT INTO progress (device_id, release_id, state, reason, updated)"
                                   " VALUES (?, ?, 'assigned', '', ?)", ID(req->who.device_id), orbit_db_cell(t, 0, 1),
                                   ID(orbit_now()));
                if (q < 0)
                        return q;
        }
        orbit_download_token(o, req->who.device_id, orbit_now() + ORBIT_DOWNLOAD_SECONDS, token);
        /* public_url is "http://HOST:PORT": the token goes in as the URL's user information */
        if (asprintf(&source, "http://device-%s:%s@%s/api/v1/device/store", ID(req->who.device_id), token,
                     o->public_url + strlen("http://")) < 0)
                return -ENOMEM;
        *answerp = json_pack("{s:{s:I,s:s,s:s,s:I,s:s,s:s}}", "target", "release",
                             (json_int_t)orbit_db_cell_int(t, 0, 1), "manifest", orbit_db_cell(t, 0, 2), "signatures",
                             orbit_db_cell(t, 0, 3), "version", (json_int_t)orbit_db_cell_int(t, 0, 4), "source",
                             source, "ref", "");
        if (*answerp) {
                char ref[40];
                snprintf(ref, sizeof(ref), "release-%s", orbit_db_cell(t, 0, 1));
                json_object_set_new(json_object_get(*answerp, "target"), "ref", json_string(ref));
        }
        return 0;
}

/* True if the device reported value (NULL: not reported) and it differs from stored. */
static bool checkin_differs(const char *value, const char *stored) {
        return value && (!stored || strcmp(value, stored) != 0);
}

/*
 * Stores what the check-in reports (manifest digest, generations, apps) where it differs
 * from what the device's row holds (device, from checkin_device_row()): a check-in that reports
 * what the server knows writes nothing. Values not reported are kept.
 */
static int checkin_store_state(Orbit *o, OrbitRequest *req, const OrbitDbResult *device, const char *manifest) {
        _cleanup_free_ char *generations = NULL, *apps = NULL;
        json_t *g = json_object_get(req->body, "generations"), *a = json_object_get(req->body, "apps");

        /* re-encoded, not the device's text: every item was checked (request.h) */
        if (g && !(generations = json_dumps(g, JSON_COMPACT | JSON_SORT_KEYS)))
                return -ENOMEM;
        if (a && !(apps = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS)))
                return -ENOMEM;
        if (!checkin_differs(manifest, orbit_db_cell(device, 0, 5)) &&
            !checkin_differs(generations, orbit_db_cell(device, 0, 6)) &&
            !checkin_differs(apps, orbit_db_cell(device, 0, 7)))
                return 0;
        return orbit_db_queryv(o->db, NULL,
                               "UPDATE devices SET manifest = COALESCE(?, manifest), generations = COALESCE(?, generations),"
                               " apps = COALESCE(?, apps) WHERE id = ?",
                               (const char *const[]){ manifest, generations, apps, ID(req->who.device_id) }, 4);
}

int api_device_checkin(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult device = { 0 };
        const char *manifest = json_string_value(json_object_get(req->body, "manifest"));
        int64_t wait = json_integer_value(json_object_get(req->body, "wait")), deployment = 0;
        json_t *answer = NULL;
        uint64_t sequence = orbit_waiters_sequence(o->waiters);
        bool first = req->poll_deadline_ms == 0; /* the first look, not a resumed wait */
        int q;

        if (!first && req->checkin_row.n_rows == 1) { /* read for it by the wake (orbit_checkin_wake()) */
                device = req->checkin_row;
                req->checkin_row = (OrbitDbResult){ 0 };
                q = 0;
        } else
                q = checkin_device_row(o, req, manifest, &device);
        if (q >= 0 && first)
                q = checkin_store_state(o, req, &device, manifest);
        if (q >= 0)
                q = checkin_offer(o, req, &device, manifest, &answer);
        deployment = q >= 0 ? orbit_db_cell_int(&device, 0, 0) : 0;
        if (q == -ENOENT) /* deleted by an owner since the signature was checked */
                return orbit_fail(req, 401, "unknown device");
        if (q < 0) {
                json_decref(answer);
                return orbit_fail_db(o, req, q, "check-in");
        }
        /* queued commands go out at once, with whatever else there is */
        if (orbit_db_cell_int(&device, 0, 9) > 0) {
                json_t *commands = NULL;
                q = orbit_commands_deliver(o, req->who.device_id, &commands);
                if (q < 0) {
                        json_decref(answer);
                        return orbit_fail_db(o, req, q, "check-in");
                }
                if (commands) {
                        if (!answer)
                                answer = json_pack("{s:n}", "target");
                        json_object_set_new(answer, "commands", commands);
                }
        }
        /* a manifest the server has not seen: ask for it now, without waiting */
        if (manifest && first && orbit_db_cell_int(&device, 0, 11) == 0) {
                if (!answer)
                        answer = json_pack("{s:n}", "target");
                json_object_set_new(answer, "upload_manifest", json_true());
        }
        if (answer)
                return orbit_answer(req, 200, answer);
        if (wait > 0 && first)
                req->poll_deadline_ms = now_ms() + (uint64_t)wait * 1000;
        /* woken by news for another device of the deployment: wait on until the deadline */
        if (wait > 0 && now_ms() < req->poll_deadline_ms) {
                if (orbit_waiters_add(o->waiters, req, deployment, sequence))
                        return 0;
                orbit_db_result_clear(&device);
                q = checkin_device_row(o, req, manifest, &device);
                if (q >= 0)
                        q = checkin_offer(o, req, &device, manifest, &answer);
                if (q == -ENOENT)
                        return orbit_fail(req, 401, "unknown device");
                if (q < 0)
                        return orbit_fail_db(o, req, q, "check-in");
                if (answer)
                        return orbit_answer(req, 200, answer);
        }
        return orbit_answer(req, 200, json_pack("{s:n}", "target"));
}

int api_device_progress(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        const char *state = json_string_value(json_object_get(req->body, "state"));
        const char *reason = json_string_value(json_object_get(req->body, "reason"));
        int64_t release = json_integer_value(json_object_get(req->body, "release"));
        bool known = false, changed = false;
        int q;

        for (size_t i = 0; i < ELEMENTSOF(progress_states); i++)
                known = known || strcmp(state, progress_states[i]) == 0;
        if (!known)
                return orbit_fail(req, 400,
                                  "field \"state\" must be downloading, installed, booted, confirmed or failed");
        if (!reason)
                reason = "";
        q = orbit_db_query(o->db, &r, "SELECT id FROM releases WHERE id = ? AND org_id = ?", ID(release),
                           ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "progress");
        if (r.n_rows == 0)
                return orbit_fail(req, 404, "no such release");
        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, NULL,
                                   "INSERT INTO reports (device_id, release_id, state, reason, at) VALUES (?, ?, ?, ?, ?)",
                                   ID(req->who.device_id), ID(release), state, reason, ID(orbit_now()));
        if (q >= 0)
                q = orbit_db_query(o->db, NULL,
                                   "INSERT INTO progress (device_id, release_id, state, reason, updated)"
                                   " VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id, release_id) DO UPDATE"
                                   " SET state = excluded.state, reason = excluded.reason, updated = excluded.updated",
                                   ID(req->who.device_id), ID(release), state, reason, ID(orbit_now()));
        if (q >= 0) {
                orbit_db_result_clear(&r);
                q = orbit_db_query(o->db, &r, "SELECT deployment_id FROM devices WHERE id = ?", ID(req->who.device_id));
        }
        if (q >= 0 && r.n_rows > 0)
                q = rollout_event(o, orbit_db_cell_int(&r, 0, 0), ROLLOUT_REPORT, &changed);
        if (q >= 0)
                q = orbit_db_commit(o->db);
        if (q < 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail_db(o, req, q, "progress");
        }
        if (changed)
                orbit_waiters_wake(o->waiters, orbit_db_cell_int(&r, 0, 0));
        return orbit_answer(req, 200, json_pack("{s:I,s:s}", "release", (json_int_t)release, "state", state));
}

/* A store file as the answer, from offset on if the request asked for "bytes=N-". */
static int store_answer_file(OrbitRequest *req, int fd) {
        const char *range = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
        struct stat st;
        uint64_t offset = 0;
        char content_range[96];

        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return orbit_fail(req, 404, "no such file in the store");
        }
        if (range && strncmp(range, "bytes=", 6) == 0 && range[6] >= '0' && range[6] <= '9') {
                char *end;
                offset = strtoull(range + 6, &end, 10);
                if (strcmp(end, "-") != 0)
                        offset = 0; /* a form we do not serve: the whole file */
                else if (offset >= (uint64_t)st.st_size) {
                        close(fd);
                        orbit_fail(req, 416, "range starts past the end of the file");
                        snprintf(content_range, sizeof(content_range), "bytes */%lld", (long long)st.st_size);
                        return 0;
                }
        }
        req->response = MHD_create_response_from_fd_at_offset64((uint64_t)st.st_size - offset, fd, offset);
        if (!req->response) {
                close(fd);
                return orbit_fail(req, 500, "out of memory");
        }
        MHD_add_response_header(req->response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
        req->status = 200;
        if (offset > 0) {
                snprintf(content_range, sizeof(content_range), "bytes %llu-%llu/%llu", (unsigned long long)offset,
                         (unsigned long long)st.st_size - 1, (unsigned long long)st.st_size);
                MHD_add_response_header(req->response, MHD_HTTP_HEADER_CONTENT_RANGE, content_range);
                req->status = 206;
        }
        return 0;
}

int api_device_store(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        const char *rest = req->rest;
        int q;

        if (strncmp(rest, "refs/release-", 13) == 0) {
                StoreRef ref = { 0 };
                _cleanup_free_ char *text = NULL;
                q = orbit_db_query(o->db, &r,
                                   "SELECT r.manifest, r.signatures FROM releases r JOIN deployments e ON e.target = r.id"
                                   " JOIN devices d ON d.deployment_id = e.id WHERE d.id = ? AND r.id = ?",
                                   ID(req->who.device_id), rest + 13);
                if (q < 0)
                        return orbit_fail_db(o, req, q, "store");
                if (r.n_rows == 0)
                        return orbit_fail(req, 404, "no such ref for this device");
                if (sha256_from_hex(orbit_db_cell(&r, 0, 0), &ref.manifest) < 0 ||
                    sha256_from_hex(orbit_db_cell(&r, 0, 1), &ref.signatures) < 0)
                        return orbit_fail(req, 500, "a release's digest is malformed");
                ref.has_signatures = true;
                if (store_ref_format(&ref, &text) < 0)
                        return orbit_fail(req, 500, "out of memory");
                req->response = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_COPY);
                if (!req->response)
                        return orbit_fail(req, 500, "out of memory");
                MHD_add_response_header(req->response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
                req->status = 200;
                return 0;
        }
        if (strncmp(rest, "objects/", 8) == 0 && strlen(rest) == 8 + 2 + 1 + 62 && rest[10] == '/') {
                char digest[65];
                _cleanup_free_ char *path = NULL;
                int fd;

                memcpy(digest, rest + 8, 2);
                memcpy(digest + 2, rest + 11, 62);
                digest[64] = '\0';
                if (!hex_is_sha256(digest))
                        return orbit_fail(req, 404, "no such object");
                q = orbit_db_query(o->db, &r,
                                   "SELECT 1 FROM release_objects o JOIN deployments e ON e.target = o.release_id"
                                   " JOIN devices d ON d.deployment_id = e.id WHERE d.id = ? AND o.digest = ?",
                                   ID(req->who.device_id), digest);
                if (q < 0)
                        return orbit_fail_db(o, req, q, "store");
                if (r.n_rows == 0)
                        return orbit_fail(req, 404, "no such object for this device");
                if (store_object_path(o->store, digest, &path) < 0)
                        return orbit_fail(req, 404, "no such object");
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0)
                        return orbit_fail(req, 404, "no such object in the store");
                return store_answer_file(req, fd);
        }
        return orbit_fail(req, 404, "no such file in the store");
}

/* The running manifest a device uploads when check-in asks: it must be the one the device
 * reported, and a valid manifest. Kept in the store; another organisation never sees it. */
int api_device_manifest_upload(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult d = { 0 };
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_free_ unsigned char *dtb = NULL;
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *tmp = NULL;
        const char *text = json_string_value(json_object_get(req->body, "dtb"));
        size_t len = strlen(text);
        Sha256Digest digest;
        char hex[65];
        ManifestError merr;
        char why[300];
        int n, q;

        q = orbit_db_query(o->db, &d, "SELECT manifest FROM devices WHERE id = ?", ID(req->who.device_id));
        if (q < 0 || d.n_rows == 0)
                return orbit_fail_db(o, req, q, "manifest");
        if (len % 4 != 0 || len == 0)
                return orbit_fail(req, 400, "field \"dtb\" must be base64");
        dtb = malloc(len / 4 * 3 + 1);
        if (!dtb)
                return orbit_fail(req, 500, "out of memory");
        n = EVP_DecodeBlock(dtb, (const unsigned char *)text, (int)len);
        if (n < 0 || strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != len)
                return orbit_fail(req, 400, "field \"dtb\" must be base64");
        n -= (len >= 1 && text[len - 1] == '=') + (len >= 2 && text[len - 2] == '=');
        if (sha256_buffer(dtb, (size_t)n, &digest) < 0)
                return orbit_fail(req, 500, "cannot hash");
        sha256_to_hex(&digest, hex);
        if (!orbit_db_cell(&d, 0, 0) || strcmp(orbit_db_cell(&d, 0, 0), hex) != 0)
                return orbit_fail(req, 400, "this is not the manifest the device reported running (%s)", hex);
        if (manifest_parse(&m, dtb, (size_t)n, &merr) < 0) {
                manifest_error_format(&merr, why, sizeof(why));
                return orbit_fail(req, 400, "invalid manifest: %s", why);
        }
        q = store_tmp_create(o->store, "orbit-manifest", &fd, &tmp);
        if (q >= 0)
                q = write_full(fd, dtb, (size_t)n);
        if (q >= 0)
                q = store_object_publish(o->store, tmp, hex, NULL);
        if (q < 0) {
                if (tmp)
                        (void)unlink(tmp);
                return orbit_fail(req, 500, "cannot store the manifest: %s", strerror(-q));
        }
        q = orbit_db_query(o->db, NULL,
                           "INSERT INTO device_manifests (org_id, digest) VALUES (?, ?) ON CONFLICT (org_id, digest) DO NOTHING",
                           ID(req->org_id), hex);
        if (q < 0)
                return orbit_fail_db(o, req, q, "manifest");
        return orbit_answer(req, 200, json_pack("{s:s}", "manifest", hex));
}

int api_device_manifest_get(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult d = { 0 };
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_free_ char *dtb = NULL, *dot = NULL;
        json_t *rendered = NULL;
        size_t size, dot_size = 0;
        FILE *f;
        int q;

        q = orbit_db_query(o->db, &d,
                           "SELECT d.manifest FROM devices d JOIN device_manifests m ON m.org_id = d.org_id AND"
                           " m.digest = d.manifest WHERE d.id = ? AND d.org_id = ?", ID(req->ids[1]), ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "device manifest");
        if (d.n_rows == 0)
                return orbit_fail(req, 404, "no such device, or its running manifest was not uploaded yet");
        if (store_object_read(o->store, orbit_db_cell(&d, 0, 0), MANIFEST_MAX_SIZE, &dtb, &size) != 0 ||
            manifest_parse(&m, dtb, size, NULL) < 0 || manifest_render_json(m, &rendered) < 0)
                return orbit_fail(req, 500, "the device's manifest cannot be read from the store");
        f = open_memstream(&dot, &dot_size);
        if (!f || manifest_render_dot(m, f) < 0) {
                if (f)
                        fclose(f);
                json_decref(rendered);
                return orbit_fail(req, 500, "cannot render the manifest graph");
        }
        fclose(f);
        return orbit_answer(req, 200, json_pack("{s:I,s:s,s:o,s:s}", "device", (json_int_t)req->ids[1], "manifest",
                                                orbit_db_cell(&d, 0, 0), "manifest_content", rendered, "dot", dot));
}

// SPDX-License-Identifier: Apache-2.0
/*
 * The command queue: owners queue commands for a device (remote tracing: start or stop
 * tracing an app, upload a trace); the device receives them at its next (or current,
 * long-polling) check-in and reports each one's result; a trace it uploads is kept in the
 * store and downloaded by the organisation's users.
 *
 *     queued ──check-in──> delivered ──device reports──> done | failed (reason)
 *
 * Invariants:
 *  1. A command is delivered once: the check-in that takes it marks it delivered in the
 *     same statement (UPDATE … RETURNING).
 *  2. A trace is accepted only for a delivered trace-upload command of the same device,
 *     at most ORBIT_TRACE_MAX bytes; its bytes go to the store under their digest.
 *  3. Everything is selected by organisation (orbit.h invariant 2): another organisation's
 *     commands and traces are not found.
 *  4. A trace is converted to Chrome/Perfetto JSON by the converter `kos trace json` uses,
 *     only after trace_file_parse() accepted it whole: bytes that are not a trace file get
 *     a 422 naming what is wrong, and no partial JSON is ever sent. The conversion holds
 *     no database connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "orbit/api.h"
#include "store/store.h"
#include "trace/convert.h"
#include "trace/file.h"
#include "util/cleanup.h"
#include "util/fileio.h"

static const char *const command_kinds[] = { "trace-start", "trace-stop", "trace-upload" };
static const char *const command_names[] = { "id", "command", "app", "state", "reason", "created", "updated" };

int orbit_commands_deliver(Orbit *o, int64_t device, json_t **commandsp) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        static const char *const names[] = { "id", "command", "app" };
        int q;

        /* most check-ins find nothing queued: look before writing (a write costs a sync) */
        *commandsp = NULL;
        q = orbit_db_query(o->db, &r, "SELECT 1 FROM commands WHERE device_id = ? AND state = 'queued' LIMIT 1",
                           ID(device));
        if (q < 0 || r.n_rows == 0)
                return q;
        orbit_db_result_clear(&r);
        q = orbit_db_query(o->db, &r,
                               "UPDATE commands SET state = 'delivered', updated = ? WHERE device_id = ? AND"
                               " state = 'queued' RETURNING id, kind, app", ID(orbit_now()), ID(device));
        if (q < 0)
                return q;
        *commandsp = r.n_rows > 0 ? orbit_rows_json(&r, names, "iss") : NULL;
        return 0;
}

/* The device ids[1] of the organisation, its deployment in *deploymentp; or a 404 answer. */
static bool command_device(Orbit *o, OrbitRequest *req, int64_t *deploymentp) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q = orbit_db_query(o->db, &r, "SELECT deployment_id FROM devices WHERE id = ? AND org_id = ?", ID(req->ids[1]),
                               ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "device"), false;
        if (r.n_rows == 0)
                return orbit_fail(req, 404, "no such device"), false;
        if (deploymentp)
                *deploymentp = orbit_db_cell_int(&r, 0, 0);
        return true;
}

int api_commands_list(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q;

        if (!command_device(o, req, NULL))
                return 0;
        q = orbit_db_query(o->db, &r,
                           "SELECT id, kind, app, state, reason, created, updated FROM commands WHERE device_id = ? AND"
                           " org_id = ? ORDER BY id", ID(req->ids[1]), ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "commands");
        return orbit_answer(req, 200, json_pack("{s:o}", "commands", orbit_rows_json(&r, command_names, "isssssi")));
}

int api_command_queue(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        const char *kind = json_string_value(json_object_get(req->body, "command"));
        const char *app = json_string_value(json_object_get(req->body, "app"));
        int64_t deployment;
        bool known = false;
        int q;

        for (size_t i = 0; i < ELEMENTSOF(command_kinds); i++)
                known = known || strcmp(kind, command_kinds[i]) == 0;
        if (!known)
                return orbit_fail(req, 400, "field \"command\" must be trace-start, trace-stop or trace-upload");
        if (!command_device(o, req, &deployment))
                return 0;
        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, &r,
                                   "INSERT INTO commands (org_id, device_id, kind, app, state, reason, created, updated)"
                                   " VALUES (?, ?, ?, ?, 'queued', '', ?, ?) RETURNING id", ID(req->org_id),
                                   ID(req->ids[1]), kind, app, ID(orbit_now()), ID(orbit_now()));
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "command.queue", "%s %s on device %s", kind, app, ID(req->ids[1]));
        if (q >= 0)
                q = orbit_db_commit(o->db);
        if (q < 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail_db(o, req, q, "command");
        }
        orbit_waiters_wake(o->waiters, deployment);
        return orbit_answer(req, 201, json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)orbit_db_cell_int(&r, 0, 0),
                                                "command", kind, "app", app, "state", "queued"));
}

int api_device_command_result(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        const char *state = json_string_value(json_object_get(req->body, "state"));
        const char *reason = json_string_value(json_object_get(req->body, "reason"));
        int q;

        if (strcmp(state, "done") != 0 && strcmp(state, "failed") != 0)
                return orbit_fail(req, 400, "field \"state\" must be done or failed");
        q = orbit_db_query(o->db, &r,
                           "UPDATE commands SET state = ?, reason = ?, updated = ? WHERE id = ? AND device_id = ? AND"
                           " state = 'delivered'", state, reason ? reason : "", ID(orbit_now()), ID(req->ids[0]),
                           ID(req->who.device_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "command");
        if (r.changes == 0)
                return orbit_fail(req, 404, "no such delivered command for this device");
        return orbit_answer(req, 200, json_pack("{s:I,s:s}", "id", (json_int_t)req->ids[0], "state", state));
}

int api_device_trace_upload(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult c = { 0 }, r = { 0 };
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *tmp = NULL;
        Sha256Digest digest;
        char hex[65];
        int q;

        q = orbit_db_query(o->db, &c,
                           "SELECT id FROM commands WHERE id = ? AND device_id = ? AND kind = 'trace-upload' AND"
                           " state = 'delivered'", ID(req->ids[0]), ID(req->who.device_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "trace");
        if (c.n_rows == 0)
                return orbit_fail(req, 404, "no such delivered trace-upload command for this device");
        q = store_tmp_create(o->store, "orbit-trace", &fd, &tmp);
        if (q >= 0)
                q = write_full(fd, req->raw ? req->raw : "", req->raw_size);
        if (q >= 0)
                q = store_object_publish(o->store, tmp, NULL, &digest);
        if (q < 0) {
                if (tmp)
                        (void)unlink(tmp);
                return orbit_fail(req, 500, "cannot store the trace: %s", strerror(-q));
        }
        sha256_to_hex(&digest, hex);
        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, &r,
                                   "INSERT INTO traces (org_id, device_id, command_id, digest, size, created)"
                                   " VALUES (?, ?, ?, ?, ?, ?) RETURNING id", ID(req->org_id), ID(req->who.device_id),
                                   ID(req->ids[0]), hex, ID((int64_t)req->raw_size), ID(orbit_now()));
        if (q >= 0)
                q = orbit_db_query(o->db, NULL, "UPDATE commands SET state = 'done', updated = ? WHERE id = ?",
                                   ID(orbit_now()), ID(req->ids[0]));
        if (q >= 0)
                q = orbit_db_commit(o->db);
        if (q < 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail_db(o, req, q, "trace");
        }
        return orbit_answer(req, 201, json_pack("{s:I,s:s,s:I}", "trace", (json_int_t)orbit_db_cell_int(&r, 0, 0),
                                                "digest", hex, "size", (json_int_t)req->raw_size));
}

static const char *const trace_names[] = { "id", "command", "digest", "size", "created" };

int api_traces_list(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q;

        if (!command_device(o, req, NULL))
                return 0;
        q = orbit_db_query(o->db, &r,
                           "SELECT id, command_id, digest, size, created FROM traces WHERE device_id = ? AND org_id = ?"
                           " ORDER BY id", ID(req->ids[1]), ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "traces");
        return orbit_answer(req, 200, json_pack("{s:o}", "traces", orbit_rows_json(&r, trace_names, "iisii")));
}

int api_trace_download(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        _cleanup_free_ char *path = NULL;
        struct stat st;
        int fd, q;

        q = orbit_db_query(o->db, &r, "SELECT digest FROM traces WHERE id = ? AND org_id = ?", ID(req->ids[1]),
                           ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "trace");
        if (r.n_rows == 0)
                return orbit_fail(req, 404, "no such trace");
        if (store_object_path(o->store, orbit_db_cell(&r, 0, 0), &path) < 0)
                return orbit_fail(req, 500, "a trace's digest is malformed");
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                if (fd >= 0)
                        close(fd);
                return orbit_fail(req, 500, "the trace is missing from the store");
        }
        req->response = MHD_create_response_from_fd((size_t)st.st_size, fd);
        if (!req->response) {
                close(fd);
                return orbit_fail(req, 500, "out of memory");
        }
        MHD_add_response_header(req->response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
        req->status = 200;
        return 0;
}

int api_trace_json(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        _cleanup_(trace_file_freep) TraceFile *file = NULL;
        _cleanup_free_ char *data = NULL;
        char *json = NULL, err[200];
        size_t size, json_size = 0;
        FILE *f;
        int q;

        q = orbit_db_query(o->db, &r, "SELECT digest FROM traces WHERE id = ? AND org_id = ?", ID(req->ids[1]),
                           ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "trace");
        if (r.n_rows == 0)
                return orbit_fail(req, 404, "no such trace");
        /* reading and converting up to 16 MiB needs no database: let other requests have it */
        orbit_db_unlock(o->db);
        q = store_object_read(o->store, orbit_db_cell(&r, 0, 0), ORBIT_TRACE_MAX, &data, &size) != 0 ? -EIO
            : trace_file_parse(&file, data, size, err, sizeof(err)) < 0 ? -EBADMSG : 0;
        if (q == 0) {
                f = open_memstream(&json, &json_size);
                q = f ? trace_convert_json(file, f, NULL) : -ENOMEM;
                if (f && fclose(f) != 0 && q >= 0)
                        q = -ENOMEM;
        }
        orbit_db_lock(o->db);
        if (q == -EIO)
                return orbit_fail(req, 500, "the trace is missing from the store");
        if (q == -EBADMSG)
                return orbit_fail(req, 422, "trace %s is not a valid trace file: %s", ID(req->ids[1]), err);
        if (q < 0) {
                free(json);
                return orbit_fail(req, 500, "cannot convert trace %s: %s", ID(req->ids[1]), strerror(-q));
        }
        req->response = MHD_create_response_from_buffer(json_size, json, MHD_RESPMEM_MUST_FREE);
        if (!req->response) {
                free(json);
                return orbit_fail(req, 500, "out of memory");
        }
        MHD_add_response_header(req->response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        req->status = 200;
        return 0;
}

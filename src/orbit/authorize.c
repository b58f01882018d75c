// SPDX-License-Identifier: Apache-2.0
/*
 * The one authorization decision (orbit.h invariant 1).
 *
 *     route access   no credentials   device        user, not member   user role   owner
 *     PUBLIC         allow            allow         allow              allow       allow
 *     SELF           401              401           allow              allow       allow
 *     VIEW           401              401           404                allow       allow
 *     CHANGE         401              401           404                403         allow
 *     DEVICE         401              allow         401                401         401
 *     DOWNLOAD       401              401           401                401         401
 *     (DOWNLOAD allows only a download token, which check-in hands to a signed device)
 *
 * 404, not 403, for a non-member: an organisation one does not belong to does not exist
 * for one, and its objects are not found either (invariant 2 makes handlers select by the
 * authorized organisation).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "orbit/orbit.h"

unsigned orbit_authorize(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        const OrbitRoute *route = req->route;
        char org[24], user[24];
        int q;

        switch (route->access) {
        case ORBIT_ACCESS_PUBLIC:
                return 0;
        case ORBIT_ACCESS_DEVICE:
                if (req->who.kind == ORBIT_PRINCIPAL_DEVICE)
                        return 0;
                if (req->who.kind != ORBIT_PRINCIPAL_NONE)
                        return orbit_fail(req, 401, "this endpoint is for devices: sign the request with the device key"), 401;
                return orbit_fail(req, 401, "this endpoint needs a device signature"), 401;
        case ORBIT_ACCESS_DOWNLOAD:
                if (req->who.kind == ORBIT_PRINCIPAL_DOWNLOAD)
                        return 0;
                return orbit_fail(req, 401, "the store needs the download token a check-in gave"), 401;
        case ORBIT_ACCESS_SELF:
        case ORBIT_ACCESS_VIEW:
        case ORBIT_ACCESS_CHANGE:
                break;
        }
        if (req->who.kind == ORBIT_PRINCIPAL_DEVICE || req->who.kind == ORBIT_PRINCIPAL_DOWNLOAD)
                return orbit_fail(req, 401, "this endpoint is for users: device credentials are not accepted"), 401;
        if (req->who.kind != ORBIT_PRINCIPAL_USER)
                return orbit_fail(req, 401, "this endpoint needs \"Authorization: Bearer TOKEN\""), 401;
        if (route->access == ORBIT_ACCESS_SELF)
                return 0;

        snprintf(org, sizeof(org), "%" PRId64, req->ids[0]);
        snprintf(user, sizeof(user), "%" PRId64, req->who.user_id);
        orbit_db_lock(o->db);
        q = orbit_db_query(o->db, &r, "SELECT role FROM members WHERE org_id = ? AND user_id = ?", org, user);
        orbit_db_unlock(o->db);
        if (q < 0)
                return orbit_fail_db(o, req, q, "membership lookup"), 500;
        if (r.n_rows == 0)
                return orbit_fail(req, 404, "no such organisation"), 404;
        if (route->access == ORBIT_ACCESS_CHANGE && strcmp(orbit_db_cell(&r, 0, 0), "owner") != 0)
                return orbit_fail(req, 403, "this needs the owner role in the organisation"), 403;
        req->org_id = req->ids[0];
        return 0;
}

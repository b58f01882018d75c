// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target: the DTB manifest parser. Any input must parse into a valid model or be
 * rejected with an error; a parsed model must render and list its objects.
 */
#include <stdio.h>

#include "manifest/manifest.h"
#include "manifest/render.h"
#include "util/strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_strv_free_ char **objects = NULL;
        ManifestError err;
        json_t *json = NULL;
        FILE *devnull;

        if (manifest_parse(&m, data, size, &err) < 0)
                return 0;
        if (manifest_objects(m, &objects) < 0)
                abort();
        if (manifest_render_json(m, &json) < 0)
                abort();
        json_decref(json);
        devnull = fopen("/dev/null", "w");
        if (devnull) {
                manifest_render_text(m, devnull);
                manifest_render_dot(m, devnull);
                fclose(devnull);
        }
        return 0;
}

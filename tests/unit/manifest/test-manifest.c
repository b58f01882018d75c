// SPDX-License-Identifier: Apache-2.0
/* Manifest v1 model: values as written, defaults, lookups, access matrix, objects. */
#include <unistd.h>

#include "manifest/manifest.h"
#include "manifest/source.h"
#include "test.h"
#include "util/fileio.h"
#include "util/strv.h"

#define D1 "1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "3333333333333333333333333333333333333333333333333333333333333333"

static const char full[] =
        "/dts-v1/;\n"
        "/ {\n"
        "  compatible = \"kos,manifest-v1\";\n"
        "  version = <7>;\n"
        "  description = \"weather station 1.2\";\n"
        "  persistent-boot;\n"
        "  boot { kernel = \"" D1 "\"; initrd = \"" D2 "\"; cmdline = \"console=ttyS0\"; };\n"
        "  components {\n"
        "    base { sha256 = \"" D3 "\"; format = \"squashfs\"; };\n"
        "    site { sha256 = \"" D1 "\"; format = \"erofs\"; encryption-key = \"disk\"; };\n"
        "  };\n"
        "  apps {\n"
        "    ethernet { path = \"/usr/lib/kos/ethernet\"; args = \"--iface\", \"eth0\";\n"
        "               env = \"MTU=1500\", \"LOG_LEVEL=info\"; msg_servers = \"core\";\n"
        "               restart = \"permanent\"; ready = \"notify\";\n"
        "               aux_device_setup_script = \"/usr/lib/kos/eth-clock.sh\"; };\n"
        "    tunnel { image = \"" D2 "\"; msg_servers = \"core\"; restart = \"transient\"; };\n"
        "    hello-phx { path = \"/bin/hello\"; msg_servers = \"core\"; restart = \"temporary\"; };\n"
        "    admin { path = \"/bin/admin\"; msg_servers = \"core\", \"secure\"; };\n"
        "  };\n"
        "  supervision {\n"
        "    ethernet = \"tunnel\", \"hello-phx\", \"admin\";\n"
        "    tunnel = \"hello-phx\", \"admin\";\n"
        "  };\n"
        "  msg_servers {\n"
        "    core { dir_access_control { weather { publish = \"hello-phx\"; lookup = \"admin\"; }; }; };\n"
        "    secure { dir_access_control { orbit { publish = \"admin\"; lookup = \"tunnel\"; }; }; };\n"
        "  };\n"
        "  key_store {\n"
        "    orbit-identity { type = \"ed25519\"; apps = \"admin\"; };\n"
        "    vpn { type = \"ed25519\"; apps = \"tunnel\"; };\n"
        "  };\n"
        "  node-manager { restart-intensity = <3>; restart-period-ms = <2000>; start-timeout-ms = <0>; };\n"
        "};\n";

static Manifest *compile(const char *dts, ManifestError *err, int *rp) {
        char path[] = "/tmp/kos-test-manifest.XXXXXX";
        _cleanup_free_ char *dtb = NULL, *dtc_error = NULL;
        Manifest *m = NULL;
        size_t size;
        int fd = mkstemp(path);

        CHECK(fd >= 0);
        CHECK_OK(write_full(fd, dts, strlen(dts)));
        close(fd);
        CHECK_OK(manifest_compile_dts(path, &dtb, &size, &dtc_error));
        unlink(path);
        *rp = manifest_parse(&m, dtb, size, err);
        return m;
}

TEST(full_example_model) {
        ManifestError err;
        int r;
        _cleanup_(manifest_freep) Manifest *m = compile(full, &err, &r);
        _cleanup_strv_free_ char **objects = NULL;

        if (r < 0)
                TEST_FAIL("parse: %s/%s: %s", err.node, err.property, err.message);
        CHECK_EQ_INT(m->version, 7);
        CHECK_EQ_STR(m->description, "weather station 1.2");
        CHECK(m->persistent_boot);
        CHECK(m->boot);
        CHECK_EQ_STR(m->boot->kernel, D1);
        CHECK_EQ_STR(m->boot->cmdline, "console=ttyS0");
        CHECK_EQ_INT(m->n_components, 2);
        CHECK_EQ_STR(m->components[1].encryption_key, "disk");
        CHECK(!m->components[0].encryption_key);

        CHECK_EQ_INT(m->n_apps, 4);
        CHECK_EQ_STR(m->apps[0].name, "ethernet");
        CHECK_EQ_STR(m->apps[3].name, "admin");
        CHECK_EQ_INT(m->apps[2].index, 2);
        CHECK_EQ_INT(strv_length(m->apps[0].args), 2);
        CHECK_EQ_STR(m->apps[0].env[1], "LOG_LEVEL=info");
        CHECK_EQ_INT(m->apps[0].ready, MANIFEST_READY_NOTIFY);
        CHECK_EQ_INT(m->apps[1].restart, MANIFEST_RESTART_TRANSIENT);
        CHECK_EQ_INT(m->apps[2].restart, MANIFEST_RESTART_TEMPORARY);
        CHECK_EQ_INT(m->apps[3].restart, MANIFEST_RESTART_PERMANENT);
        CHECK_EQ_INT(m->apps[3].ready, MANIFEST_READY_STARTED);
        CHECK(!m->apps[1].path);
        CHECK_EQ_STR(m->apps[1].image, D2);
        CHECK_EQ_INT(strv_length(m->apps[3].args), 0);

        CHECK_EQ_INT(strv_length(manifest_find_supervision(m, "ethernet")->dependents), 3);
        CHECK(!manifest_find_supervision(m, "admin"));

        CHECK(manifest_app_may_publish(m, "core", "weather", "hello-phx"));
        CHECK(!manifest_app_may_publish(m, "core", "weather", "admin"));
        CHECK(manifest_app_may_lookup(m, "core", "weather", "admin"));
        CHECK(!manifest_app_may_lookup(m, "core", "weather", "tunnel"));
        CHECK(manifest_app_may_publish(m, "secure", "orbit", "admin"));
        /* tunnel is in the matrix but does not list the instance: no access. */
        CHECK(!manifest_app_may_lookup(m, "secure", "orbit", "tunnel"));
        CHECK(!manifest_app_may_lookup(m, "core", "orbit", "admin"));

        CHECK_EQ_INT(m->node_manager.restart_intensity, 3);
        CHECK_EQ_INT(m->node_manager.restart_period_ms, 2000);
        CHECK_EQ_INT(m->node_manager.settle_time_ms, 10000);
        CHECK_EQ_INT(m->node_manager.start_timeout_ms, 0);

        CHECK_OK(manifest_objects(m, &objects));
        CHECK_EQ_INT(strv_length(objects), 3); /* D1, D2, D3 once each */
        CHECK_EQ_STR(objects[0], D1);
        CHECK_EQ_STR(objects[1], D2);
        CHECK_EQ_STR(objects[2], D3);
}

TEST(minimal_defaults) {
        ManifestError err;
        int r;
        _cleanup_(manifest_freep) Manifest *m =
                compile("/dts-v1/; / { compatible = \"kos,manifest-v1\"; version = <1>; };", &err, &r);

        CHECK_OK(r);
        CHECK_EQ_INT(m->n_apps, 0);
        CHECK(!m->boot);
        CHECK(!m->persistent_boot);
        CHECK_EQ_STR(m->description, "");
        CHECK_EQ_INT(m->node_manager.restart_intensity, 5);
        CHECK_EQ_INT(m->node_manager.restart_period_ms, 10000);
        CHECK_EQ_INT(m->node_manager.start_timeout_ms, 90000);
}

TEST(error_locates_node_and_property) {
        ManifestError err;
        char line[600];
        int r;
        _cleanup_(manifest_freep) Manifest *m = compile(
                "/dts-v1/; / { compatible = \"kos,manifest-v1\"; version = <1>;"
                " apps { a { path = \"/a\"; }; }; supervision { a = \"tunell\"; }; };",
                &err, &r);

        CHECK_EQ_INT(r, -EBADMSG);
        CHECK(!m);
        CHECK_EQ_STR(err.node, "supervision");
        CHECK_EQ_STR(err.property, "a");
        manifest_error_format(&err, line, sizeof(line));
        CHECK_EQ_STR(line, "supervision/a: unknown app \"tunell\"");
}

TEST(digest_is_sha256_of_dtb) {
        ManifestError err;
        int r;
        _cleanup_(manifest_freep) Manifest *m = compile(full, &err, &r);
        Sha256Digest zero = {};

        CHECK_OK(r);
        CHECK(!sha256_equal(&m->digest, &zero));
}

TEST(truncated_and_oversized_blobs) {
        ManifestError err;
        char path[] = "/tmp/kos-test-manifest.XXXXXX";
        _cleanup_free_ char *dtb = NULL, *dtc_error = NULL;
        static char big[MANIFEST_MAX_SIZE + 1];
        Manifest *bad = NULL;
        size_t size;
        int fd = mkstemp(path);

        CHECK(fd >= 0);
        CHECK_OK(write_full(fd, full, strlen(full)));
        close(fd);
        CHECK_OK(manifest_compile_dts(path, &dtb, &size, &dtc_error));
        unlink(path);
        for (size_t cut = 0; cut < size; cut += 7)
                CHECK_EQ_INT(manifest_parse(&bad, dtb, cut, &err), -EBADMSG);
        CHECK_EQ_INT(manifest_parse(&bad, big, sizeof(big), &err), -EFBIG);
        CHECK(!bad);
}

TEST_MAIN()

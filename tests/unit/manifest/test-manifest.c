// SPDX-License-Identifier: Apache-2.0
/* Manifest v1 model: values as written, defaults, lookups, access matrix, objects. */
#include <unistd.h>

#include <libfdt.h>

#include "manifest/manifest.h"
#include "manifest/source.h"
#include "test.h"
#include "util/fileio.h"
#include "util/strv.h"

#define D1 "1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "3333333333333333333333333333333333333333333333333333333333333333"

/*
 * Wrapped data keys (docs/sealing.md) made with another AES-GCM under 32 bytes of 0x42:
 * 64 bytes for component "site", 64 for "base", 32 for "site".
 */
#define WRAP_SITE \
        "[" "6b 6f 73 2d 77 72 61 70 01 0e 00 40 63 6f 6d 70 6f 6e 65 6e 74 3a 73 69 74 65 02 02 02 02 02 02 02 02 02 02 02 02 f2 e4 "\
        "04 01 d8 f9 51 84 a5 a3 99 3a c6 eb bd f0 df 0f 03 d6 9f bc 7b c6 1f 8a 03 5d a1 83 76 3a f1 27 a8 2e 34 8c fe 76 fb 86 "\
        "84 94 f5 8e 05 37 68 4c bc 75 ee 0f 7e 4d 40 6e 32 11 34 6f a1 57 51 39 07 0d a6 04 ff 38 85 9c eb 0b 57 64 fb d5" "]"
#define WRAP_BASE \
        "[" "6b 6f 73 2d 77 72 61 70 01 0e 00 40 63 6f 6d 70 6f 6e 65 6e 74 3a 62 61 73 65 02 02 02 02 02 02 02 02 02 02 02 02 f2 e4 "\
        "04 01 d8 f9 51 84 a5 a3 99 3a c6 eb bd f0 df 0f 03 d6 9f bc 7b c6 1f 8a 03 5d a1 83 76 3a f1 27 a8 2e 34 8c fe 76 fb 86 "\
        "84 94 f5 8e 05 37 68 4c bc 75 ee 0f 7e 4d 40 6e 32 11 34 6f a1 57 d4 72 ad 2e fa 30 81 5e 05 05 4e c1 da c0 f6 ba" "]"
#define WRAP_SHORT \
        "[" "6b 6f 73 2d 77 72 61 70 01 0e 00 20 63 6f 6d 70 6f 6e 65 6e 74 3a 73 69 74 65 02 02 02 02 02 02 02 02 02 02 02 02 f2 e4 "\
        "04 01 d8 f9 51 84 a5 a3 99 3a c6 eb bd f0 df 0f 03 d6 9f bc 7b c6 1f 8a 03 5d a1 83 76 3a 22 16 9c 6c 02 5b af 0b 9c 9b "\
        "f9 54 11 7d 86 ba" "]"

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
        "    site { sha256 = \"" D1 "\"; format = \"erofs\"; encryption-key = \"disk\";\n"
        "           encryption-wrapped-key = " WRAP_SITE "; };\n"
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

/* Compiles DTS text with dtc into a DTB the caller owns. */
static char *compile_dtb(const char *dts, size_t *sizep) {
        char path[] = "/tmp/kos-test-manifest.XXXXXX";
        _cleanup_free_ char *dtc_error = NULL;
        char *dtb = NULL;
        int fd = mkstemp(path);

        CHECK(fd >= 0);
        CHECK_OK(write_full(fd, dts, strlen(dts)));
        close(fd);
        CHECK_OK(manifest_compile_dts(path, &dtb, sizep, &dtc_error));
        unlink(path);
        return dtb;
}

static Manifest *compile(const char *dts, ManifestError *err, int *rp) {
        size_t size;
        _cleanup_free_ char *dtb = compile_dtb(dts, &size);
        Manifest *m = NULL;

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
        CHECK_EQ_INT(strv_length(m->boot->init), 1);
        CHECK_EQ_STR(m->boot->init[0], "/sbin/init");
        CHECK_EQ_INT(m->n_components, 2);
        CHECK_EQ_STR(m->components[1].encryption_key, "disk");
        CHECK_EQ_STR(m->components[1].encryption_cipher, "aes-xts-plain64");
        CHECK_EQ_INT(m->components[1].encryption_sector_size, 4096);
        CHECK_EQ_INT(m->components[1].encryption_wrapped_key.size, 12 + 14 + 12 + 64 + 16);
        CHECK(memcmp(m->components[1].encryption_wrapped_key.data, "kos-wrap", 8) == 0);
        CHECK(!m->components[0].encryption_key);
        CHECK(!m->components[0].encryption_cipher);
        CHECK(!m->components[0].encryption_wrapped_key.data);
        CHECK_EQ_INT(m->components[0].encryption_sector_size, 0);

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
        /* key_store: the type's default operations; the grant is per app, key and operation. */
        CHECK_EQ_INT(strv_length(manifest_find_key(m, "vpn")->operations), 2);
        CHECK_EQ_STR(manifest_find_key(m, "vpn")->origin, "generate");
        CHECK(!manifest_key_is_imported(manifest_find_key(m, "vpn")));
        CHECK(manifest_app_may_use_key(m, "vpn", "tunnel", "sign"));
        CHECK(manifest_app_may_use_key(m, "vpn", "tunnel", "public-key"));
        CHECK(!manifest_app_may_use_key(m, "vpn", "tunnel", "import"));
        CHECK(!manifest_app_may_use_key(m, "vpn", "admin", "sign"));
        CHECK(!manifest_app_may_use_key(m, "nokey", "tunnel", "sign"));
        CHECK_EQ_STR(manifest_find_app(m, "tunnel")->key_store[0], MANIFEST_KEY_STORE_SERVICE);
        CHECK(!manifest_find_app(m, "ethernet")->key_store[0]);
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

TEST(boot_init_path_and_args) {
        ManifestError err;
        int r;
        _cleanup_(manifest_freep) Manifest *m = compile(
                "/dts-v1/; / { compatible = \"kos,manifest-v1\"; version = <1>;"
                " boot { kernel = \"" D1 "\"; init = \"/bin/sh\", \"-c\", \"\", \"echo hi\"; }; };",
                &err, &r);
        _cleanup_(manifest_freep) Manifest *relative = NULL;

        CHECK_OK(r);
        CHECK_EQ_INT(strv_length(m->boot->init), 4);
        CHECK_EQ_STR(m->boot->init[0], "/bin/sh");
        CHECK_EQ_STR(m->boot->init[2], "");
        CHECK_EQ_STR(m->boot->init[3], "echo hi");

        relative = compile("/dts-v1/; / { compatible = \"kos,manifest-v1\"; version = <1>;"
                           " boot { kernel = \"" D1 "\"; init = \"sbin/init\"; }; };",
                           &err, &r);
        CHECK_EQ_INT(r, -EBADMSG);
        CHECK(!relative);
        CHECK_EQ_STR(err.node, "boot");
        CHECK_EQ_STR(err.property, "init");
}

#define VERITY_HEAD "/dts-v1/; / { compatible = \"kos,manifest-v1\"; version = <1>; components { "

TEST(component_verity) {
        ManifestError err;
        int r;
        _cleanup_strv_free_ char **objects = NULL;
        _cleanup_(manifest_freep) Manifest *m = compile(
                VERITY_HEAD
                "base { sha256 = \"" D1 "\"; format = \"squashfs\"; verity-hash-tree = \"" D2 "\";"
                "       verity-root-hash = \"" D3 "\"; verity-salt = \"00ff\"; };"
                "site { sha256 = \"" D3 "\"; format = \"erofs\"; }; }; };",
                &err, &r);

        CHECK_OK(r);
        CHECK_EQ_STR(m->components[0].verity_hash_tree, D2);
        CHECK_EQ_STR(m->components[0].verity_root_hash, D3);
        CHECK_EQ_STR(m->components[0].verity_salt, "00ff");
        CHECK_EQ_STR(m->components[1].verity_hash_tree, "");
        CHECK(!m->components[1].verity_root_hash);
        CHECK(!m->components[1].verity_salt);
        CHECK_OK(manifest_objects(m, &objects));
        CHECK_EQ_INT(strv_length(objects), 3);
        CHECK_EQ_STR(objects[0], D1);
        CHECK_EQ_STR(objects[1], D2); /* the tree right after its image */
        CHECK_EQ_STR(objects[2], D3);
        CHECK(manifest_object_is_verity_image(m, D1));
        CHECK(!manifest_object_is_verity_image(m, D2)); /* the tree is hashed */
        CHECK(!manifest_object_is_verity_image(m, D3)); /* a plain component */
}

TEST(component_verity_shared_image_is_hashed) {
        ManifestError err;
        int r;
        _cleanup_(manifest_freep) Manifest *m = compile(
                VERITY_HEAD
                "base { sha256 = \"" D1 "\"; format = \"squashfs\"; verity-hash-tree = \"" D2 "\";"
                "       verity-root-hash = \"" D3 "\"; }; }; apps { a { image = \"" D1 "\"; }; }; };",
                &err, &r);

        CHECK_OK(r);
        CHECK_EQ_STR(m->components[0].verity_salt, "");
        CHECK(!manifest_object_is_verity_image(m, D1));
}

TEST(component_verity_errors) {
        static const struct {
                const char *props, *property, *message;
        } cases[] = {
                { "verity-hash-tree = \"" D2 "\";", "", "missing property \"verity-root-hash\"" },
                { "verity-root-hash = \"" D3 "\";", "", "missing property \"verity-hash-tree\"" },
                { "verity-salt = \"00\";", "verity-salt", "needs verity-hash-tree and verity-root-hash" },
                { "verity-hash-tree = \"" D2 "\"; verity-root-hash = \"ABC\";", "verity-root-hash",
                  "expected 64 lowercase hex digits (SHA-256)" },
                { "verity-hash-tree = \"" D2 "\"; verity-root-hash = \"" D3 "\"; verity-salt = \"0\";",
                  "verity-salt", "expected lowercase hex, at most 256 bytes" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char dts[1024];
                ManifestError err;
                int r;

                snprintf(dts, sizeof(dts), VERITY_HEAD "base { sha256 = \"" D1 "\"; format = \"squashfs\"; %s }; }; };",
                         cases[i].props);
                _cleanup_(manifest_freep) Manifest *m = compile(dts, &err, &r);
                CHECK_EQ_INT(r, -EBADMSG);
                CHECK(!m);
                CHECK_EQ_STR(err.node, "components/base");
                CHECK_EQ_STR(err.property, cases[i].property);
                CHECK_EQ_STR(err.message, cases[i].message);
        }
}

#define CRYPT_HEAD                                                                                \
        "/dts-v1/; / { compatible = \"kos,manifest-v1\"; version = <1>; components { "

TEST(component_encryption) {
        ManifestError err;
        int r;
        _cleanup_(manifest_freep) Manifest *m = compile(
                CRYPT_HEAD
                "site { sha256 = \"" D1 "\"; format = \"erofs\"; encryption-key = \"disk\";"
                "       encryption-wrapped-key = " WRAP_SITE "; encryption-cipher = \"aes-xts-plain64\";"
                "       encryption-sector-size = <512>; }; }; };",
                &err, &r);

        CHECK_OK(r);
        CHECK_EQ_STR(m->components[0].encryption_key, "disk");
        CHECK_EQ_STR(m->components[0].encryption_cipher, "aes-xts-plain64");
        CHECK_EQ_INT(m->components[0].encryption_sector_size, 512);
}

TEST(component_encryption_errors) {
        static const struct {
                const char *name, *props, *property, *message;
        } cases[] = {
                { "site", "encryption-key = \"disk\";", "", "missing property \"encryption-wrapped-key\"" },
                { "site", "encryption-wrapped-key = " WRAP_SITE ";", "encryption-wrapped-key", "needs encryption-key" },
                { "site", "encryption-cipher = \"aes-xts-plain64\";", "encryption-cipher", "needs encryption-key" },
                { "site", "encryption-sector-size = <4096>;", "encryption-sector-size", "needs encryption-key" },
                { "site", "encryption-key = \"-disk\"; encryption-wrapped-key = " WRAP_SITE ";", "encryption-key",
                  "invalid key name: use 1-63 of A-Z a-z 0-9 _ - . + , starting with a letter or digit" },
                { "site", "encryption-key = \"disk\"; encryption-wrapped-key = [6b 6f 73 2d 77 72 61 70 01];",
                  "encryption-wrapped-key", "not a wrapped data key: truncated" },
                { "site", "encryption-key = \"disk\"; encryption-wrapped-key = [00 01 02];", "encryption-wrapped-key",
                  "not a wrapped data key: not a sealed key or wrapped data key (bad magic)" },
                { "site", "encryption-key = \"disk\"; encryption-wrapped-key = " WRAP_BASE ";", "encryption-wrapped-key",
                  "wrapped for \"component:base\", not \"component:site\"" },
                { "site", "encryption-key = \"disk\"; encryption-wrapped-key = " WRAP_SHORT ";", "encryption-wrapped-key",
                  "holds a 32-byte key; aes-xts-plain64 takes 64 bytes" },
                { "site", "encryption-key = \"disk\"; encryption-wrapped-key = " WRAP_SITE "; encryption-cipher = \"aes-cbc-essiv:sha256\";",
                  "encryption-cipher", "unknown value \"aes-cbc-essiv:sha256\": expected aes-xts-plain64" },
                { "site", "encryption-key = \"disk\"; encryption-wrapped-key = " WRAP_SITE "; encryption-sector-size = <0>;",
                  "encryption-sector-size", "must be 512, 1024, 2048 or 4096" },
                { "site", "encryption-key = \"disk\"; encryption-wrapped-key = " WRAP_SITE "; encryption-sector-size = <8192>;",
                  "encryption-sector-size", "must be 512, 1024, 2048 or 4096" },
                { "site", "encryption-key = \"disk\"; encryption-wrapped-key = \"text\";", "encryption-wrapped-key",
                  "not a wrapped data key: not a sealed key or wrapped data key (bad magic)" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char dts[2048], node[64];
                ManifestError err;
                int r;

                snprintf(dts, sizeof(dts), CRYPT_HEAD "%s { sha256 = \"" D1 "\"; format = \"erofs\"; %s }; }; };",
                         cases[i].name, cases[i].props);
                _cleanup_(manifest_freep) Manifest *m = compile(dts, &err, &r);
                CHECK_EQ_INT(r, -EBADMSG);
                CHECK(!m);
                snprintf(node, sizeof(node), "components/%s", cases[i].name);
                CHECK_EQ_STR(err.node, node);
                CHECK_EQ_STR(err.property, cases[i].property);
                CHECK_EQ_STR(err.message, cases[i].message);
        }
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
        static char big[MANIFEST_MAX_SIZE + 1];
        Manifest *bad = NULL;
        size_t size;
        _cleanup_free_ char *dtb = compile_dtb(full, &size);

        for (size_t cut = 0; cut < size; cut += 7)
                CHECK_EQ_INT(manifest_parse(&bad, dtb, cut, &err), -EBADMSG);
        CHECK_EQ_INT(manifest_parse(&bad, big, sizeof(big), &err), -EFBIG);
        CHECK(!bad);
}

/*
 * Blobs dtc would never write, built with libfdt's sequential writer: begin_blob() opens
 * the root with a valid compatible and version, end_blob() closes it.
 */
static char *begin_blob(size_t size) {
        char *fdt = malloc(size);

        CHECK(fdt);
        CHECK_EQ_INT(fdt_create(fdt, (int)size), 0);
        CHECK_EQ_INT(fdt_finish_reservemap(fdt), 0);
        CHECK_EQ_INT(fdt_begin_node(fdt, ""), 0);
        CHECK_EQ_INT(fdt_property_string(fdt, "compatible", "kos,manifest-v1"), 0);
        CHECK_EQ_INT(fdt_property_u32(fdt, "version", 1), 0);
        return fdt;
}

static size_t end_blob(char *fdt) {
        CHECK_EQ_INT(fdt_end_node(fdt), 0);
        CHECK_EQ_INT(fdt_finish(fdt), 0);
        return fdt_totalsize(fdt);
}

TEST(error_location_from_blob_is_printable) {
        _cleanup_free_ char *fdt = begin_blob(4096);
        Manifest *m = NULL;
        ManifestError err;
        size_t size;

        CHECK_EQ_INT(fdt_property_string(fdt, "\x1b]0;owned\x07\n", "x"), 0);
        size = end_blob(fdt);
        CHECK_EQ_INT(manifest_parse(&m, fdt, size, &err), -EBADMSG);
        CHECK_EQ_STR(err.property, "?]0;owned??");
        CHECK_EQ_STR(err.message, "unknown property");

        fdt = (free(fdt), begin_blob(4096));
        CHECK_EQ_INT(fdt_begin_node(fdt, "apps\x1b[2J"), 0);
        CHECK_EQ_INT(fdt_end_node(fdt), 0);
        size = end_blob(fdt);
        CHECK_EQ_INT(manifest_parse(&m, fdt, size, &err), -EBADMSG);
        CHECK_EQ_STR(err.node, "apps?[2J");
        CHECK(!m);
}

TEST(duplicates_in_blob_name_the_second) {
        _cleanup_free_ char *fdt = begin_blob(4096);
        Manifest *m = NULL;
        ManifestError err;
        size_t size;

        /* dtc merges or refuses these; a crafted blob can hold them. */
        CHECK_EQ_INT(fdt_begin_node(fdt, "apps"), 0);
        CHECK_EQ_INT(fdt_begin_node(fdt, "a"), 0);
        CHECK_EQ_INT(fdt_property_string(fdt, "path", "/a"), 0);
        CHECK_EQ_INT(fdt_end_node(fdt), 0);
        CHECK_EQ_INT(fdt_end_node(fdt), 0);
        CHECK_EQ_INT(fdt_begin_node(fdt, "supervision"), 0);
        CHECK_EQ_INT(fdt_property_string(fdt, "a", "a"), 0);
        CHECK_EQ_INT(fdt_property_string(fdt, "a", "a"), 0);
        CHECK_EQ_INT(fdt_end_node(fdt), 0);
        size = end_blob(fdt);
        CHECK_EQ_INT(manifest_parse(&m, fdt, size, &err), -EBADMSG);
        CHECK_EQ_STR(err.node, "supervision");
        CHECK_EQ_STR(err.property, "a");
        CHECK_EQ_STR(err.message, "duplicate property");

        fdt = (free(fdt), begin_blob(4096));
        CHECK_EQ_INT(fdt_begin_node(fdt, "apps"), 0);
        for (int i = 0; i < 3; i++) {
                CHECK_EQ_INT(fdt_begin_node(fdt, i == 1 ? "b" : "a"), 0);
                CHECK_EQ_INT(fdt_property_string(fdt, "path", "/a"), 0);
                CHECK_EQ_INT(fdt_end_node(fdt), 0);
        }
        CHECK_EQ_INT(fdt_end_node(fdt), 0);
        size = end_blob(fdt);
        CHECK_EQ_INT(manifest_parse(&m, fdt, size, &err), -EBADMSG);
        CHECK_EQ_STR(err.message, "duplicate app");
        CHECK_EQ_STR(err.node, "apps/a");
        CHECK(!m);
}

/* The trace server: its node, its name in the access matrix, and the name reserved for it. */
TEST(trace_server) {
        static const char *const head = "/dts-v1/; / { compatible = \"kos,manifest-v1\"; version = <1>;"
                                        " apps { a { path = \"/a\"; msg_servers = \"s\"; }; };"
                                        " msg_servers { s { dir_access_control {"
                                        " kos_trace_protocol { publish = \"kos-traced\"; lookup = \"a\"; }; }; };"
                                        " t { }; };";
        static const struct {
                const char *body, *node, *property, *message;
        } cases[] = {
                { " trace_server { msg_servers = \"s\"; admin; };", NULL, NULL, NULL },
                { "", "msg_servers/s/dir_access_control/kos_trace_protocol", "publish", "unknown app \"kos-traced\"" },
                { " trace_server { msg_servers = \"x\"; };", "trace_server", "msg_servers",
                  "unknown message server \"x\"" },
                { " trace_server { admin; };", "trace_server", NULL, "missing property \"msg_servers\"" },
                { " trace_server { msg_servers = \"s\"; buffer-records = <1000>; };", "trace_server", "buffer-records",
                  "must be a power of two from 2 to 1048576" },
                { " trace_server { msg_servers = \"s\"; buffers = <0>; };", "trace_server", "buffers",
                  "must be 1 to 1024" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *dts = NULL;
                ManifestError err;
                int r;

                CHECK(asprintf(&dts, "%s%s };", head, cases[i].body) > 0);
                _cleanup_(manifest_freep) Manifest *m = compile(dts, &err, &r);
                if (!cases[i].message) {
                        CHECK_OK(r);
                        CHECK(m->trace_server && m->trace_server->admin);
                        CHECK_EQ_STR(m->trace_server->msg_servers[0], "s");
                        CHECK_EQ_INT(m->trace_server->buffers, 16);
                        CHECK_EQ_INT(m->trace_server->buffer_records, 2048);
                        CHECK_EQ_INT(m->trace_server->max_events, 65536);
                        CHECK(manifest_name_reaches_instance(m, "kos-traced", "s"));
                        CHECK(!manifest_name_reaches_instance(m, "kos-traced", "t"));
                        CHECK(manifest_app_may_publish(m, "s", "kos_trace_protocol", "kos-traced"));
                        CHECK(manifest_app_may_lookup(m, "s", "kos_trace_protocol", "a"));
                        CHECK(!manifest_app_may_publish(m, "s", "kos_trace_protocol", "a"));
                        continue;
                }
                CHECK_EQ_INT(r, -EBADMSG);
                CHECK_EQ_STR(err.node, cases[i].node);
                if (cases[i].property)
                        CHECK_EQ_STR(err.property, cases[i].property);
                CHECK_EQ_STR(err.message, cases[i].message);
        }

        /* No app may take the trace server's name. */
        ManifestError err;
        int r;
        _cleanup_(manifest_freep) Manifest *m = compile(
                "/dts-v1/; / { compatible = \"kos,manifest-v1\"; version = <1>;"
                " apps { kos-traced { path = \"/a\"; msg_servers = \"s\"; }; }; msg_servers { s { }; };"
                " trace_server { msg_servers = \"s\"; }; };", &err, &r);
        CHECK_EQ_INT(r, -EBADMSG);
        CHECK(!m);
        CHECK_EQ_STR(err.node, "apps/kos-traced");
        CHECK_EQ_STR(err.message, "the name \"kos-traced\" is the trace server's");
}

TEST(duplicate_env_and_references) {
        static const struct {
                const char *body, *node, *property, *message;
        } cases[] = {
                { "apps { a { path = \"/a\"; env = \"A=1\", \"B=2\", \"A=3\"; }; };", "apps/a", "env",
                  "variable \"A\" set twice" },
                { "apps { a { path = \"/a\"; env = \"AB=1\", \"A=2\"; }; };", NULL, NULL, NULL },
                { "apps { a { path = \"/a\"; }; b { path = \"/b\"; }; };"
                  " key_store { k { type = \"ed25519\"; apps = \"b\", \"a\", \"b\"; }; };",
                  "key_store/k", "apps", "app \"b\" listed twice" },
                { "apps { a { path = \"/a\"; }; };"
                  " key_store { k { type = \"aes-256\"; apps = \"a\"; operations = \"sign\"; }; };",
                  "key_store/k", "operations", "\"sign\" is not an operation of an aes-256 key" },
                { "apps { a { path = \"/a\"; }; };"
                  " key_store { k { type = \"x25519\"; operations = \"agree\", \"agree\"; }; };",
                  "key_store/k", "operations", "operation \"agree\" listed twice" },
                { "apps { a { path = \"/a\"; }; };"
                  " key_store { k { type = \"x25519\"; apps = \"a\"; origin = \"factory\"; }; };",
                  "key_store/k", "origin", "unknown value \"factory\": expected generate or import" },
                { "apps { a { path = \"/a\"; }; };"
                  " key_store { k { type = \"ed25519\"; apps = \"a\"; origin = \"import\"; }; };",
                  "key_store/k", "origin", "an \"import\" key needs the \"import\" operation, or it can never exist" },
                { "apps { a { path = \"/a\"; }; };"
                  " key_store { k { type = \"ed25519\"; apps = \"a\"; operations = \"sign\", \"import\"; }; };",
                  "key_store/k", "operations",
                  "\"import\" needs origin = \"import\": the key store generates this key" },
                { "apps { a { path = \"/a\"; }; };"
                  " key_store { k { type = \"ed25519\"; apps = \"a\"; origin = \"import\";"
                  " operations = \"sign\", \"import\"; }; };",
                  NULL, NULL, NULL },
                { "apps { a { path = \"/a\"; msg_servers = \"s\", \"t\"; }; };"
                  " msg_servers { s { }; };",
                  "apps/a", "msg_servers", "unknown message server \"t\"" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *dts = NULL;
                ManifestError err;
                int r;

                CHECK(asprintf(&dts, "/dts-v1/; / { compatible = \"kos,manifest-v1\"; version = <1>; %s };",
                               cases[i].body) > 0);
                _cleanup_(manifest_freep) Manifest *m = compile(dts, &err, &r);
                if (!cases[i].message) {
                        CHECK_OK(r);
                        continue;
                }
                CHECK_EQ_INT(r, -EBADMSG);
                CHECK(!m);
                CHECK_EQ_STR(err.node, cases[i].node);
                CHECK_EQ_STR(err.property, cases[i].property);
                CHECK_EQ_STR(err.message, cases[i].message);
        }
}

/*
 * A 1 MiB blob holds hundreds of thousands of list entries; checking them is O(N log N).
 * (Quadratic checks took minutes on this input.)
 */
TEST(long_lists_and_many_names) {
        _cleanup_free_ char *fdt = begin_blob(MANIFEST_MAX_SIZE), *list = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL;
        const size_t n = 200000;
        ManifestError err;
        size_t size;

        list = malloc(2 * n);
        CHECK(list);
        for (size_t i = 0; i < n; i++)
                memcpy(list + 2 * i, "a", 2);
        CHECK_EQ_INT(fdt_begin_node(fdt, "apps"), 0);
        CHECK_EQ_INT(fdt_begin_node(fdt, "a"), 0);
        CHECK_EQ_INT(fdt_property_string(fdt, "path", "/a"), 0);
        CHECK_EQ_INT(fdt_property(fdt, "args", list, (int)(2 * n)), 0);
        CHECK_EQ_INT(fdt_end_node(fdt), 0);
        for (size_t i = 0; i < 5000; i++) {
                char name[16];

                snprintf(name, sizeof(name), "b%zu", i);
                CHECK_EQ_INT(fdt_begin_node(fdt, name), 0);
                CHECK_EQ_INT(fdt_property_string(fdt, "path", "/b"), 0);
                CHECK_EQ_INT(fdt_end_node(fdt), 0);
        }
        CHECK_EQ_INT(fdt_end_node(fdt), 0);
        size = end_blob(fdt);
        CHECK_OK(manifest_parse(&m, fdt, size, &err));
        CHECK_EQ_INT(strv_length(m->apps[0].args), n);
        CHECK_EQ_INT(m->n_apps, 5001);
        m = manifest_free(m);

        /* The same list as lookups: every entry resolves, and the duplicate is found. */
        fdt = (free(fdt), begin_blob(MANIFEST_MAX_SIZE));
        CHECK_EQ_INT(fdt_begin_node(fdt, "apps"), 0);
        CHECK_EQ_INT(fdt_begin_node(fdt, "a"), 0);
        CHECK_EQ_INT(fdt_property_string(fdt, "path", "/a"), 0);
        CHECK_EQ_INT(fdt_end_node(fdt), 0);
        CHECK_EQ_INT(fdt_end_node(fdt), 0);
        CHECK_EQ_INT(fdt_begin_node(fdt, "key_store"), 0);
        CHECK_EQ_INT(fdt_begin_node(fdt, "k"), 0);
        CHECK_EQ_INT(fdt_property_string(fdt, "type", "ed25519"), 0);
        CHECK_EQ_INT(fdt_property(fdt, "apps", list, (int)(2 * n)), 0);
        CHECK_EQ_INT(fdt_end_node(fdt), 0);
        CHECK_EQ_INT(fdt_end_node(fdt), 0);
        size = end_blob(fdt);
        CHECK_EQ_INT(manifest_parse(&m, fdt, size, &err), -EBADMSG);
        CHECK_EQ_STR(err.message, "app \"a\" listed twice");
}

TEST(unaligned_blob) {
        ManifestError err;
        _cleanup_(manifest_freep) Manifest *again = NULL;
        _cleanup_free_ char *fdt = begin_blob(4096), *copy = NULL;
        size_t size;

        CHECK_EQ_INT(fdt_begin_node(fdt, "node-manager"), 0);
        CHECK_EQ_INT(fdt_property_u32(fdt, "settle-time-ms", 1234), 0);
        CHECK_EQ_INT(fdt_end_node(fdt), 0);
        size = end_blob(fdt);
        copy = malloc(size + 1);
        CHECK(copy);
        memcpy(copy + 1, fdt, size);
        CHECK_OK(manifest_parse(&again, copy + 1, size, &err));
        CHECK_EQ_INT(again->version, 1);
        CHECK_EQ_INT(again->node_manager.settle_time_ms, 1234);
}

/* A node path longer than the map keeps does not shift the paths of the nodes after it. */
TEST(source_map_survives_long_paths) {
        char path[] = "/tmp/kos-test-manifest.XXXXXX", name[251];
        _cleanup_(manifest_source_map_freep) ManifestSourceMap *map = NULL;
        _cleanup_free_ char *dts = NULL, *expected = NULL;
        int fd = mkstemp(path);

        CHECK(fd >= 0);
        memset(name, 'n', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        CHECK(asprintf(&dts, "/dts-v1/;\n/ {\n a {\n  b {\n   %s {\n    %s { %s { q = \"y\"; }; };\n   };\n  };\n"
                             "  c {\n   p = \"x\";\n  };\n };\n};\n", name, name, name) > 0);
        CHECK_OK(write_full(fd, dts, strlen(dts)));
        close(fd);
        CHECK_OK(manifest_source_map_new(&map, path));
        CHECK(asprintf(&expected, "%s:10", path) > 0);
        CHECK_EQ_STR(manifest_source_map_lookup(map, "a/c", "p"), expected);
        unlink(path);
}

TEST_MAIN()

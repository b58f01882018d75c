// SPDX-License-Identifier: Apache-2.0
/* Keys, signature files and trust stores. */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "crypto/signature.h"
#include "test.h"

static char dir[] = "/tmp/kos-test-sig.XXXXXX";

static char *path_in_dir(const char *name) {
        char *p;

        CHECK(asprintf(&p, "%s/%s", dir, name) > 0);
        return p;
}

static EVP_PKEY *generate(const char *stem_name) {
        _cleanup_free_ char *stem = path_in_dir(stem_name), *key_path = NULL;
        EVP_PKEY *key = NULL;

        CHECK_OK(key_generate(stem));
        CHECK(asprintf(&key_path, "%s.key", stem) > 0);
        CHECK_OK(key_load_private(&key, key_path));
        return key;
}

TEST(generate_refuses_overwrite_and_sets_mode) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = generate("a");
        _cleanup_free_ char *stem = path_in_dir("a"), *key_path = path_in_dir("a.key");
        struct stat st;

        CHECK(key);
        CHECK(stat(key_path, &st) == 0);
        CHECK_EQ_INT(st.st_mode & 0777, 0600);
        CHECK_EQ_INT(key_generate(stem), -EEXIST);
}

TEST(sign_verify_and_tamper) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = generate("b");
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *other = generate("c");
        _cleanup_(trust_store_freep) TrustStore *trust = NULL;
        _cleanup_(signature_list_freep) SignatureList *list = NULL;
        _cleanup_free_ char *pub = path_in_dir("b.pub");
        char data[] = "manifest bytes";
        Signature sig;
        Sha256Digest id, expect;

        CHECK_OK(trust_store_new(&trust));
        CHECK_OK(signature_list_new(&list));
        CHECK_OK(trust_store_add_file(trust, pub));
        CHECK_EQ_INT(signature_list_verify(list, trust, data, sizeof(data), NULL), SIGNATURE_E_NONE);

        CHECK_OK(signature_create(other, data, sizeof(data), &sig));
        CHECK_OK(signature_list_add(list, &sig));
        CHECK_EQ_INT(signature_list_verify(list, trust, data, sizeof(data), NULL), SIGNATURE_E_UNKNOWN_KEY);

        CHECK_OK(signature_create(key, data, sizeof(data), &sig));
        CHECK_OK(signature_list_add(list, &sig));
        CHECK_EQ_INT(list->n_items, 2);
        CHECK_EQ_INT(signature_list_verify(list, trust, data, sizeof(data), &id), SIGNATURE_VALID);
        CHECK_OK(key_id(key, &expect));
        CHECK(sha256_equal(&id, &expect));

        data[0] ^= 1;
        CHECK_EQ_INT(signature_list_verify(list, trust, data, sizeof(data), NULL), SIGNATURE_E_BAD);
}

TEST(format_parse_round_trip_and_replace) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = generate("d");
        _cleanup_(signature_list_freep) SignatureList *list = NULL, *back = NULL;
        _cleanup_free_ char *text = NULL;
        Signature s1, s2;
        size_t size;

        CHECK_OK(signature_list_new(&list));
        CHECK_OK(signature_create(key, "one", 3, &s1));
        CHECK_OK(signature_create(key, "two", 3, &s2));
        CHECK_OK(signature_list_add(list, &s1));
        CHECK_OK(signature_list_add(list, &s2));
        CHECK_EQ_INT(list->n_items, 1); /* same key: replaced */
        CHECK_OK(signature_list_format(list, &text, &size));
        CHECK_EQ_INT(size, strlen(text));
        CHECK(strncmp(text, "ed25519 ", 8) == 0);
        CHECK_OK(signature_list_parse(&back, text, size, NULL));
        CHECK_EQ_INT(back->n_items, 1);
        CHECK(memcmp(&back->items[0], &s2, sizeof(Signature)) == 0);
}

TEST(parse_rejects_garbage_with_line) {
        _cleanup_(signature_list_freep) SignatureList *list = NULL;
        char line[300];
        SignatureParseError n = {};

        CHECK_EQ_INT(signature_list_parse(&list, "\nhello\n", 7, &n), -EBADMSG);
        CHECK_EQ_INT(n.line, 2);
        /* right length, wrong algorithm */
        memset(line, 'a', sizeof(line));
        memcpy(line, "rsa2048 ", 8);
        line[8 + 64] = ' ';
        CHECK_EQ_INT(signature_list_parse(&list, line, 8 + 64 + 1 + 128, &n), -EBADMSG);
        /* uppercase hex is not the canonical form */
        memcpy(line, "ed25519 ", 8);
        line[20] = 'A';
        CHECK_EQ_INT(signature_list_parse(&list, line, 8 + 64 + 1 + 128, &n), -EBADMSG);
        line[20] = 'a';
        CHECK_OK(signature_list_parse(&list, line, 8 + 64 + 1 + 128, &n));
        CHECK_EQ_INT(list->n_items, 1);
}

/*
 * A signature file is a set: two lines by one key make it malformed, in either order, so a
 * forged line next to a good one can never decide the outcome.
 */
TEST(parse_rejects_two_lines_by_one_key) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = generate("dup");
        _cleanup_(signature_list_freep) SignatureList *list = NULL;
        _cleanup_free_ char *good = NULL, *bad = NULL, *text = NULL;
        SignatureParseError err = {};
        Signature sig;
        size_t size;

        CHECK_OK(signature_create(key, "data", 4, &sig));
        CHECK_OK(signature_list_new(&list));
        CHECK_OK(signature_list_add(list, &sig));
        CHECK_OK(signature_list_format(list, &good, &size));
        sig.bytes[0] ^= 1;
        CHECK_OK(signature_list_add(list, &sig));
        CHECK_OK(signature_list_format(list, &bad, &size));
        list = signature_list_free(list);

        CHECK(asprintf(&text, "%s\n%s", good, bad) > 0);
        CHECK_EQ_INT(signature_list_parse(&list, text, strlen(text), &err), -ENOTUNIQ);
        CHECK(!list);
        CHECK_EQ_INT(err.line, 3);
        CHECK(sha256_equal(&err.key_id, &sig.key_id));
        free(text);
        CHECK(asprintf(&text, "%s%s", bad, good) > 0);
        err = (SignatureParseError){};
        CHECK_EQ_INT(signature_list_parse(&list, text, strlen(text), &err), -ENOTUNIQ);
        CHECK_EQ_INT(err.line, 2);
        CHECK(sha256_equal(&err.key_id, &sig.key_id));
}

TEST(wrong_key_type_rejected) {
        _cleanup_free_ char *pem = path_in_dir("rsa.pem");
        EVP_PKEY *key = NULL;
        FILE *f;

        /* An RSA key made by OpenSSL itself. */
        EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        CHECK(rsa);
        f = fopen(pem, "w");
        CHECK(f);
        CHECK(PEM_write_PrivateKey(f, rsa, NULL, NULL, 0, NULL, NULL) == 1);
        fclose(f);
        EVP_PKEY_free(rsa);
        CHECK_EQ_INT(key_load_private(&key, pem), -EKEYREJECTED);
        CHECK_EQ_INT(key_load_public(&key, pem), -EBADMSG);
        CHECK(!key);
}

/* A directory, a FIFO or an over-long file named like a key is an error, not a hang. */
TEST(key_files_must_be_regular) {
        _cleanup_free_ char *sub = path_in_dir("trust-odd"), *d = NULL, *fifo = NULL, *big = NULL,
                              *bad = NULL;
        _cleanup_(trust_store_freep) TrustStore *trust = NULL;
        EVP_PKEY *key = NULL;

        CHECK(mkdir(sub, 0755) == 0);
        CHECK(asprintf(&d, "%s/dir.pub", sub) > 0);
        CHECK(mkdir(d, 0755) == 0);
        CHECK_EQ_INT(key_load_public(&key, d), -EISDIR);
        CHECK_EQ_INT(trust_store_load(&trust, sub, &bad), -EISDIR);
        CHECK_EQ_STR(bad, d);
        CHECK(rmdir(d) == 0);

        CHECK(asprintf(&fifo, "%s/fifo.pub", sub) > 0);
        CHECK(mkfifo(fifo, 0644) == 0);
        CHECK_EQ_INT(key_load_public(&key, fifo), -EINVAL);
        CHECK_EQ_INT(key_load_private(&key, fifo), -EINVAL);
        CHECK(unlink(fifo) == 0);

        CHECK(asprintf(&big, "%s/big.pub", sub) > 0);
        FILE *f = fopen(big, "w");
        CHECK(f);
        CHECK(fseek(f, KEY_FILE_MAX, SEEK_SET) == 0 && fputc('x', f) == 'x');
        fclose(f);
        CHECK_EQ_INT(key_load_public(&key, big), -EFBIG);
        CHECK(!key);
}

/* An encrypted private key is refused with its own error; no passphrase is asked for. */
TEST(encrypted_private_key_refused) {
        _cleanup_free_ char *pem = path_in_dir("encrypted.key");
        EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), *key = NULL;
        FILE *f;

        CHECK(ed);
        f = fopen(pem, "w");
        CHECK(f);
        CHECK(PEM_write_PrivateKey(f, ed, EVP_aes_256_cbc(), (const unsigned char *)"secret", 6, NULL, NULL) == 1);
        fclose(f);
        EVP_PKEY_free(ed);
        CHECK_EQ_INT(key_load_private(&key, pem), -ENOKEY);
        CHECK(!key);
}

/* key_generate() leaves exactly NAME.key and NAME.pub: no temporary file, no half pair. */
TEST(generate_leaves_exactly_the_pair) {
        _cleanup_free_ char *sub = path_in_dir("gen"), *stem = NULL, *pub = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        unsigned n = 0;

        CHECK(mkdir(sub, 0755) == 0);
        CHECK(asprintf(&stem, "%s/k", sub) > 0);
        CHECK(asprintf(&pub, "%s/k.pub", sub) > 0);
        CHECK_OK(key_generate(stem));
        d = opendir(sub);
        CHECK(d);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.') {
                        CHECK(strcmp(de->d_name, "k.key") == 0 || strcmp(de->d_name, "k.pub") == 0);
                        n++;
                }
        CHECK_EQ_INT(n, 2);
}

static void cleanup_dir(void) {
        _cleanup_free_ char *cmd = NULL;

        CHECK(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
        CHECK(system(cmd) == 0);
}

__attribute__((constructor)) static void setup(void) {
        if (!mkdtemp(dir))
                abort();
        atexit(cleanup_dir);
}

TEST_MAIN()

// SPDX-License-Identifier: Apache-2.0
/*
 * orbit-device: a small device client for the Orbit tests and benchmarks. It signs each
 * request with the device's Ed25519 key exactly as a device does (request.h), so the
 * tests exercise the real device authentication.
 *
 *     orbit-device --url URL --key KEY [--nonce HEX] [--time SECONDS] [--repeat N]
 *                  [--body-file FILE] METHOD PATH [BODY]
 *
 * Prints the HTTP status on the first line and the body after it, for each of the N
 * sends of the same signed request (a replay when N > 1). Exit 0 if every send got an
 * answer, 1 otherwise. --body-file sends a file's bytes (binary, such as a trace) as the body.
 *
 *     orbit-device --url URL --key KEY --enrol TOKEN NAME
 *
 * asks to join with an enrolment token (unsigned headers; the body carries the proof of
 * the key), printing the status and the answer.
 *
 *     orbit-device --key KEY --presign N METHOD PATH [BODY]
 *
 * sends nothing: prints the key id, then N lines "TIME NONCE SIGNATURE" of distinct
 * signed requests, for load generators that cannot sign (bench/orbit.sh).
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/key.h"
#include "orbit/request.h"
#include "util/fileio.h"
#include "util/hex.h"

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "url", required_argument, NULL, 'u' },
                { "key", required_argument, NULL, 'k' },
                { "nonce", required_argument, NULL, 'n' },
                { "time", required_argument, NULL, 't' },
                { "repeat", required_argument, NULL, 'r' },
                { "presign", required_argument, NULL, 'p' },
                { "enrol", required_argument, NULL, 'e' },
                { "body-file", required_argument, NULL, 'b' },
                {},
        };
        const char *url = NULL, *key_path = NULL, *nonce_arg = NULL, *method, *path, *body = "";
        long long timestamp = (long long)time(NULL);
        EVP_PKEY *key = NULL;
        Sha256Digest id;
        char key_hex[65], nonce[33], sig_hex[129], header[256], *message = NULL, *full = NULL;
        uint8_t sig[ED25519_SIGNATURE_SIZE], random[16];
        int repeat = 1, c, status = 0;
        long presign = 0;
        const char *enrol = NULL, *body_file = NULL;
        char *enrol_body = NULL, *file_body = NULL;
        size_t body_size = 0;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (c) {
                case 'u': url = optarg; break;
                case 'k': key_path = optarg; break;
                case 'n': nonce_arg = optarg; break;
                case 't': timestamp = strtoll(optarg, NULL, 10); break;
                case 'r': repeat = atoi(optarg); break;
                case 'p': presign = atol(optarg); break;
                case 'e': enrol = optarg; break;
                case 'b': body_file = optarg; break;
                default: return 2;
                }
        }
        if (enrol && url && key_path && argc - optind == 1) {
                /* the enrolment request: the name, the public key and the proof */
                char pub[4096] = "", proof[129];
                BIO *bio = BIO_new(BIO_s_mem());
                size_t n;
                if (key_load_private(&key, key_path) < 0 || !bio || !PEM_write_bio_PUBKEY(bio, key))
                        return 1;
                n = (size_t)BIO_read(bio, pub, sizeof(pub) - 1);
                pub[n] = '\0';
                BIO_free(bio);
                if (asprintf(&message, "kos-orbit-enrol-v1\n%s\n%s", enrol, argv[optind]) < 0 ||
                    key_sign(key, message, strlen(message), sig) < 0)
                        return 1;
                hex_encode(proof, sig, sizeof(sig));
                json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "token", enrol, "name", argv[optind], "public_key", pub,
                                      "proof", proof);
                enrol_body = json_dumps(j, JSON_COMPACT);
                json_decref(j);
                free(message);
                message = NULL;
                EVP_PKEY_free(key);
                key = NULL;
                method = "POST";
                path = "/api/v1/device/enrol";
                body = enrol_body;
                body_size = strlen(body);
                goto send;
        }
        if ((!url && !presign) || !key_path || argc - optind < 2 || argc - optind > 3) {
                fprintf(stderr, "usage: orbit-device --url URL --key KEY [--nonce HEX] [--time S] [--repeat N] METHOD PATH [BODY]\n");
                return 2;
        }
        method = argv[optind];
        path = argv[optind + 1];
        if (argc - optind == 3)
                body = argv[optind + 2];
        body_size = strlen(body);
        if (body_file) {
                if (read_file_full(body_file, 64 * 1024 * 1024, &file_body, &body_size) < 0) {
                        fprintf(stderr, "orbit-device: cannot read %s\n", body_file);
                        return 1;
                }
                body = file_body;
        }
        if (key_load_private(&key, key_path) < 0 || key_id(key, &id) < 0) {
                fprintf(stderr, "orbit-device: cannot load %s\n", key_path);
                return 1;
        }
        sha256_to_hex(&id, key_hex);
        if (presign > 0) {
                printf("%s\n", key_hex);
                for (long i = 0; i < presign; i++) {
                        if (RAND_bytes(random, sizeof(random)) != 1)
                                return 1;
                        hex_encode(nonce, random, sizeof(random));
                        if (orbit_device_auth_message(&message, method, path, timestamp, nonce, body, body_size) < 0 ||
                            key_sign(key, message, strlen(message), sig) < 0)
                                return 1;
                        free(message);
                        hex_encode(sig_hex, sig, sizeof(sig));
                        printf("%lld %s %s\n", timestamp, nonce, sig_hex);
                }
                EVP_PKEY_free(key);
                return fflush(stdout) == 0 ? 0 : 1;
        }
        if (nonce_arg)
                snprintf(nonce, sizeof(nonce), "%s", nonce_arg);
        else {
                if (RAND_bytes(random, sizeof(random)) != 1)
                        return 1;
                hex_encode(nonce, random, sizeof(random));
        }
        if (orbit_device_auth_message(&message, method, path, timestamp, nonce, body, body_size) < 0 ||
            key_sign(key, message, strlen(message), sig) < 0)
                return 1;
        hex_encode(sig_hex, sig, sizeof(sig));
send:
        if (asprintf(&full, "%s%s", url, path) < 0)
                return 1;

        curl_global_init(CURL_GLOBAL_DEFAULT);
        for (int i = 0; i < repeat; i++) {
                CURL *curl = curl_easy_init();
                struct curl_slist *headers = NULL;
                long code = 0;

                if (!enrol) {
                        snprintf(header, sizeof(header), "X-Kos-Device: %s", key_hex);
                        headers = curl_slist_append(headers, header);
                        snprintf(header, sizeof(header), "X-Kos-Time: %lld", timestamp);
                        headers = curl_slist_append(headers, header);
                        snprintf(header, sizeof(header), "X-Kos-Nonce: %s", nonce);
                        headers = curl_slist_append(headers, header);
                        snprintf(header, sizeof(header), "X-Kos-Signature: %s", sig_hex);
                        headers = curl_slist_append(headers, header);
                }
                headers = curl_slist_append(headers, "Content-Type: application/json");
                curl_easy_setopt(curl, CURLOPT_URL, full);
                curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
                if (strcmp(method, "GET") != 0) {
                        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
                        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body_size);
                }
                curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
                /* the status line comes first: buffer the body until it is known */
                char *answer = NULL;
                size_t answer_size = 0;
                FILE *mem = open_memstream(&answer, &answer_size);
                curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, NULL);
                curl_easy_setopt(curl, CURLOPT_WRITEDATA, mem);
                if (curl_easy_perform(curl) != CURLE_OK)
                        status = 1;
                fclose(mem);
                curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
                printf("%ld\n%s", code, answer ? answer : "");
                free(answer);
                curl_slist_free_all(headers);
                curl_easy_cleanup(curl);
        }
        free(message);
        free(enrol_body);
        free(file_body);
        free(full);
        EVP_PKEY_free(key);
        curl_global_cleanup();
        return status;
}

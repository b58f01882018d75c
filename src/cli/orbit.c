// SPDX-License-Identifier: Apache-2.0
/*
 * kos orbit: the common owner actions against an Orbit server, so no one needs curl;
 * and the small HTTP client kos release shares.
 *
 *     kos orbit --orbit URL login EMAIL            (password on stdin; prints the token)
 *     kos orbit --orbit URL [--token-file F] orgs | projects | deployments PROJECT |
 *               devices | releases PROJECT | status DEPLOYMENT | audit
 *     kos orbit --orbit URL [--token-file F] attach DEPLOYMENT RELEASE [--phases LIST]
 *     kos orbit --orbit URL [--token-file F] rollout DEPLOYMENT pause|resume|abort
 *     kos orbit --orbit URL [--token-file F] retry DEVICE | retry-deployment DEPLOYMENT
 *     kos orbit --orbit URL [--token-file F] tokens | revoke-token TOKEN
 *     kos orbit --orbit URL [--token-file F] delete-device DEVICE | delete-deployment DEPLOYMENT |
 *               delete-release RELEASE | remove-member USER
 *     kos orbit --orbit URL [--token-file F] create-project NAME | create-deployment PROJECT NAME |
 *               trust PROJECT KEY.pub | register DEPLOYMENT NAME KEY.pub
 *
 * The token comes from --token-file, else $KOS_ORBIT_TOKEN. The organisation is --org ID,
 * else the only one the user belongs to.
 *
 * Invariants: the token is never printed, except by login (whose job that is); every
 * failure is one "kos: " line with the server's own message; answers are printed as the
 * server's JSON, one document a line.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log.h"

typedef struct CliBuffer {
        char *data;
        size_t size;
} CliBuffer;

static size_t cli_orbit_write(char *data, size_t size, size_t n, void *userdata) {
        CliBuffer *b = userdata;
        size_t add = size * n;
        char *p;

        if (b->size + add > 16U * 1024U * 1024U)
                return 0;
        p = realloc(b->data, b->size + add + 1);
        if (!p)
                return 0;
        memcpy(p + b->size, data, add);
        b->data = p;
        b->size += add;
        b->data[b->size] = '\0';
        return add;
}

int cli_orbit_request(const CliOrbit *orbit, const char *method, const char *path, const void *body, size_t body_size,
                      bool raw, json_t **answerp) {
        _cleanup_free_ char *url = NULL, *auth = NULL;
        struct curl_slist *headers = NULL;
        CliBuffer b = { 0 };
        json_error_t jerr;
        json_t *answer;
        CURLcode rc;
        CURL *curl;
        long status = 0;

        if (asprintf(&url, "%s%s", orbit->url, path) < 0)
                return -ENOMEM;
        curl = curl_easy_init();
        if (!curl)
                return -ENOMEM;
        if (orbit->token) {
                if (asprintf(&auth, "Authorization: Bearer %s", orbit->token) < 0) {
                        curl_easy_cleanup(curl);
                        return -ENOMEM;
                }
                headers = curl_slist_append(headers, auth);
        }
        headers = curl_slist_append(headers, raw ? "Content-Type: application/octet-stream"
                                                 : "Content-Type: application/json");
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        if (body) {
                curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_size);
        }
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, cli_orbit_write);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
        rc = curl_easy_perform(curl);
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        if (rc != CURLE_OK) {
                free(b.data);
                log_error("orbit: %s %s: %s", method, path, curl_easy_strerror(rc));
                return -ECONNREFUSED;
        }
        answer = b.data ? json_loadb(b.data, b.size, 0, &jerr) : NULL;
        free(b.data);
        if (!answer) {
                log_error("orbit: %s %s: answer %ld is not JSON", method, path, status);
                return -EBADMSG;
        }
        if (status >= 400) {
                const char *message = json_string_value(json_object_get(answer, "error"));
                log_error("orbit: %s %s: %ld %s", method, path, status, message ? message : "(no message)");
                json_decref(answer);
                return -EPROTO;
        }
        *answerp = answer;
        return 0;
}

int cli_orbit_request_json(const CliOrbit *orbit, const char *method, const char *path, json_t *body,
                           json_t **answerp) {
        _cleanup_free_ char *text = NULL;

        if (body) {
                text = json_dumps(body, JSON_COMPACT);
                json_decref(body);
                if (!text)
                        return -ENOMEM;
        }
        return cli_orbit_request(orbit, method, path, text, text ? strlen(text) : 0, false, answerp);
}

int cli_orbit_setup(CliOrbit *orbit) {
        _cleanup_free_ char *text = NULL;
        json_t *answer = NULL, *orgs;
        int r;

        if (!orbit->url)
                return cli_usage_error("orbit: --orbit URL is required");
        if (!orbit->token && orbit->token_file) {
                size_t size;
                r = read_file_full(orbit->token_file, 4096, &text, &size);
                if (r < 0)
                        return log_error("orbit: cannot read %s: %s", orbit->token_file, strerror(-r)), CLI_EXIT_FAILURE;
                text[strcspn(text, "\r\n")] = '\0';
                orbit->token_owned = strdup(text);
                orbit->token = orbit->token_owned;
        }
        if (!orbit->token)
                orbit->token = getenv("KOS_ORBIT_TOKEN");
        if (!orbit->token)
                return cli_usage_error("orbit: no token: give --token-file FILE or set KOS_ORBIT_TOKEN");
        if (orbit->org > 0)
                return 0;
        if (cli_orbit_request_json(orbit, "GET", "/api/v1/orgs", NULL, &answer) < 0)
                return CLI_EXIT_FAILURE;
        orgs = json_object_get(answer, "orgs");
        if (json_array_size(orgs) != 1) {
                json_decref(answer);
                return cli_usage_error("orbit: you belong to %zu organisations: say which with --org ID",
                                       json_array_size(orgs));
        }
        orbit->org = json_integer_value(json_object_get(json_array_get(orgs, 0), "id"));
        json_decref(answer);
        return 0;
}

void cli_orbit_done(CliOrbit *orbit) {
        free(orbit->token_owned);
        orbit->token_owned = NULL;
}

static const char orbit_usage[] =
        "usage: kos orbit --orbit URL [--token-file FILE] [--org ID] VERB [ARGS...]\n"
        "\n"
        "Verbs:\n"
        "  login EMAIL                  sign in (password on stdin); prints a session token\n"
        "  orgs                         your organisations and your role in each\n"
        "  projects                     the organisation's projects\n"
        "  deployments PROJECT          a project's deployments\n"
        "  devices                      the organisation's devices and their progress\n"
        "  releases PROJECT             a project's releases\n"
        "  attach DEPLOYMENT RELEASE [--phases 5%,25%,100%]\n"
        "                               make RELEASE the deployment's target, phase by phase\n"
        "  rollout DEPLOYMENT pause|resume|abort\n"
        "                               control a phased rollout\n"
        "  retry DEVICE                 offer a release the device failed again\n"
        "  retry-deployment DEPLOYMENT  the same for every failed device of the deployment\n"
        "  create-project NAME          a new project\n"
        "  create-deployment PROJECT NAME\n"
        "                               a new deployment of a project\n"
        "  trust PROJECT KEY.pub        releases of the project may be signed by this key\n"
        "  register DEPLOYMENT NAME KEY.pub\n"
        "                               enrol a device by its public key into a deployment\n"
        "  status DEPLOYMENT            the deployment's target and each device's progress\n"
        "  audit                        who changed what, newest first (owners)\n"
        "  tokens                       your tokens (never their secrets)\n"
        "  revoke-token TOKEN           revoke one of your tokens by its id\n"
        "  delete-device DEVICE         delete a device, its reports and commands\n"
        "  delete-deployment DEPLOYMENT delete a deployment that has no devices\n"
        "  delete-release RELEASE       delete a release no deployment targets\n"
        "  remove-member USER           remove a user from the organisation\n"
        "\n"
        "The token comes from --token-file, else $KOS_ORBIT_TOKEN. IDs are numbers as\n"
        "the listings show them. Prints the server's JSON answer.\n";

static bool orbit_is_id(const char *s) {
        return *s && *s != '0' && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 18;
}

int cli_orbit(int argc, char **argv) {
        _cleanup_free_ char *path = NULL;
        CliOrbit orbit = { 0 };
        json_t *answer = NULL, *body = NULL;
        const char *verb, *method = "GET", *phases = NULL, *action = NULL, *name = NULL, *key_file = NULL;
        _cleanup_free_ char *key_text = NULL;
        int i, r, n_args;

        if (cli_wants_help(argc, argv)) {
                fputs(orbit_usage, stdout);
                return CLI_EXIT_OK;
        }
        for (i = 1; i < argc && argv[i][0] == '-'; i += 2) {
                if (i + 1 >= argc)
                        return cli_usage_error("orbit: option \"%s\" needs a value", argv[i]);
                if (strcmp(argv[i], "--orbit") == 0)
                        orbit.url = argv[i + 1];
                else if (strcmp(argv[i], "--token-file") == 0)
                        orbit.token_file = argv[i + 1];
                else if (strcmp(argv[i], "--org") == 0 && orbit_is_id(argv[i + 1]))
                        orbit.org = strtoll(argv[i + 1], NULL, 10);
                else
                        return cli_usage_error("orbit: unknown option \"%s\" (or a bad value)", argv[i]);
        }
        if (i >= argc)
                return cli_usage_error("orbit: which verb? see 'kos orbit --help'");
        verb = argv[i];
        n_args = argc - i - 1;
        /* attach D R --phases LIST; rollout D ACTION; names and key files last: the rest are ids */
        if (strcmp(verb, "attach") == 0 && n_args == 4 && strcmp(argv[i + 3], "--phases") == 0)
                phases = argv[i + 4], n_args = 2;
        if (strcmp(verb, "rollout") == 0 && n_args == 2)
                action = argv[i + 2], n_args = 1;
        if (strcmp(verb, "create-project") == 0 && n_args == 1)
                name = argv[i + 1], n_args = 0;
        if ((strcmp(verb, "create-deployment") == 0 && n_args == 2) || (strcmp(verb, "trust") == 0 && n_args == 2))
                name = argv[i + 2], n_args = 1;
        if (strcmp(verb, "register") == 0 && n_args == 3)
                name = argv[i + 2], key_file = argv[i + 3], n_args = 1;
        for (int a = i + 1; a <= i + n_args && strcmp(verb, "login") != 0; a++)
                if (!orbit_is_id(argv[a]))
                        return cli_usage_error("orbit: %s: \"%s\" is not an id", verb, argv[a]);

        if (strcmp(verb, "login") == 0) {
                char *line = NULL;
                size_t size = 0;
                if (n_args != 1 || !orbit.url)
                        return cli_usage_error("orbit: usage: kos orbit --orbit URL login EMAIL");
                if (getline(&line, &size, stdin) <= 0) {
                        free(line);
                        return cli_usage_error("orbit: login: give the password on standard input");
                }
                line[strcspn(line, "\n")] = '\0';
                body = json_pack("{s:s,s:s}", "email", argv[i + 1], "password", line);
                memset(line, 0, strlen(line));
                free(line);
                if (cli_orbit_request_json(&orbit, "POST", "/api/v1/login", body, &answer) < 0)
                        return CLI_EXIT_FAILURE;
                printf("%s\n", json_string_value(json_object_get(answer, "token")));
                json_decref(answer);
                return CLI_EXIT_OK;
        }
        r = cli_orbit_setup(&orbit);
        if (r != 0)
                return r;
        if (strcmp(verb, "orgs") == 0 && n_args == 0)
                r = asprintf(&path, "/api/v1/orgs");
        else if (strcmp(verb, "projects") == 0 && n_args == 0)
                r = asprintf(&path, "/api/v1/orgs/%lld/projects", (long long)orbit.org);
        else if (strcmp(verb, "deployments") == 0 && n_args == 1)
                r = asprintf(&path, "/api/v1/orgs/%lld/projects/%s/deployments", (long long)orbit.org, argv[i + 1]);
        else if (strcmp(verb, "devices") == 0 && n_args == 0)
                r = asprintf(&path, "/api/v1/orgs/%lld/devices", (long long)orbit.org);
        else if (strcmp(verb, "releases") == 0 && n_args == 1)
                r = asprintf(&path, "/api/v1/orgs/%lld/projects/%s/releases", (long long)orbit.org, argv[i + 1]);
        else if (strcmp(verb, "status") == 0 && n_args == 1)
                r = asprintf(&path, "/api/v1/orgs/%lld/deployments/%s", (long long)orbit.org, argv[i + 1]);
        else if (strcmp(verb, "audit") == 0 && n_args == 0)
                r = asprintf(&path, "/api/v1/orgs/%lld/audit", (long long)orbit.org);
        else if (strcmp(verb, "attach") == 0 && n_args == 2) {
                r = asprintf(&path, "/api/v1/orgs/%lld/deployments/%s/attach", (long long)orbit.org, argv[i + 1]);
                body = json_pack("{s:I}", "release", (json_int_t)strtoll(argv[i + 2], NULL, 10));
                if (phases)
                        json_object_set_new(body, "phases", json_string(phases));
                method = "POST";
        } else if (strcmp(verb, "rollout") == 0 && n_args == 1 && action) {
                r = asprintf(&path, "/api/v1/orgs/%lld/deployments/%s/rollout", (long long)orbit.org, argv[i + 1]);
                body = json_pack("{s:s}", "action", action);
                method = "POST";
        } else if (strcmp(verb, "create-project") == 0 && name && n_args == 0) {
                r = asprintf(&path, "/api/v1/orgs/%lld/projects", (long long)orbit.org);
                body = json_pack("{s:s}", "name", name);
                method = "POST";
        } else if (strcmp(verb, "create-deployment") == 0 && name && n_args == 1) {
                r = asprintf(&path, "/api/v1/orgs/%lld/projects/%s/deployments", (long long)orbit.org, argv[i + 1]);
                body = json_pack("{s:s}", "name", name);
                method = "POST";
        } else if ((strcmp(verb, "trust") == 0 && name && n_args == 1) ||
                   (strcmp(verb, "register") == 0 && key_file && n_args == 1)) {
                size_t size;
                const char *file = key_file ? key_file : name;
                r = read_file_full(file, 64 * 1024, &key_text, &size);
                if (r < 0) {
                        cli_orbit_done(&orbit);
                        return log_error("orbit: %s: %s", file, strerror(-r)), CLI_EXIT_FAILURE;
                }
                if (key_file) {
                        r = asprintf(&path, "/api/v1/orgs/%lld/devices", (long long)orbit.org);
                        body = json_pack("{s:s,s:s,s:I}", "name", name, "public_key", key_text, "deployment",
                                         (json_int_t)strtoll(argv[i + 1], NULL, 10));
                } else {
                        r = asprintf(&path, "/api/v1/orgs/%lld/projects/%s/keys", (long long)orbit.org, argv[i + 1]);
                        body = json_pack("{s:s}", "public_key", key_text);
                }
                method = "POST";
        } else if (strcmp(verb, "retry") == 0 && n_args == 1) {
                r = asprintf(&path, "/api/v1/orgs/%lld/devices/%s/retry", (long long)orbit.org, argv[i + 1]);
                method = "POST";
        } else if (strcmp(verb, "retry-deployment") == 0 && n_args == 1) {
                r = asprintf(&path, "/api/v1/orgs/%lld/deployments/%s/retry", (long long)orbit.org, argv[i + 1]);
                method = "POST";
        } else if (strcmp(verb, "tokens") == 0 && n_args == 0)
                r = asprintf(&path, "/api/v1/tokens");
        else if (strcmp(verb, "revoke-token") == 0 && n_args == 1) {
                r = asprintf(&path, "/api/v1/tokens/%s", argv[i + 1]);
                method = "DELETE";
        } else if (strncmp(verb, "delete-", 7) == 0 && n_args == 1 &&
                   (strcmp(verb + 7, "device") == 0 || strcmp(verb + 7, "deployment") == 0 ||
                    strcmp(verb + 7, "release") == 0)) {
                r = asprintf(&path, "/api/v1/orgs/%lld/%ss/%s", (long long)orbit.org, verb + 7, argv[i + 1]);
                method = "DELETE";
        } else if (strcmp(verb, "remove-member") == 0 && n_args == 1) {
                r = asprintf(&path, "/api/v1/orgs/%lld/members/%s", (long long)orbit.org, argv[i + 1]);
                method = "DELETE";
        } else {
                cli_orbit_done(&orbit);
                return cli_usage_error("orbit: unknown verb or wrong arguments: \"%s\"; see 'kos orbit --help'", verb);
        }
        if (r < 0) {
                cli_orbit_done(&orbit);
                json_decref(body);
                return CLI_EXIT_FAILURE;
        }
        r = cli_orbit_request_json(&orbit, method, path, body, &answer);
        cli_orbit_done(&orbit);
        if (r < 0)
                return CLI_EXIT_FAILURE;
        char *text = json_dumps(answer, JSON_COMPACT);
        json_decref(answer);
        if (!text)
                return CLI_EXIT_FAILURE;
        printf("%s\n", text);
        free(text);
        return CLI_EXIT_OK;
}

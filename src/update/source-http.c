// SPDX-License-Identifier: Apache-2.0
/*
 * Upgrade source backend: a store served over HTTP or HTTPS, through libcurl.
 *
 * One easy handle serves every request of an upgrade, so the connection is kept alive
 * across the many small objects of a release. A fetch from an offset asks for
 * "Range: bytes=OFFSET-"; the server may answer 206 (we check Content-Range starts at
 * OFFSET) or 200 with the whole file (we drop the bytes we already have). The sink sees
 * the same byte stream either way; the source's fetched record says which it was, and
 * how many bytes of the file crossed, the dropped ones included.
 *
 * Invariants: only http and https are spoken, redirects included, and a source given as
 * https is never followed to plain http (a downgrade would let anyone on the path choose
 * what we fetch, within what signatures allow); TLS peers are verified (libcurl's
 * default, never turned off), TLS 1.2 at least; a body is never accepted past max_size, whatever
 * Content-Length said; error bodies are counted and dropped, never passed to the sink; a
 * stalled transfer (under 1 byte/s for HTTP_STALL_SECONDS) is a broken one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "update/byteranges.h"
#include "update/content-range.h"
#include "update/source-backend.h"
#include "util/cleanup.h"

#define HTTP_CONNECT_SECONDS 15L
#define HTTP_STALL_SECONDS 30L
#define HTTP_ERROR_BODY_MAX (64U * 1024U)
#define HTTP_MAX_REDIRECTS 5L

typedef struct HttpSource {
        CURL *curl; /* owned */
        bool https; /* the location is https: so must every redirect be */
        char curl_error[CURL_ERROR_SIZE];
} HttpSource;

/* One request's state, seen by the header and write callbacks. */
typedef struct HttpTransfer {
        CURL *curl; /* the HttpSource's */
        UpdateSourceFetched *fetched; /* the source's: what this request received */
        uint64_t offset;   /* first byte we asked for */
        uint64_t max_size; /* bound on the file's size */
        uint64_t position; /* file offset of the next body byte */
        long status;       /* HTTP status of the final response, once the body starts */
        bool body_started;
        bool have_content_range;
        uint64_t content_range_start;
        uint64_t error_body;
        bool error_body_cut; /* an error body too long to read to its end */
        int error; /* why a callback aborted the transfer */
        UpdateSink sink;
        void *userdata;
} HttpTransfer;

static int http_open(UpdateSource *s) {
        _cleanup_free_ HttpSource *h = NULL;
        CURLU *url;
        char *part = NULL;
        bool bad;

        /* Parse once so a malformed URL fails before any request, and refuse a query or a
         * fragment: we append paths to the location, which those would swallow. */
        url = curl_url();
        if (!url)
                return -ENOMEM;
        bad = curl_url_set(url, CURLUPART_URL, s->location, 0) != CURLUE_OK;
        if (!bad && curl_url_get(url, CURLUPART_QUERY, &part, 0) == CURLUE_OK) {
                curl_free(part);
                bad = true;
        }
        if (!bad && curl_url_get(url, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
                curl_free(part);
                bad = true;
        }
        curl_url_cleanup(url);
        if (bad)
                return update_source_fail(s, -EINVAL, "%s: not a usable http(s) URL", s->shown);

        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -ENOMEM;
        h->curl = curl_easy_init();
        if (!h->curl) {
                curl_global_cleanup();
                return -ENOMEM;
        }
        h->https = strncmp(s->location, "https://", 8) == 0;
        curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, h->https ? "https" : "http,https");
        curl_easy_setopt(h->curl, CURLOPT_REDIR_PROTOCOLS_STR, h->https ? "https" : "http,https");
        curl_easy_setopt(h->curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
        curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h->curl, CURLOPT_MAXREDIRS, HTTP_MAX_REDIRECTS);
        curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, HTTP_CONNECT_SECONDS);
        curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_TIME, HTTP_STALL_SECONDS);
        curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "kos-upgrade/1");
        curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->curl_error);
        s->backend_data = steal_ptr(&h);
        return 0;
}

static void http_close(UpdateSource *s) {
        HttpSource *h = s->backend_data;

        if (!h)
                return;
        curl_easy_cleanup(h->curl);
        curl_global_cleanup();
        free(h);
        s->backend_data = NULL;
}

static size_t http_header(char *data, size_t size, size_t nmemb, void *userdata) {
        HttpTransfer *t = userdata;
        size_t n = size * nmemb;
        UpdateContentRange range;

        /* A new status line (after a redirect or a 100 Continue) starts a new response. */
        if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
                t->have_content_range = false;
                return n;
        }
        if (n < 14 || strncasecmp(data, "Content-Range:", 14) != 0)
                return n;
        t->have_content_range = update_content_range_parse(data + 14, n - 14, &range) == 0;
        if (t->have_content_range)
                t->content_range_start = range.first;
        return n;
}

/* Decides, at the first body byte, what the response means. */
static int http_body_start(HttpTransfer *t) {
        curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
        if (t->status == 200) {
                t->position = 0; /* whole file: drop what precedes offset */
                t->fetched->start = 0;
                return 0;
        }
        if (t->status == 206) {
                if (!t->have_content_range || t->content_range_start != t->offset)
                        return -EPROTO;
                t->position = t->offset;
                return 0;
        }
        return 0; /* an error status: its body is counted and dropped */
}

static size_t http_write(char *data, size_t size, size_t nmemb, void *userdata) {
        HttpTransfer *t = userdata;
        size_t n = size * nmemb;
        size_t skip = 0;
        int r;

        if (!t->body_started) {
                t->body_started = true;
                r = http_body_start(t);
                if (r < 0) {
                        t->error = r;
                        return 0;
                }
        }
        if (t->status != 200 && t->status != 206) {
                t->error_body += n;
                if (t->error_body > HTTP_ERROR_BODY_MAX) {
                        t->error_body_cut = true;
                        return 0;
                }
                return n;
        }
        t->fetched->received += n;
        if (n > t->max_size - t->position) {
                t->error = -EFBIG;
                return 0;
        }
        if (t->position < t->offset)
                skip = (size_t)(t->offset - t->position < n ? t->offset - t->position : n);
        t->position += n;
        if (skip == n)
                return n;
        r = t->sink(data + skip, n - skip, t->userdata);
        if (r < 0) {
                t->error = r;
                return 0;
        }
        return n;
}

/* The failure a libcurl result means, or 0 for CURLE_OK. */
static int http_curl_result(UpdateSource *s, CURLcode code, const char *url, uint64_t max_size) {
        HttpSource *h = s->backend_data;

        switch (code) {
        case CURLE_OK:
                break;
        case CURLE_FILESIZE_EXCEEDED:
                return update_source_fail(s, -EFBIG, "%s: larger than %" PRIu64 " bytes", url, max_size);
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
                return update_source_fail(s, -ECONNREFUSED, "%s: %s", url, h->curl_error);
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
                return update_source_fail(s, -ECONNABORTED, "%s: transfer broke off: %s", url, h->curl_error);
        case CURLE_UNSUPPORTED_PROTOCOL:
                if (h->https)
                        return update_source_fail(s, -EPROTO, "%s: refusing a redirect away from https: %s", url,
                                                  h->curl_error);
                return update_source_fail(s, -EPROTO, "%s: %s", url, h->curl_error);
        case CURLE_TOO_MANY_REDIRECTS:
        case CURLE_WEIRD_SERVER_REPLY:
                return update_source_fail(s, -EPROTO, "%s: %s", url, h->curl_error);
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CACERT_BADFILE:
                return update_source_fail(s, -EPROTO, "%s: TLS: %s", url, h->curl_error);
        default:
                return update_source_fail(s, -EIO, "%s: %s", url,
                                          h->curl_error[0] ? h->curl_error : curl_easy_strerror(code));
        }

        return 0;
}

static int http_result(UpdateSource *s, HttpTransfer *t, CURLcode code, const char *url) {
        int r;

        if (t->error == -EFBIG)
                return update_source_fail(s, -EFBIG, "%s: larger than %" PRIu64 " bytes", url, t->max_size);
        if (t->error == -EPROTO)
                return update_source_fail(s, -EPROTO, "%s: the server answered a range we did not ask for", url);
        if (t->error < 0)
                return t->error; /* the sink's own error: the caller explains it */

        r = http_curl_result(s, t->error_body_cut ? CURLE_OK : code, url, t->max_size);
        if (r < 0)
                return r;

        if (!t->body_started) /* an empty body: the status is known only now */
                curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
        if (t->status == 404 || t->status == 410)
                return update_source_fail(s, -ENOENT, "%s: not found (HTTP %ld)", url, t->status);
        if (t->status == 416)
                return update_source_fail(s, -ERANGE, "%s: offset %" PRIu64 " past the end", url, t->offset);
        if (t->status == 206 && !t->body_started) {
                if (!t->have_content_range || t->content_range_start != t->offset)
                        return update_source_fail(s, -EPROTO, "%s: the server answered a range we did not ask for", url);
        } else if (t->status != 200 && t->status != 206)
                return update_source_fail(s, -EPROTO, "%s: HTTP %ld", url, t->status);
        if (t->offset > 0 && t->status == 200 && t->position <= t->offset)
                return update_source_fail(s, -ERANGE, "%s: offset %" PRIu64 " past the end", url, t->offset);
        return 0;
}

static int http_fetch(UpdateSource *s, const char *path, uint64_t offset, uint64_t max_size,
                      UpdateSink sink, void *userdata) {
        HttpSource *h = s->backend_data;
        _cleanup_free_ char *url = NULL, *shown = NULL;
        char range[48];
        HttpTransfer t = {
                .curl = h->curl,
                .fetched = &s->fetched,
                .offset = offset,
                .max_size = max_size,
                .sink = sink,
                .userdata = userdata,
        };
        curl_off_t body = 0, headers = 0;
        long header_size = 0;
        CURLcode code;

        if (asprintf(&url, "%s/%s", s->location, path) < 0 || asprintf(&shown, "%s/%s", s->shown, path) < 0)
                return -ENOMEM;
        snprintf(range, sizeof(range), "%" PRIu64 "-", offset);

        h->curl_error[0] = '\0';
        curl_easy_setopt(h->curl, CURLOPT_URL, url);
        curl_easy_setopt(h->curl, CURLOPT_RANGE, offset > 0 ? range : NULL);
        curl_easy_setopt(h->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_size);
        curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, http_header);
        curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, http_write);
        curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &t);

        code = curl_easy_perform(h->curl);

        if (curl_easy_getinfo(h->curl, CURLINFO_SIZE_DOWNLOAD_T, &body) == CURLE_OK && body > 0)
                s->bytes_received += (uint64_t)body;
        if (curl_easy_getinfo(h->curl, CURLINFO_HEADER_SIZE, &header_size) == CURLE_OK && header_size > 0)
                headers = header_size;
        s->bytes_received += (uint64_t)headers;

        return http_result(s, &t, code, shown);
}

/* One multi-range request's state, seen by its header and write callbacks. */
typedef enum HttpRangesMode {
        HTTP_RANGES_UNDECIDED, /* no body byte yet */
        HTTP_RANGES_MULTIPART, /* 206, multipart/byteranges */
        HTTP_RANGES_SINGLE,    /* 206 with one Content-Range */
        HTTP_RANGES_WHOLE,     /* 200: the whole file */
        HTTP_RANGES_ERROR,     /* an error status: the body is counted and dropped */
} HttpRangesMode;

typedef struct HttpRangesTransfer {
        CURL *curl;
        UpdateSourceFetched *fetched;
        uint64_t max_size;
        uint64_t body, body_max; /* body bytes so far; the most any honest answer holds */
        HttpRangesMode mode;
        long status;
        bool have_content_range;
        UpdateContentRange content_range;
        bool have_boundary;
        char boundary[UPDATE_BYTERANGES_BOUNDARY_MAX + 1];
        UpdateByteranges multipart;
        uint64_t position;  /* SINGLE, WHOLE: file offset of the next body byte */
        uint64_t remaining; /* SINGLE: bytes the Content-Range still announces */
        uint64_t error_body;
        bool error_body_cut;
        int error;
        const char *error_what; /* why a callback refused the answer */
        bool sink_failed;       /* error is the sink's own */
        UpdateRangeSink sink;
        void *userdata;
} HttpRangesTransfer;

static size_t http_ranges_header(char *data, size_t size, size_t nmemb, void *userdata) {
        HttpRangesTransfer *t = userdata;
        size_t n = size * nmemb;

        if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
                t->have_content_range = t->have_boundary = false;
                return n;
        }
        if (n >= 14 && strncasecmp(data, "Content-Range:", 14) == 0)
                t->have_content_range = update_content_range_parse(data + 14, n - 14, &t->content_range) == 0;
        else if (n >= 13 && strncasecmp(data, "Content-Type:", 13) == 0) {
                const char *v = data + 13;
                size_t len = n - 13;

                while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n'))
                        len--;
                t->have_boundary = update_byteranges_boundary(v, len, t->boundary) == 0;
        }
        return n;
}

/* Passes bytes of the file on, within the bound. */
static int http_ranges_deliver(uint64_t offset, const void *data, size_t size, void *userdata) {
        HttpRangesTransfer *t = userdata;
        int r;

        t->fetched->received += size;
        if (offset >= t->max_size || size > t->max_size - offset) {
                t->error_what = "a range past the file's bound";
                return -EPROTO;
        }
        r = t->sink(offset, data, size, t->userdata);
        if (r < 0)
                t->sink_failed = true;
        return r;
}

static int http_ranges_body_start(HttpRangesTransfer *t) {
        curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
        if (t->status == 200) {
                t->mode = HTTP_RANGES_WHOLE;
                t->position = 0;
                t->fetched->start = 0;
                return 0;
        }
        if (t->status != 206) {
                t->mode = HTTP_RANGES_ERROR;
                return 0;
        }
        if (t->have_boundary) {
                t->mode = HTTP_RANGES_MULTIPART;
                update_byteranges_init(&t->multipart, t->boundary);
                return 0;
        }
        if (t->have_content_range) {
                t->mode = HTTP_RANGES_SINGLE;
                t->position = t->content_range.first;
                t->remaining = t->content_range.last - t->content_range.first + 1;
                return 0;
        }
        t->error_what = "a 206 answer that is neither multipart/byteranges nor has a Content-Range";
        return -EPROTO;
}

static size_t http_ranges_write(char *data, size_t size, size_t nmemb, void *userdata) {
        HttpRangesTransfer *t = userdata;
        size_t n = size * nmemb;
        int r = 0;

        if (t->mode == HTTP_RANGES_UNDECIDED) {
                r = http_ranges_body_start(t);
                if (r < 0) {
                        t->error = r;
                        return 0;
                }
        }
        t->body += n;
        if (t->mode != HTTP_RANGES_ERROR && t->body > t->body_max) {
                t->error_what = "an answer longer than the file and its multipart framing";
                t->error = -EPROTO;
                return 0;
        }
        switch (t->mode) {
        case HTTP_RANGES_ERROR:
                t->error_body += n;
                if (t->error_body > HTTP_ERROR_BODY_MAX) {
                        t->error_body_cut = true;
                        return 0;
                }
                return n;
        case HTTP_RANGES_MULTIPART:
                r = update_byteranges_feed(&t->multipart, data, n, http_ranges_deliver, t);
                if (r == -EPROTO && !t->error_what && !t->sink_failed)
                        t->error_what = "a malformed multipart/byteranges answer";
                break;
        case HTTP_RANGES_SINGLE:
                if (n > t->remaining) {
                        t->error_what = "more bytes than its Content-Range announced";
                        r = -EPROTO;
                        break;
                }
                r = http_ranges_deliver(t->position, data, n, t);
                t->position += n;
                t->remaining -= n;
                break;
        case HTTP_RANGES_WHOLE:
                r = http_ranges_deliver(t->position, data, n, t);
                t->position += n;
                break;
        case HTTP_RANGES_UNDECIDED:
                break;
        }
        if (r < 0) {
                t->error = r;
                return 0;
        }
        return n;
}

static int http_fetch_ranges(UpdateSource *s, const char *path, const UpdateRange *ranges, size_t n,
                             uint64_t max_size, UpdateRangeSink sink, void *userdata) {
        HttpSource *h = s->backend_data;
        _cleanup_free_ char *url = NULL, *shown = NULL, *range = NULL;
        HttpRangesTransfer t = {
                .curl = h->curl,
                .fetched = &s->fetched,
                .max_size = max_size,
                /* The whole file, or the ranges with a part header each: either way less. */
                .body_max = max_size + HTTP_ERROR_BODY_MAX + n * 4096,
                .sink = sink,
                .userdata = userdata,
        };
        curl_off_t body = 0;
        long header_size = 0;
        size_t size = 0;
        CURLcode code;
        FILE *f;
        int r;

        if (asprintf(&url, "%s/%s", s->location, path) < 0 || asprintf(&shown, "%s/%s", s->shown, path) < 0)
                return -ENOMEM;
        f = open_memstream(&range, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s%" PRIu64 "-%" PRIu64, i ? "," : "", ranges[i].first, ranges[i].last);
        if (fclose(f) != 0)
                return -ENOMEM;

        h->curl_error[0] = '\0';
        curl_easy_setopt(h->curl, CURLOPT_URL, url);
        curl_easy_setopt(h->curl, CURLOPT_RANGE, range);
        curl_easy_setopt(h->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)0);
        curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, http_ranges_header);
        curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, http_ranges_write);
        curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &t);

        code = curl_easy_perform(h->curl);

        if (curl_easy_getinfo(h->curl, CURLINFO_SIZE_DOWNLOAD_T, &body) == CURLE_OK && body > 0)
                s->bytes_received += (uint64_t)body;
        if (curl_easy_getinfo(h->curl, CURLINFO_HEADER_SIZE, &header_size) == CURLE_OK && header_size > 0)
                s->bytes_received += (uint64_t)header_size;

        if (t.error == -EPROTO && t.error_what && !t.sink_failed)
                return update_source_fail(s, -EPROTO, "%s: %s", shown, t.error_what);
        if (t.error < 0)
                return t.error; /* the sink's own: the caller explains it */
        r = http_curl_result(s, t.error_body_cut ? CURLE_OK : code, shown, max_size);
        if (r < 0)
                return r;
        if (t.mode == HTTP_RANGES_UNDECIDED) {
                curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &t.status);
                if (t.status == 200 || t.status == 206)
                        return 0; /* an empty file or answer: the caller finds what is missing */
        }
        if (t.status == 404 || t.status == 410)
                return update_source_fail(s, -ENOENT, "%s: not found (HTTP %ld)", shown, t.status);
        if (t.status == 416)
                return update_source_fail(s, -ERANGE, "%s: ranges past the end", shown);
        if (t.status != 200 && t.status != 206)
                return update_source_fail(s, -EPROTO, "%s: HTTP %ld", shown, t.status);
        if (t.mode == HTTP_RANGES_MULTIPART && update_byteranges_finish(&t.multipart) < 0)
                return update_source_fail(s, -EPROTO, "%s: the multipart/byteranges answer stops before its end", shown);
        return 0;
}

static int http_set_ca_file(UpdateSource *s, const char *path) {
        HttpSource *h = s->backend_data;

        if (curl_easy_setopt(h->curl, CURLOPT_CAINFO, path) != CURLE_OK ||
            curl_easy_setopt(h->curl, CURLOPT_CAPATH, NULL) != CURLE_OK)
                return -ENOMEM;
        return 0;
}

const UpdateSourceBackend update_source_http_backend = {
        .kind = "http",
        .open = http_open,
        .close = http_close,
        .fetch = http_fetch,
        .fetch_ranges = http_fetch_ranges,
        .set_ca_file = http_set_ca_file,
};

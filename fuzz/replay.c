// SPDX-License-Identifier: Apache-2.0
/*
 * A plain main() for a fuzz target, so that builds without libFuzzer (the gcc build) still
 * replay every corpus: each argument is an input file, or a directory whose regular files
 * are inputs (in name order). Each input is passed to LLVMFuzzerTestOneInput() in a buffer
 * of exactly its size, so a sanitizer sees any read past its end.
 *
 *   fuzz-NAME CORPUS_DIR_OR_FILE...
 *
 * Exits 0 after replaying at least one input; 1 if an input cannot be read or there is
 * none. A target that finds a bug aborts, as under libFuzzer.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs larger than this are not replayed (libFuzzer's default -max_len is far lower). */
#define REPLAY_INPUT_MAX (16U * 1024U * 1024U)

/* Reads path whole into a buffer of exactly its size (one byte for an empty file). */
static int replay_read(const char *path, uint8_t **datap, size_t *sizep) {
        FILE *f = fopen(path, "rbe");
        uint8_t *data = NULL;
        struct stat st;
        size_t size = 0;
        int r = 0;

        if (!f)
                return -errno;
        if (fstat(fileno(f), &st) < 0)
                r = -errno;
        else if (!S_ISREG(st.st_mode))
                r = -EINVAL;
        else if ((uintmax_t)st.st_size > REPLAY_INPUT_MAX)
                r = -EFBIG;
        if (r == 0) {
                size = (size_t)st.st_size;
                data = malloc(size ? size : 1);
                if (!data)
                        r = -ENOMEM;
                else if (fread(data, 1, size, f) != size || fgetc(f) != EOF)
                        r = -EIO; /* changed while read */
        }
        fclose(f);
        if (r < 0) {
                free(data);
                return r;
        }
        *datap = data;
        *sizep = size;
        return 0;
}

static int replay_file(const char *path) {
        uint8_t *data = NULL;
        size_t size = 0;
        int r;

        r = replay_read(path, &data, &size);
        if (r < 0) {
                fprintf(stderr, "replay: %s: %s\n", path, strerror(-r));
                return r;
        }
        LLVMFuzzerTestOneInput(data, size);
        free(data);
        return 0;
}

static int skip_hidden(const struct dirent *de) {
        return de->d_name[0] != '.';
}

/* Replays every file of dir; returns how many, or a negative errno. */
static int replay_dir(const char *dir) {
        struct dirent **names;
        int n, count = 0, r = 0;

        n = scandir(dir, &names, skip_hidden, alphasort);
        if (n < 0) {
                fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
                return -errno;
        }
        for (int i = 0; i < n; i++) {
                char *path;

                if (r == 0 && asprintf(&path, "%s/%s", dir, names[i]->d_name) < 0)
                        r = -ENOMEM;
                else if (r == 0) {
                        r = replay_file(path);
                        free(path);
                        count++;
                }
                free(names[i]);
        }
        free(names);
        return r < 0 ? r : count;
}

int main(int argc, char **argv) {
        int total = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                int r;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
                        return 1;
                }
                r = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]);
                if (r < 0)
                        return 1;
                total += S_ISDIR(st.st_mode) ? r : 1;
        }
        if (total == 0) {
                fprintf(stderr, "replay: no input\n");
                return 1;
        }
        fprintf(stderr, "replay: %d inputs\n", total);
        return 0;
}

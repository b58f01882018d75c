// SPDX-License-Identifier: Apache-2.0
/*
 * Boot images (see bootfs.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/bootfs.h"
#include "image/cpio.h"
#include "image/modules.h"
#include "image/run.h"
#include "util/cleanup.h"
#include "util/strv.h"

#define MIB ((uint64_t)1024 * 1024)

/*
 * kos-boot reads the ImageFS: block devices (virtio) and ext4, with what ext4 needs from
 * the crypto API (crc32c-intel does not work on every CPU QEMU emulates). Every module
 * costs boot time (11 modules took 291 ms under TCG), so it gets no other.
 */
char *const image_boot_modules[] = {
        "virtio_pci", "virtio_blk", "crc32c_generic", "ext4", NULL,
};

/* kos-init also mounts the components: loop devices, their formats, device-mapper's
 * verity and crypt targets, and the overlay root. dm-crypt's aes-xts-plain64 needs the xts
 * and ecb templates loaded before the table is: there is no modprobe in the initrd for the
 * kernel to ask for them, and ecb is only a soft dependency of xts, which modules.dep does
 * not list. AES itself is built in; aesni-intel is left out, as it does not load on every
 * CPU QEMU emulates. i6300esb is the watchdog `kos simulate` gives the machine, which
 * kos-init arms (docs/boot.md, "The watchdog"); a board's own watchdog driver goes here. */
char *const image_system_modules[] = {
        "virtio_pci", "virtio_blk", "crc32c_generic", "ext4", "loop", "squashfs", "erofs", "overlay", "dm_verity",
        "dm_crypt", "xts", "ecb", "i6300esb", NULL,
};

/* Says in buf what failed, and why: fmt, then ": " and r's text. Returns r. */
static int what(char *buf, size_t size, int r, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int what(char *buf, size_t size, int r, const char *fmt, ...) {
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, size, fmt, ap);
        va_end(ap);
        /* -EPROTO: a tool failed, and its own message on stderr said why. */
        if (n >= 0 && (size_t)n < size)
                snprintf(buf + n, size - (size_t)n, ": %s", r == -EPROTO ? "failed" : strerror(-r));
        return r;
}

/* Like what(), for a message that says why by itself. */
static int explain(char *buf, size_t size, int r, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int explain(char *buf, size_t size, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, size, fmt, ap);
        va_end(ap);
        return r;
}

void image_kernel_done(ImageKernel *k) {
        free(k->version);
        free(k->vmlinuz);
        free(k->moddir);
        *k = (ImageKernel){ 0 };
}

int image_kernel_find(const char *root, ImageKernel *k) {
        _cleanup_free_ char *moddirs = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *e;
        struct stat st;

        *k = (ImageKernel){ 0 };
        if (asprintf(&moddirs, "%s/lib/modules", root) < 0)
                return -ENOMEM;
        d = opendir(moddirs);
        if (!d)
                return -errno;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                if (k->version) {
                        image_kernel_done(k);
                        return -ENOTUNIQ;
                }
                k->version = strdup(e->d_name);
                if (!k->version)
                        return -ENOMEM;
        }
        if (!k->version)
                return -ENOENT;
        if (asprintf(&k->vmlinuz, "%s/boot/vmlinuz-%s", root, k->version) < 0 ||
            asprintf(&k->moddir, "%s/%s", moddirs, k->version) < 0) {
                image_kernel_done(k);
                return -ENOMEM;
        }
        if (stat(k->vmlinuz, &st) < 0) {
                int r = -errno;
                image_kernel_done(k);
                return r;
        }
        return 0;
}

static int initramfs_add_trust(Cpio *c, const char *trust_dir, unsigned *countp) {
        _cleanup_(closedirp) DIR *d = opendir(trust_dir);
        struct dirent *e;
        int r;

        if (!d)
                return -errno;
        *countp = 0;
        while ((e = readdir(d))) {
                size_t len = strlen(e->d_name);
                _cleanup_free_ char *path = NULL, *name = NULL;
                if (len < 5 || strcmp(e->d_name + len - 4, ".pub") != 0)
                        continue;
                if (asprintf(&path, "%s/%s", trust_dir, e->d_name) < 0 ||
                    asprintf(&name, "etc/kos/trust/%s", e->d_name) < 0)
                        return -ENOMEM;
                r = cpio_add_file(c, name, 0644, path);
                if (r < 0)
                        return r;
                (*countp)++;
        }
        return 0;
}

static int initramfs_add_modules(Cpio *c, const ImageKernel *k, char *const *modules, char *whatbuf,
                                 size_t whatsize) {
        _cleanup_(strv_freep) char **paths = NULL;
        _cleanup_free_ char *dep = NULL, *missing = NULL, *depname = NULL;
        int r;

        r = image_modules_closure(k->moddir, modules, &paths, &dep, &missing);
        if (r == -ENOENT && missing)
                return explain(whatbuf, whatsize, r, "%s/modules.dep: no module %s", k->moddir, missing);
        if (r < 0)
                return what(whatbuf, whatsize, r, "%s/modules.dep", k->moddir);
        for (size_t i = 0; paths[i]; i++) {
                _cleanup_free_ char *src = NULL, *name = NULL;
                if (asprintf(&src, "%s/%s", k->moddir, paths[i]) < 0 ||
                    asprintf(&name, "lib/modules/%s/%s", k->version, paths[i]) < 0)
                        return -ENOMEM;
                r = cpio_add_file(c, name, 0644, src);
                if (r < 0)
                        return what(whatbuf, whatsize, r, "%s", src);
        }
        if (asprintf(&depname, "lib/modules/%s/modules.dep", k->version) < 0)
                return -ENOMEM;
        return cpio_add_data(c, depname, 0644, dep, strlen(dep));
}

static int initramfs_write(const char *tmp, const char *program, const char *trust_dir, const ImageKernel *k,
                           char *const *modules, char *whatbuf, size_t whatsize) {
        _cleanup_close_ int fd = -1;
        _cleanup_(cpio_freep) Cpio *c = NULL;
        unsigned keys = 0;
        int r;

        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return what(whatbuf, whatsize, -errno, "%s", tmp);
        r = cpio_new(&c, fd);
        if (r < 0)
                return r;
        r = cpio_add_chardev(c, "dev/console", 0600, 5, 1);
        if (r == 0)
                r = cpio_add_dir(c, "proc", 0755);
        if (r == 0)
                r = cpio_add_dir(c, "sys", 0755);
        if (r == 0)
                r = cpio_add_dir(c, "run", 0755);
        if (r == 0)
                r = cpio_add_dir(c, "root", 0700);
        if (r < 0)
                return what(whatbuf, whatsize, r, "%s", tmp);
        r = cpio_add_file(c, "init", 0755, program);
        if (r < 0)
                return what(whatbuf, whatsize, r, "%s", program);
        r = initramfs_add_trust(c, trust_dir, &keys);
        if (r < 0)
                return what(whatbuf, whatsize, r, "%s", trust_dir);
        if (keys == 0)
                return explain(whatbuf, whatsize, -ENOKEY, "%s: no *.pub key to trust", trust_dir);
        r = initramfs_add_modules(c, k, modules, whatbuf, whatsize);
        if (r < 0)
                return r;
        r = cpio_finish(c);
        if (r < 0)
                return what(whatbuf, whatsize, r, "%s", tmp);
        return 0;
}

int image_initramfs_write(const char *out, const char *program, const char *trust_dir, const ImageKernel *k,
                          char *const *modules, char *whatbuf, size_t whatsize) {
        _cleanup_free_ char *cpio = NULL, *tmp = NULL;
        int r;

        if (asprintf(&cpio, "%s.cpio.tmp", out) < 0 || asprintf(&tmp, "%s.tmp", out) < 0)
                return -ENOMEM;
        r = initramfs_write(cpio, program, trust_dir, k, modules, whatbuf, whatsize);
        /*
         * zstd: a third of the size, which kexec_file_load copies and hashes (and kos-boot
         * hashes) at every boot under emulation's slow SHA-256, and which the kernel
         * unpacks faster than gzip. Level 9 takes a quarter of a second here.
         */
        if (r == 0) {
                r = image_run((char *[]){ "zstd", "-q", "-9", "-f", "-o", tmp, cpio, NULL }, NULL, NULL);
                if (r < 0)
                        what(whatbuf, whatsize, r, "zstd %s", cpio);
        }
        if (r == 0 && rename(tmp, out) < 0)
                r = what(whatbuf, whatsize, -errno, "%s", out);
        (void)unlink(cpio);
        if (r < 0)
                (void)unlink(tmp);
        return r;
}

/* The store's files, hard-linked (or copied, across file systems) into a staging tree. */
static const char *clone_src, *clone_dst;
static uint64_t clone_bytes;
static int clone_error;

static int clone_copy(const char *from, const char *to, mode_t mode) {
        _cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_close_ int out = -1;
        ssize_t n;

        if (in < 0)
                return -errno;
        out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
        if (out < 0)
                return -errno;
        do
                n = copy_file_range(in, NULL, out, NULL, SIZE_MAX >> 2, 0);
        while (n > 0);
        return n < 0 ? -errno : 0;
}

static int clone_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        _cleanup_free_ char *to = NULL;
        (void)ftw;

        if (asprintf(&to, "%s%s", clone_dst, path + strlen(clone_src)) < 0)
                return clone_error = -ENOMEM, 1;
        if (type == FTW_D) {
                if (mkdir(to, st->st_mode & 0777) < 0 && errno != EEXIST)
                        return clone_error = -errno, 1;
                return 0;
        }
        if (type != FTW_F)
                return clone_error = -EINVAL, 1; /* a store holds only files and directories */
        clone_bytes += (uint64_t)st->st_size;
        if (link(path, to) == 0)
                return 0;
        if (errno != EXDEV && errno != EPERM)
                return clone_error = -errno, 1;
        clone_error = clone_copy(path, to, st->st_mode);
        return clone_error < 0;
}

static int clone_tree(const char *src, const char *dst, uint64_t *bytesp) {
        clone_src = src;
        clone_dst = dst;
        clone_bytes = 0;
        clone_error = 0;
        if (nftw(src, clone_one, 16, FTW_PHYS) != 0)
                return clone_error < 0 ? clone_error : -errno;
        *bytesp = clone_bytes;
        return 0;
}

static int ext4_make(const char *path, const char *label, const char *dir, uint64_t size) {
        char sizearg[32];
        char *argv[16];
        size_t n = 0;

        snprintf(sizearg, sizeof(sizearg), "%" PRIu64 "k", size / 1024);
        argv[n++] = "mkfs.ext4";
        argv[n++] = "-q";
        argv[n++] = "-F";
        argv[n++] = "-L";
        argv[n++] = (char *)label;
        argv[n++] = "-E";
        argv[n++] = "root_owner=0:0";
        if (dir) {
                argv[n++] = "-d";
                argv[n++] = (char *)dir;
        }
        argv[n++] = (char *)path;
        argv[n++] = sizearg;
        argv[n] = NULL;
        return image_run(argv, NULL, NULL);
}

/* Copies the data (not the holes) of from into to at offset. */
static int copy_sparse(const char *from, int to, uint64_t offset) {
        _cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
        off_t data = 0, hole;

        if (in < 0)
                return -errno;
        for (;;) {
                data = lseek(in, data, SEEK_DATA);
                if (data < 0)
                        return errno == ENXIO ? 0 : -errno;
                hole = lseek(in, data, SEEK_HOLE);
                if (hole < 0)
                        return -errno;
                while (data < hole) {
                        loff_t in_off = data, out_off = (loff_t)offset + data;
                        ssize_t n = copy_file_range(in, &in_off, to, &out_off, (size_t)(hole - data), 0);
                        if (n <= 0)
                                return n < 0 ? -errno : -EIO;
                        data += n;
                }
        }
}

/*
 * GPT with the ImageFS first and the DataFS second, each starting on a 1 MiB boundary.
 * The partition type is "Linux filesystem"; kos-boot and kos-init find them by label.
 */
static int disk_assemble(const char *out, const char *imagefs, uint64_t imagefs_size, const char *datafs,
                         uint64_t datafs_size) {
        _cleanup_close_ int fd = -1;
        char script[256];
        uint64_t first = MIB, second = first + imagefs_size, total = second + datafs_size + MIB;
        int r;

        fd = open(out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        if (ftruncate(fd, (off_t)total) < 0)
                return -errno;
        snprintf(script, sizeof(script),
                 "label: gpt\n"
                 "start=%" PRIu64 ", size=%" PRIu64 ", type=linux, name=kos-imagefs\n"
                 "start=%" PRIu64 ", size=%" PRIu64 ", type=linux, name=kos-datafs\n",
                 first / 512, imagefs_size / 512, second / 512, datafs_size / 512);
        r = image_run((char *[]){ "sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", (char *)out, NULL },
                      script, NULL);
        if (r < 0)
                return r;
        r = copy_sparse(imagefs, fd, first);
        if (r == 0)
                r = copy_sparse(datafs, fd, second);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        return r;
}

static uint64_t round_mib(uint64_t n) {
        return (n + MIB - 1) / MIB * MIB;
}

static int rm_rf_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void)st, (void)ftw;
        return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

static void rm_rf(const char *path) {
        (void)nftw(path, rm_rf_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int bootfs_disk(const ImageBootfsOptions *o, const char *work, char *whatbuf, size_t whatsize) {
        _cleanup_free_ char *stage = NULL, *stage_store = NULL, *imagefs = NULL, *datafs = NULL, *disk = NULL,
                            *tmpdisk = NULL;
        uint64_t bytes = 0, imagefs_size, datafs_size;
        int r;

        if (asprintf(&stage, "%s/imagefs", work) < 0 || asprintf(&stage_store, "%s/imagefs/store", work) < 0 ||
            asprintf(&imagefs, "%s/imagefs.ext4", work) < 0 || asprintf(&datafs, "%s/datafs.ext4", work) < 0 ||
            asprintf(&disk, "%s/disk.img", o->out_dir) < 0 || asprintf(&tmpdisk, "%s/disk.img.tmp", o->out_dir) < 0)
                return -ENOMEM;
        if (mkdir(stage, 0755) < 0)
                return what(whatbuf, whatsize, -errno, "%s", stage);
        r = clone_tree(o->store, stage_store, &bytes);
        if (r < 0)
                return what(whatbuf, whatsize, r, "%s: cannot copy the store", o->store);
        /* ext4's own metadata (inode tables, journal) comes on top of the files. */
        imagefs_size = round_mib(o->imagefs_size ? o->imagefs_size : 2 * bytes + 64 * MIB);
        datafs_size = round_mib(o->datafs_size ? o->datafs_size : 64 * MIB);
        r = ext4_make(imagefs, IMAGE_IMAGEFS_LABEL, stage, imagefs_size);
        if (r < 0)
                return what(whatbuf, whatsize, r, "mkfs.ext4 of the ImageFS (%" PRIu64 " MiB for %" PRIu64 " MiB of store)",
                            imagefs_size / MIB, round_mib(bytes) / MIB);
        r = ext4_make(datafs, IMAGE_DATAFS_LABEL, o->datafs_dir, datafs_size);
        if (r < 0)
                return what(whatbuf, whatsize, r, "mkfs.ext4 of the DataFS");
        r = disk_assemble(tmpdisk, imagefs, imagefs_size, datafs, datafs_size);
        if (r < 0) {
                unlink(tmpdisk);
                return what(whatbuf, whatsize, r, "%s", tmpdisk);
        }
        if (rename(tmpdisk, disk) < 0)
                return what(whatbuf, whatsize, -errno, "%s", disk);
        return 0;
}

/* The kernel, copied whole or not at all (a temporary name, then rename). */
static int kernel_copy(const char *from, const char *to, char *whatbuf, size_t whatsize) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        if (asprintf(&tmp, "%s.tmp", to) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return what(whatbuf, whatsize, -errno, "%s", tmp);
        r = copy_sparse(from, fd, 0);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && rename(tmp, to) < 0)
                r = -errno;
        if (r < 0) {
                (void)unlink(tmp);
                return what(whatbuf, whatsize, r, "%s", to);
        }
        return 0;
}

int image_bootfs_build(const ImageBootfsOptions *o, char *whatbuf, size_t whatsize) {
        _cleanup_(image_kernel_done) ImageKernel k = { 0 };
        _cleanup_free_ char *work = NULL, *initramfs = NULL, *vmlinuz = NULL;
        int r;

        r = image_kernel_find(o->kernel_root, &k);
        if (r < 0)
                return what(whatbuf, whatsize, r, "%s: no kernel (boot/vmlinuz-V and lib/modules/V)", o->kernel_root);
        if (mkdir(o->out_dir, 0755) < 0 && errno != EEXIST)
                return what(whatbuf, whatsize, -errno, "%s", o->out_dir);
        if (asprintf(&work, "%s/.work", o->out_dir) < 0 || asprintf(&initramfs, "%s/initramfs.img", o->out_dir) < 0 ||
            asprintf(&vmlinuz, "%s/vmlinuz", o->out_dir) < 0)
                return -ENOMEM;
        rm_rf(work);
        if (mkdir(work, 0700) < 0)
                return what(whatbuf, whatsize, -errno, "%s", work);
        r = image_initramfs_write(initramfs, o->boot_program, o->trust_dir, &k, image_boot_modules, whatbuf,
                                  whatsize);
        if (r == 0)
                r = bootfs_disk(o, work, whatbuf, whatsize);
        if (r == 0)
                r = kernel_copy(k.vmlinuz, vmlinuz, whatbuf, whatsize);
        rm_rf(work);
        return r;
}

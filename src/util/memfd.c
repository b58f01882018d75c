// SPDX-License-Identifier: Apache-2.0
/*
 * Sealed memory files (see memfd.h for the invariant).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "util/memfd.h"

#define MEMFD_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)
#define MEMFD_EXEC 0x0010U /* MFD_EXEC (Linux 6.3), which older headers lack */

int memfd_new_sealable(const char *name, bool exec, int *fdp) {
        unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
        int fd;

        /* Kernels with vm.memfd_noexec (6.3) want MFD_EXEC said; older ones reject it. */
        fd = memfd_create(name, flags | (exec ? MEMFD_EXEC : 0));
        if (fd < 0 && exec && errno == EINVAL)
                fd = memfd_create(name, flags);
        if (fd < 0)
                return -errno;
        *fdp = fd;
        return 0;
}

int memfd_seal(int fd) {
        return fcntl(fd, F_ADD_SEALS, MEMFD_SEALS | F_SEAL_SEAL) < 0 ? -errno : 0;
}

bool memfd_is_sealed(int fd) {
        int seals = fcntl(fd, F_GET_SEALS);

        return seals >= 0 && (seals & MEMFD_SEALS) == MEMFD_SEALS;
}

/*
 * tmpfile.c - unlinked temporary files (tmpfile.h).
 */
#include "base/tmpfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *
kz_tmp_dir(const char *dir)
{
    if (dir == NULL || *dir == '\0')
        dir = getenv("TMPDIR");
    return dir != NULL && *dir != '\0' ? dir : "/tmp";
}

kz_status
kz_tmpfile(const char *dir, const char *what, FILE **out, kz_error *err)
{
    char path[1024];
    int fd;

    *out = NULL;
    dir = kz_tmp_dir(dir);
    if ((size_t)snprintf(path, sizeof(path), "%s/kizuki-%s-XXXXXX", dir,
                         what) >= sizeof(path))
        return kz_error_set(err, KZ_EIO,
                            "%s: temporary directory path too long", what);
    if ((fd = mkstemp(path)) < 0)
        return kz_error_set(err, KZ_EIO,
                            "cannot make a temporary file (kizuki-%s-*) in "
                            "%s: %s",
                            what, dir, strerror(errno));
    unlink(path);
    if ((*out = fdopen(fd, "w+b")) == NULL) {
        close(fd);
        return kz_error_set(err, KZ_ENOMEM, "%s: fdopen", what);
    }
    return KZ_OK;
}

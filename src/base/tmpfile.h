/*
 * tmpfile.h - unlinked temporary files for spills (the detection store,
 * the external sorter, the impact spool, the analytics' bulk lists): made
 * with mkstemp in a directory, unlinked at once (nothing is left behind
 * whatever happens to the process), opened "w+b".
 * Errors: KZ_EIO when the file cannot be made (message names the
 * directory and the reason), KZ_ENOMEM when fdopen fails.
 * Threads: reentrant.
 */
#ifndef KZ_BASE_TMPFILE_H
#define KZ_BASE_TMPFILE_H

#include <stdio.h>

#include "base/error.h"

/* The directory for temporary files: dir when given and not empty, else
 * $TMPDIR when set and not empty, else "/tmp". */
const char *kz_tmp_dir(const char *dir);

/* A new unlinked file "DIR/kizuki-<what>-XXXXXX" open for writing and
 * reading in *out. what names the user in the file name and the error
 * message ("sort", "impact"...). */
kz_status kz_tmpfile(const char *dir, const char *what, FILE **out,
                     kz_error *err);

#endif /* KZ_BASE_TMPFILE_H */

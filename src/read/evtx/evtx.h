/*
 * evtx.h - reader for Windows XML Event Log (EVTX) files.
 *
 * A 4 KiB file header, then 64 KiB chunks; each chunk holds event records
 * whose payload is "binary XML" referring to the chunk's own names and
 * templates, so chunks parse independently (the unit of parallel work).
 * Full notes: docs/formats/evtx.md.
 *
 * File header (block 0, 4096 bytes; 128 meaningful):
 *   off  size  field
 *   0    8     signature "ElfFile\0"
 *   8    8     first chunk number
 *   16   8     last chunk number
 *   24   8     next record identifier
 *   32   4     header size (128)
 *   36   2     minor version (1 or 2)
 *   38   2     major version (3)
 *   40   2     header block size (4096) = offset of chunk 0
 *   42   2     number of chunks (often stale in dirty files)
 *   120  4     flags (0x1 dirty, 0x2 full)
 *   124  4     CRC32 of bytes 0..119
 *
 * Chunk header (first 512 bytes of each 65536-byte chunk):
 *   0    8     signature "ElfChnk\0"
 *   8    8     first event record number
 *   16   8     last event record number
 *   24   8     first event record identifier
 *   32   8     last event record identifier
 *   40   4     header size (128)
 *   44   4     offset of the last record
 *   48   4     free space offset (end of record data)
 *   52   4     CRC32 of record data (512 .. free space offset)
 *   120  4     flags
 *   124  4     CRC32 of bytes 0..119 and 128..511
 *   128  256   string table: 64 u32 offsets (a cache; ignored)
 *   384  128   template table: 32 u32 offsets (a cache; ignored)
 *
 * Event record (at 512, back to back up to the free space offset):
 *   0    4     signature 2a 2a 00 00
 *   4    4     size of the whole record
 *   8    8     record identifier (EventRecordID)
 *   16   8     written time (FILETIME)
 *   24   n     binary XML, n = size - 28
 *   24+n 4     copy of size
 *
 * Ownership: events produced by kz_evtx_parse_chunk live in the batch's
 * arena. Errors: damage becomes problems in the batch; only OOM fails.
 * Threads: kz_evtx_parse_chunk is reentrant (one chunk per call).
 */
#ifndef KZ_READ_EVTX_EVTX_H
#define KZ_READ_EVTX_EVTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "read/read.h"

#define KZ_EVTX_FILE_HEADER_SIZE 4096
#define KZ_EVTX_CHUNK_SIZE 65536
#define KZ_EVTX_CHUNK_HEADER_SIZE 512
#define KZ_EVTX_RECORD_HEADER_SIZE 24

/* What the file header said, passed to every chunk of the file. */
typedef struct kz_evtx_file_info {
    uint64_t header_chunks;   /* number of chunks the header claims */
    uint16_t minor, major;    /* version */
    uint32_t flags;           /* header flags (dirty, full) */
    bool header_ok;           /* signature and CRC valid */
} kz_evtx_file_info;

/* Parses one chunk (len bytes, normally 65536; fewer if the file was
 * truncated) whose first byte is at file offset off and whose index in the
 * file is chunk_no, appending events and problems to b. */
kz_status kz_evtx_parse_chunk(const uint8_t *chunk, size_t len, uint64_t off,
                              uint64_t chunk_no,
                              const kz_evtx_file_info *info,
                              const kz_read_opts *o, kz_batch *b);

#endif /* KZ_READ_EVTX_EVTX_H */

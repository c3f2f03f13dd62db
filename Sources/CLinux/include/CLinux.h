// Linux calls that Swift's Glibc module leaves out, because glibc declares
// them only with _GNU_SOURCE.
#ifndef STAGELOAD_CLINUX_H
#define STAGELOAD_CLINUX_H

#include <stddef.h>
#include <stdint.h>

// SYNC_FILE_RANGE_WRITE from <fcntl.h>: start writeback of dirty pages in
// the range without waiting for it.
#define STAGELOAD_SYNC_FILE_RANGE_WRITE 2

// Calls sync_file_range(2); returns 0, or -1 with errno set.
int stageload_sync_file_range(int fd, int64_t offset, int64_t count, unsigned int flags);

// Calls memmem(3); returns the first occurrence of `needle` in `haystack`,
// or NULL when there is none.
void *stageload_memmem(const void *haystack, size_t haystack_count, const void *needle,
                       size_t needle_count);

#endif

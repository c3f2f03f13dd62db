#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>

#include "CLinux.h"

int stageload_sync_file_range(int fd, int64_t offset, int64_t count, unsigned int flags) {
  return sync_file_range(fd, offset, count, flags);
}

void *stageload_memmem(const void *haystack, size_t haystack_count, const void *needle,
                       size_t needle_count) {
  return memmem(haystack, haystack_count, needle, needle_count);
}

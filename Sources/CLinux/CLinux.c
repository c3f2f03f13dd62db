#define _GNU_SOURCE
#include <fcntl.h>

#include "CLinux.h"

int stageload_sync_file_range(int fd, int64_t offset, int64_t count, unsigned int flags) {
  return sync_file_range(fd, offset, count, flags);
}

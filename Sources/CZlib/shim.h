// zlib's streaming API (zlib1g-dev).
#include <zlib.h>

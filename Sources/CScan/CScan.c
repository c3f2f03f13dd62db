// Everything in this target is static inline in include/CScan.h. This file
// exists because SwiftPM builds a C target only from at least one source file.
#include "CScan.h"

// Byte-class scans of 16 bytes at a time for split's row scanner.
//
// Each function loads 16 bytes from `source`, stores them unchanged to
// `destination`, and returns a mask with bit k set when byte k belongs to
// the class the function names. The store lets the caller copy a plain run
// before it has found where the run ends. It then advances its output
// cursor only over the bytes it keeps.
//
// The functions are static inline, so that Swift, which imports them
// through this header, can inline them into its scan loops. A call into a
// separately compiled C function per 16 bytes would cost more than the scan.
// On x86-64 they use SSE2, which every x86-64 CPU has. Other targets call
// the `_scalar` forms, per-byte loops with the same results, which are
// compiled everywhere so that tests can compare the two.
//
// Both pointers may be unaligned. The caller must make 16 bytes readable at
// `source` and 16 writable at `destination`, and they must not overlap.
#ifndef STAGELOAD_CSCAN_H
#define STAGELOAD_CSCAN_H

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// Bytes at which a text value's copy stops: the control bytes below 0x0e
// (NUL, tab, LF and CR among them), backslash, and every byte from 0x80.
static inline uint32_t stageload_copy16_text_stops_scalar(uint8_t *destination,
                                                          const uint8_t *source) {
  uint32_t mask = 0;
  memcpy(destination, source, 16);
  for (int lane = 0; lane < 16; lane++) {
    uint8_t byte = source[lane];
    if (byte < 0x0e || byte == '\\' || byte >= 0x80) mask |= 1u << lane;
  }
  return mask;
}

static inline uint32_t stageload_copy16_text_stops(uint8_t *destination, const uint8_t *source) {
#if defined(__SSE2__)
  __m128i bytes = _mm_loadu_si128((const __m128i *)source);
  _mm_storeu_si128((__m128i *)destination, bytes);
  // A signed compare treats bytes from 0x80 as negative, so "below 0x0e"
  // marks them along with the control bytes.
  __m128i stops = _mm_or_si128(_mm_cmplt_epi8(bytes, _mm_set1_epi8(0x0e)),
                               _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\')));
  return (uint32_t)_mm_movemask_epi8(stops);
#else
  return stageload_copy16_text_stops_scalar(destination, source);
#endif
}

// Bytes that a plain-list copy must look at: every byte below 0x2d
// (controls, space, '"', ',' and '!' to '+'), backslash, and every byte
// from '{' (0x7b) up. The class covers all bytes that PostgreSQL array
// elements must quote and any list separator below 0x2d. Some bytes in it,
// such as '!', need no quotes, so the caller checks each marked byte.
static inline uint32_t stageload_copy16_list_candidates_scalar(uint8_t *destination,
                                                               const uint8_t *source) {
  uint32_t mask = 0;
  memcpy(destination, source, 16);
  for (int lane = 0; lane < 16; lane++) {
    uint8_t byte = source[lane];
    if (byte < 0x2d || byte == '\\' || byte >= 0x7b) mask |= 1u << lane;
  }
  return mask;
}

static inline uint32_t stageload_copy16_list_candidates(uint8_t *destination,
                                                        const uint8_t *source) {
#if defined(__SSE2__)
  __m128i bytes = _mm_loadu_si128((const __m128i *)source);
  _mm_storeu_si128((__m128i *)destination, bytes);
  // Signed compares: "below 0x2d" also marks the bytes from 0x80, and
  // "above 0x7a" marks 0x7b to 0x7f.
  __m128i stops = _mm_or_si128(_mm_cmplt_epi8(bytes, _mm_set1_epi8(0x2d)),
                               _mm_cmpgt_epi8(bytes, _mm_set1_epi8(0x7a)));
  stops = _mm_or_si128(stops, _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\')));
  return (uint32_t)_mm_movemask_epi8(stops);
#else
  return stageload_copy16_list_candidates_scalar(destination, source);
#endif
}

// Bytes at which an element of a quoting-list copy stops: every byte up to
// space (0x20), every byte from 0x80, '"', ',', '\\', '{', '}', and
// `separator`.
static inline uint32_t stageload_copy16_array_stops_scalar(uint8_t *destination,
                                                           const uint8_t *source,
                                                           uint8_t separator) {
  uint32_t mask = 0;
  memcpy(destination, source, 16);
  for (int lane = 0; lane < 16; lane++) {
    uint8_t byte = source[lane];
    if (byte <= 0x20 || byte >= 0x80 || byte == '"' || byte == ',' || byte == '\\' ||
        byte == '{' || byte == '}' || byte == separator)
      mask |= 1u << lane;
  }
  return mask;
}

static inline uint32_t stageload_copy16_array_stops(uint8_t *destination, const uint8_t *source,
                                                    uint8_t separator) {
#if defined(__SSE2__)
  __m128i bytes = _mm_loadu_si128((const __m128i *)source);
  _mm_storeu_si128((__m128i *)destination, bytes);
  // The signed compare marks the bytes from 0x80 along with those below 0x21.
  __m128i stops = _mm_cmplt_epi8(bytes, _mm_set1_epi8(0x21));
  stops = _mm_or_si128(stops, _mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')));
  stops = _mm_or_si128(stops, _mm_cmpeq_epi8(bytes, _mm_set1_epi8(',')));
  stops = _mm_or_si128(stops, _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\')));
  stops = _mm_or_si128(stops, _mm_cmpeq_epi8(bytes, _mm_set1_epi8('{')));
  stops = _mm_or_si128(stops, _mm_cmpeq_epi8(bytes, _mm_set1_epi8('}')));
  stops = _mm_or_si128(stops, _mm_cmpeq_epi8(bytes, _mm_set1_epi8((char)separator)));
  return (uint32_t)_mm_movemask_epi8(stops);
#else
  return stageload_copy16_array_stops_scalar(destination, source, separator);
#endif
}

#endif

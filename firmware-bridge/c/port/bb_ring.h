/* A byte ring buffer for UART queues (one producer, one consumer, both at one interrupt
 * level or one thread). Frames go in whole or not at all. SIZE must be a power of two. */
#ifndef BB_RING_H
#define BB_RING_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint8_t *buf;
  size_t size, head, len; /* head: next byte out */
} bb_ring;

static inline void bb_ring_init(bb_ring *r, uint8_t *storage, size_t size) {
  r->buf = storage;
  r->size = size;
  r->head = r->len = 0;
}

static inline size_t bb_ring_room(const bb_ring *r) { return r->size - r->len; }

static inline void bb_ring_clear(bb_ring *r) { r->head = r->len = 0; }

/* All len bytes, or none (returns 0) when they do not fit. */
static inline int bb_ring_put(bb_ring *r, const uint8_t *bytes, size_t len) {
  size_t i, tail = (r->head + r->len) & (r->size - 1);
  if (bb_ring_room(r) < len) return 0;
  for (i = 0; i < len; i++) r->buf[(tail + i) & (r->size - 1)] = bytes[i];
  r->len += len;
  return 1;
}

static inline int bb_ring_get(bb_ring *r, uint8_t *byte) {
  if (r->len == 0) return 0;
  *byte = r->buf[r->head];
  r->head = (r->head + 1) & (r->size - 1);
  r->len--;
  return 1;
}

/* The longest run of queued bytes that is contiguous in memory (for write(2) or DMA). */
static inline size_t bb_ring_peek(const bb_ring *r, const uint8_t **start) {
  size_t run = r->len;
  if (r->head + run > r->size) run = r->size - r->head;
  *start = r->buf + r->head;
  return run;
}

static inline void bb_ring_drop(bb_ring *r, size_t n) {
  r->head = (r->head + n) & (r->size - 1);
  r->len -= n;
}

#endif

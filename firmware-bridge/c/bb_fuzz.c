/* Fuzzer for the C stream decoder (host only): N frames, each a valid STATE or COMMAND that is
 * then mutated (bit flips, substitutions, insertions, deletions, truncation, garbage, splices),
 * decoded by a bb_decoder. A false accept is a delivered frame that does not re-encode to the
 * frame that was sent. Built with -fsanitize=address,undefined by `make fuzz`, so an
 * out-of-bounds access or undefined behaviour aborts the run.
 * usage: bb_fuzz [frames] [seed]   prints: frames accepted true_accepts false_accepts */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bb_link.h"

static uint32_t rng = 1;
static uint32_t next(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }
static uint32_t below(uint32_t n) { return next() % n; }
static float finite(void) { return ((float)(next() >> 8) / 16777216.0f - 0.5f) * 20.0f; }

int main(int argc, char **argv) {
  unsigned long frames = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000ul, f;
  unsigned long accepted = 0, true_accepts = 0, false_accepts = 0;
  static bb_decoder dec;
  bb_encoder enc, check;
  bb_message msg, out;
  uint8_t original[BB_MAX_WIRE_LEN], buf[512], again[BB_MAX_WIRE_LEN];
  size_t olen, len, i;
  int k;
  rng = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 1u;
  if (rng == 0) rng = 1;
  bb_decoder_init(&dec);
  for (f = 0; f < frames; f++) {
    uint32_t r;
    memset(&msg, 0, sizeof msg);
    enc.seq = (uint16_t)below(65536);
    if (next() & 1) {
      msg.type = BB_MSG_STATE;
      msg.u.state.time_us = next(); msg.u.state.command_seq_echo = next();
      for (k = 0; k < 4; k++) msg.u.state.orientation[k] = finite();
      for (k = 0; k < 3; k++) { msg.u.state.gyro[k] = finite(); msg.u.state.wheel_velocity[k] = finite(); msg.u.state.wheel_torque[k] = finite(); }
      msg.u.state.battery_mv = (uint16_t)below(65536); msg.u.state.fault_flags = (uint16_t)below(65536); msg.u.state.mode = (uint8_t)next();
    } else {
      msg.type = BB_MSG_COMMAND;
      msg.u.command.control_seq = next(); msg.u.command.mode = (uint8_t)next();
      for (k = 0; k < 3; k++) msg.u.command.torque[k] = finite();
    }
    olen = bb_encode(&enc, &msg, original);
    memcpy(buf, original, olen);
    len = olen;
    r = below(100);
    if (r < 30) { int n = 1 + (int)below(8); for (k = 0; k < n; k++) buf[below((uint32_t)len)] ^= (uint8_t)(1u << below(8)); }
    else if (r < 50) { int n = 1 + (int)below(4); for (k = 0; k < n; k++) buf[below((uint32_t)len)] = (uint8_t)next(); }
    else if (r < 60) { size_t at = below((uint32_t)len); memmove(buf + at + 1, buf + at, len - at); buf[at] = (uint8_t)next(); len++; }
    else if (r < 70) { size_t at = below((uint32_t)len - 1); memmove(buf + at, buf + at + 1, len - at - 1); len--; }
    else if (r < 78) { len = 1 + below((uint32_t)len - 1); buf[len - 1] = 0; }
    else if (r < 90) { len = 1 + below(200); for (i = 0; i < len; i++) buf[i] = (uint8_t)next(); }
    else if (r < 98) { size_t cut = 1 + below((uint32_t)len - 1), tail = below(40); for (i = 0; i < tail; i++) buf[cut + i] = (uint8_t)next(); len = cut + tail; }
    bb_decoder_reset_sequence(&dec);
    buf[len++] = 0; /* the next frame's delimiter */
    for (i = 0; i < len; i++) {
      if (!bb_decoder_push(&dec, buf[i], &out)) continue;
      accepted++;
      check.seq = out.seq;
      if (bb_encode(&check, &out, again) == olen && memcmp(again, original, olen) == 0) true_accepts++;
      else false_accepts++;
    }
  }
  printf("%lu %lu %lu %lu\n", frames, accepted, true_accepts, false_accepts);
  return false_accepts == 0 ? 0 : 1;
}

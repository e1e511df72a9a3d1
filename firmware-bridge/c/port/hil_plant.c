/* The simulator side of a HIL port: see hil_plant.h. */
#include "hil_plant.h"

#include <string.h>

void hil_plant_init(hil_plant *p) {
  memset(p, 0, sizeof *p);
  bb_fw_default_config(&p->cfg);
  p->rng = 1;
  p->last_mode = 255;
}

static uint16_t get16(const uint8_t *b) { return (uint16_t)(b[0] | (b[1] << 8)); }
static uint32_t get32(const uint8_t *b) { return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24); }
static float getf(const uint8_t *b) { uint32_t u = get32(b); float f; memcpy(&f, &u, 4); return f; }
static void put16(uint8_t *b, uint16_t v) { b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *b, uint32_t v) { put16(b, (uint16_t)v); put16(b + 2, (uint16_t)(v >> 16)); }
static void putf(uint8_t *b, float f) { uint32_t u; memcpy(&u, &f, 4); put32(b, u); }

static void handle(hil_plant *p, const uint8_t *pkt) {
  int i;
  switch (pkt[0]) {
    case 'C':
      p->cfg.watchdog_ms = get16(pkt + 4);
      p->cfg.max_torque_nm = getf(pkt + 8);
      p->cfg.control_rate_hz = get16(pkt + 12);
      p->cfg.low_battery_mv = get16(pkt + 14);
      p->hw_watchdog_ms = get16(pkt + 16);
      p->config_ready = 1;
      break;
    case 'S':
      for (i = 0; i < 4; i++) p->sample.orientation[i] = getf(pkt + 4 + 4 * i);
      for (i = 0; i < 3; i++) {
        p->sample.gyro[i] = getf(pkt + 20 + 4 * i);
        p->sample.wheel_velocity[i] = getf(pkt + 32 + 4 * i);
      }
      p->sample.battery_mv = get16(pkt + 44);
      p->have_sample = 1;
      break;
    case 'K': p->link_cut = 1; break;
    case 'U': p->link_cut = 0; break;
    case 'X':
      p->corrupt_p = getf(pkt + 4);
      p->rng = get32(pkt + 8) ? get32(pkt + 8) : 1u;
      if (p->corrupt_p > 0.0f) p->tx_corrupted = p->tx_lost = 0; /* counters of this injection run */
      break;
    default: break;
  }
}

int hil_plant_feed(hil_plant *p, uint8_t byte) {
  uint8_t pkt[HIL_PACKET + 4];
  int n;
  if (byte != 0) {
    if (p->length >= sizeof p->encoded) p->discarding = 1;
    else if (!p->discarding) p->encoded[p->length++] = byte;
    return 0;
  }
  if (p->length == 0 && !p->discarding) return 0; /* an empty frame: a resync delimiter */
  n = p->discarding ? -1 : bb_cobs_decode(p->encoded, p->length, pkt, sizeof pkt);
  p->length = 0;
  p->discarding = 0;
  if (n != (int)sizeof pkt || bb_crc32c(pkt, HIL_PACKET) != get32(pkt + HIL_PACKET)) {
    p->bad_packets++;
    return 0;
  }
  handle(p, pkt);
  return pkt[0];
}

/* out: room for COBS(packet + CRC) and the delimiter (HIL_WIRE_MAX - 1 bytes). */
static size_t encode(uint8_t pkt[HIL_PACKET + 4], uint8_t *out) {
  size_t n;
  put32(pkt + HIL_PACKET, bb_crc32c(pkt, HIL_PACKET));
  n = bb_cobs_encode(pkt, HIL_PACKET + 4, out);
  out[n++] = 0;
  return n;
}

size_t hil_plant_ready(const hil_plant *p, uint8_t out[HIL_WIRE_MAX]) {
  uint8_t pkt[HIL_PACKET + 4];
  memset(pkt, 0, sizeof pkt);
  pkt[0] = 'R';
  put32(pkt + 4, p->bad_packets);
  out[0] = 0;
  return 1 + encode(pkt, out + 1);
}

int hil_plant_take_sample(hil_plant *p, bb_sensors *s) {
  if (!p->have_sample) return 0;
  *s = p->sample;
  p->have_sample = 0;
  return 1;
}

/* xorshift32: reproducible corruption for a given seed. */
static uint32_t next_random(hil_plant *p) {
  p->rng ^= p->rng << 13;
  p->rng ^= p->rng >> 17;
  p->rng ^= p->rng << 5;
  return p->rng;
}

/* Each call carries exactly one frame (ending in 0x00), which lets the injector count the
 * frames the host must lose: a frame with a flipped byte, the frame after one whose delimiter
 * was hit (the two merge into one bad frame), and a frame dropped because the queue was full. */
size_t hil_plant_transmit(hil_plant *p, const uint8_t *frame, size_t len, size_t room, uint8_t out[BB_MAX_WIRE_LEN]) {
  size_t i;
  int corrupted = 0;
  if (p->link_cut || len == 0 || len > BB_MAX_WIRE_LEN) return 0;
  p->tx_frames++;
  if (room < len) {
    p->tx_dropped++;
    if (p->corrupt_p > 0.0f) p->tx_lost++;
    return 0;
  }
  memcpy(out, frame, len);
  if (p->corrupt_p > 0.0f) {
    for (i = 0; i < len; i++) {
      if ((float)(next_random(p) >> 8) / 16777216.0f < p->corrupt_p) {
        out[i] ^= (uint8_t)(1u + next_random(p) % 255u);
        corrupted = 1;
      }
    }
  }
  if (corrupted) p->tx_corrupted++;
  if (corrupted || p->prev_delimiter_corrupted) p->tx_lost++;
  p->prev_delimiter_corrupted = out[len - 1] != 0;
  return len;
}

size_t hil_plant_report(hil_plant *p, const bb_firmware *fw, int new_sample, uint32_t now_us, uint8_t out[HIL_WIRE_MAX]) {
  uint8_t *pkt = p->last_report;
  int i, changed = fw->mode != p->last_mode;
  for (i = 0; i < 3; i++) if (bb_fw_motor_torque(fw, i) != p->last_torque[i]) changed = 1;
  if (!new_sample && !changed) return 0;
  for (i = 0; i < 3; i++) p->last_torque[i] = bb_fw_motor_torque(fw, i);
  p->last_mode = fw->mode;
  memset(pkt, 0, sizeof p->last_report);
  pkt[0] = 'T';
  pkt[1] = fw->mode;
  put16(pkt + 2, fw->fault_flags);
  for (i = 0; i < 3; i++) putf(pkt + 4 + 4 * i, p->last_torque[i]);
  put32(pkt + 16, now_us);
  put32(pkt + 20, fw->watchdog_trips);
  put32(pkt + 24, fw->watchdog_trip_us);
  put32(pkt + 28, fw->watchdog_last_feed_us);
  put32(pkt + 32, p->tx_corrupted);
  put32(pkt + 36, p->tx_lost);
  put32(pkt + 40, fw->dec.counters.frames_ok);
  put32(pkt + 44, bb_decoder_bad(&fw->dec));
  put32(pkt + 48, fw->dec.counters.gaps);
  put32(pkt + 52, fw->last_control_seq);
  put32(pkt + 56, p->tx_frames);
  put32(pkt + 60, p->tx_dropped);
  put32(pkt + 64, p->hw_watchdog_warnings);
  put32(pkt + 68, p->ticks);
  return encode(pkt, out);
}

size_t hil_plant_motors_off(hil_plant *p, uint32_t now_us, uint8_t out[HIL_WIRE_MAX]) {
  uint8_t *pkt = p->last_report;
  int i;
  pkt[0] = 'T';
  pkt[1] = BB_MODE_ESTOP;
  put16(pkt + 2, (uint16_t)(get16(pkt + 2) | BB_FAULT_WATCHDOG | BB_FAULT_ESTOP));
  for (i = 0; i < 3; i++) putf(pkt + 4 + 4 * i, 0.0f);
  put32(pkt + 16, now_us);
  put32(pkt + 64, p->hw_watchdog_warnings);
  out[0] = 0; /* ends whatever frame this one interrupts */
  return 1 + encode(pkt, out + 1);
}

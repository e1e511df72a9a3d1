/* ballbot serial link codec. See bb_link.h. */
#include "bb_link.h"

#include <string.h>

static const char SCHEMA_TEXT[] =
    "ballbot-link frame=type:u8,seq:u16,payload,crc32c:u32 cobs delimiter=0x00\n"
    "1 HELLO protocol_version:u16[1],schema_hash:u32[1],role:u8[1],status:u8[1],watchdog_ms:u16[1],"
    "control_rate_hz:u16[1],max_torque_nm:f32[1],nonce:u32[1]\n"
    "2 STATE time_us:u32[1],command_seq_echo:u32[1],orientation:f32[4],gyro:f32[3],wheel_velocity:f32[3],"
    "wheel_torque:f32[3],battery_mv:u16[1],fault_flags:u16[1],mode:u8[1],reserved:u8[1]\n"
    "3 COMMAND control_seq:u32[1],torque:f32[3],mode:u8[1],reserved:u8[3]\n"
    "4 ARM key:u32[1],control_seq:u32[1]\n"
    "5 ESTOP reason_code:u16[1],reason_len:u8[1],reserved:u8[1],reason:char[16]\n"
    "6 HEARTBEAT time_us:u32[1],control_seq:u32[1],mode:u8[1],reserved:u8[1],fault_flags:u16[1]\n"
    "7 FAULT fault_code:u16[1],fault_flags:u16[1],time_us:u32[1],value:f32[1]\n";

static const uint8_t PAYLOAD_LEN[8] = {0, 20, 66, 20, 8, 20, 12, 12};

static uint32_t crc_table[256];
static int crc_ready = 0;

static void crc_init(void) {
  uint32_t n, k, c;
  for (n = 0; n < 256; n++) {
    c = n;
    for (k = 0; k < 8; k++) c = (c & 1u) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    crc_table[n] = c;
  }
  crc_ready = 1;
}

uint32_t bb_crc32c(const uint8_t *bytes, size_t len) {
  uint32_t c = 0xFFFFFFFFu;
  size_t i;
  if (!crc_ready) crc_init();
  for (i = 0; i < len; i++) c = crc_table[(c ^ bytes[i]) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

size_t bb_cobs_encode(const uint8_t *src, size_t len, uint8_t *dst) {
  size_t code_index = 0, out = 1, i;
  uint8_t code = 1;
  for (i = 0; i < len; i++) {
    if (src[i] == 0) {
      dst[code_index] = code;
      code_index = out++;
      code = 1;
    } else {
      dst[out++] = src[i];
      if (++code == 0xFF) {
        dst[code_index] = code;
        code_index = out++;
        code = 1;
      }
    }
  }
  dst[code_index] = code;
  return out;
}

int bb_cobs_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t dst_cap) {
  size_t i = 0, out = 0, block_end;
  while (i < len) {
    uint8_t code = src[i];
    if (code == 0) return -1;
    block_end = i + code;
    if (block_end > len) return -1;
    i++;
    while (i < block_end) {
      if (src[i] == 0 || out >= dst_cap) return -1;
      dst[out++] = src[i++];
    }
    if (code != 0xFF && i < len) {
      if (out >= dst_cap) return -1;
      dst[out++] = 0;
    }
  }
  return (int)out;
}

size_t bb_payload_len(uint8_t type) { return type < 8 ? PAYLOAD_LEN[type] : 0; }

const char *bb_schema_text(void) { return SCHEMA_TEXT; }

uint32_t bb_schema_hash(void) { return bb_crc32c((const uint8_t *)SCHEMA_TEXT, sizeof SCHEMA_TEXT - 1); }

/* Little-endian field access, independent of the CPU's byte order. */
static void put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static void put_f32(uint8_t *p, float f) { uint32_t v; memcpy(&v, &f, 4); put_u32(p, v); }
static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static float get_f32(const uint8_t *p) { uint32_t v = get_u32(p); float f; memcpy(&f, &v, 4); return f; }

static void write_payload(const bb_message *m, uint8_t *p) {
  int i;
  switch (m->type) {
    case BB_MSG_HELLO:
      put_u16(p + 0, m->u.hello.protocol_version); put_u32(p + 2, m->u.hello.schema_hash);
      p[6] = m->u.hello.role; p[7] = m->u.hello.status; put_u16(p + 8, m->u.hello.watchdog_ms);
      put_u16(p + 10, m->u.hello.control_rate_hz); put_f32(p + 12, m->u.hello.max_torque_nm);
      put_u32(p + 16, m->u.hello.nonce);
      break;
    case BB_MSG_STATE:
      put_u32(p + 0, m->u.state.time_us); put_u32(p + 4, m->u.state.command_seq_echo);
      for (i = 0; i < 4; i++) put_f32(p + 8 + 4 * i, m->u.state.orientation[i]);
      for (i = 0; i < 3; i++) {
        put_f32(p + 24 + 4 * i, m->u.state.gyro[i]);
        put_f32(p + 36 + 4 * i, m->u.state.wheel_velocity[i]);
        put_f32(p + 48 + 4 * i, m->u.state.wheel_torque[i]);
      }
      put_u16(p + 60, m->u.state.battery_mv); put_u16(p + 62, m->u.state.fault_flags);
      p[64] = m->u.state.mode; p[65] = 0;
      break;
    case BB_MSG_COMMAND:
      put_u32(p + 0, m->u.command.control_seq);
      for (i = 0; i < 3; i++) put_f32(p + 4 + 4 * i, m->u.command.torque[i]);
      p[16] = m->u.command.mode; p[17] = p[18] = p[19] = 0;
      break;
    case BB_MSG_ARM:
      put_u32(p + 0, m->u.arm.key); put_u32(p + 4, m->u.arm.control_seq);
      break;
    case BB_MSG_ESTOP: {
      uint8_t n = m->u.estop.reason_len > 16 ? 16 : m->u.estop.reason_len;
      put_u16(p + 0, m->u.estop.reason_code); p[2] = n; p[3] = 0;
      for (i = 0; i < 16; i++) p[4 + i] = i < n ? (uint8_t)m->u.estop.reason[i] : 0;
      break;
    }
    case BB_MSG_HEARTBEAT:
      put_u32(p + 0, m->u.heartbeat.time_us); put_u32(p + 4, m->u.heartbeat.control_seq);
      p[8] = m->u.heartbeat.mode; p[9] = 0; put_u16(p + 10, m->u.heartbeat.fault_flags);
      break;
    case BB_MSG_FAULT:
      put_u16(p + 0, m->u.fault.fault_code); put_u16(p + 2, m->u.fault.fault_flags);
      put_u32(p + 4, m->u.fault.time_us); put_f32(p + 8, m->u.fault.value);
      break;
    default:
      break;
  }
}

static void read_payload(uint8_t type, const uint8_t *p, bb_message *m) {
  int i;
  switch (type) {
    case BB_MSG_HELLO:
      m->u.hello.protocol_version = get_u16(p + 0); m->u.hello.schema_hash = get_u32(p + 2);
      m->u.hello.role = p[6]; m->u.hello.status = p[7]; m->u.hello.watchdog_ms = get_u16(p + 8);
      m->u.hello.control_rate_hz = get_u16(p + 10); m->u.hello.max_torque_nm = get_f32(p + 12);
      m->u.hello.nonce = get_u32(p + 16);
      break;
    case BB_MSG_STATE:
      m->u.state.time_us = get_u32(p + 0); m->u.state.command_seq_echo = get_u32(p + 4);
      for (i = 0; i < 4; i++) m->u.state.orientation[i] = get_f32(p + 8 + 4 * i);
      for (i = 0; i < 3; i++) {
        m->u.state.gyro[i] = get_f32(p + 24 + 4 * i);
        m->u.state.wheel_velocity[i] = get_f32(p + 36 + 4 * i);
        m->u.state.wheel_torque[i] = get_f32(p + 48 + 4 * i);
      }
      m->u.state.battery_mv = get_u16(p + 60); m->u.state.fault_flags = get_u16(p + 62);
      m->u.state.mode = p[64];
      break;
    case BB_MSG_COMMAND:
      m->u.command.control_seq = get_u32(p + 0);
      for (i = 0; i < 3; i++) m->u.command.torque[i] = get_f32(p + 4 + 4 * i);
      m->u.command.mode = p[16];
      break;
    case BB_MSG_ARM:
      m->u.arm.key = get_u32(p + 0); m->u.arm.control_seq = get_u32(p + 4);
      break;
    case BB_MSG_ESTOP:
      m->u.estop.reason_code = get_u16(p + 0);
      m->u.estop.reason_len = p[2] > 16 ? 16 : p[2];
      for (i = 0; i < 16; i++) m->u.estop.reason[i] = (char)p[4 + i];
      break;
    case BB_MSG_HEARTBEAT:
      m->u.heartbeat.time_us = get_u32(p + 0); m->u.heartbeat.control_seq = get_u32(p + 4);
      m->u.heartbeat.mode = p[8]; m->u.heartbeat.fault_flags = get_u16(p + 10);
      break;
    case BB_MSG_FAULT:
      m->u.fault.fault_code = get_u16(p + 0); m->u.fault.fault_flags = get_u16(p + 2);
      m->u.fault.time_us = get_u32(p + 4); m->u.fault.value = get_f32(p + 8);
      break;
    default:
      break;
  }
}

void bb_encoder_init(bb_encoder *enc) { enc->seq = 0; }

size_t bb_encode(bb_encoder *enc, bb_message *msg, uint8_t out[BB_MAX_WIRE_LEN]) {
  uint8_t frame[BB_MAX_FRAME_LEN];
  size_t payload = bb_payload_len(msg->type), crc_at, n;
  if (payload == 0) return 0;
  msg->seq = enc->seq;
  enc->seq = (uint16_t)(enc->seq + 1u);
  frame[0] = msg->type;
  put_u16(frame + 1, msg->seq);
  write_payload(msg, frame + BB_HEADER_LEN);
  crc_at = BB_HEADER_LEN + payload;
  put_u32(frame + crc_at, bb_crc32c(frame, crc_at));
  n = bb_cobs_encode(frame, crc_at + BB_CRC_LEN, out);
  out[n] = 0;
  return n + 1;
}

void bb_decoder_init(bb_decoder *dec) { memset(dec, 0, sizeof *dec); }

void bb_decoder_reset_sequence(bb_decoder *dec) { dec->have_seq = 0; dec->stale_run = 0; }

uint32_t bb_decoder_bad(const bb_decoder *dec) {
  return dec->counters.bad_crc + dec->counters.too_long + dec->counters.unknown_type + dec->counters.malformed;
}

/* Consecutive stale frames after which the peer is assumed to have restarted its counter. */
#define BB_STALE_RESYNC 8u

static int process(bb_decoder *dec, bb_message *out) {
  bb_counters *c = &dec->counters;
  int n = bb_cobs_decode(dec->encoded, dec->length, dec->frame, sizeof dec->frame);
  size_t crc_at, expected;
  uint8_t type;
  uint16_t seq;
  if (n < (int)(BB_HEADER_LEN + BB_CRC_LEN)) { c->malformed++; return 0; }
  crc_at = (size_t)n - BB_CRC_LEN;
  if (bb_crc32c(dec->frame, crc_at) != get_u32(dec->frame + crc_at)) { c->bad_crc++; return 0; }
  type = dec->frame[0];
  expected = bb_payload_len(type);
  if (expected == 0) { c->unknown_type++; return 0; }
  if (crc_at - BB_HEADER_LEN != expected) { c->malformed++; return 0; }
  seq = get_u16(dec->frame + 1);
  if (type == BB_MSG_HELLO) dec->have_seq = 0; /* a HELLO starts a new session */
  if (dec->have_seq) {
    uint16_t ahead = (uint16_t)(seq - dec->last_seq);
    if (ahead == 0 || ahead >= 0x8000u) {
      if (++dec->stale_run < BB_STALE_RESYNC) { c->stale++; return 0; }
    } else {
      c->gaps += (uint32_t)ahead - 1u;
    }
  }
  dec->stale_run = 0;
  dec->have_seq = 1;
  dec->last_seq = seq;
  out->type = type;
  out->seq = seq;
  read_payload(type, dec->frame + BB_HEADER_LEN, out);
  c->frames_ok++;
  return 1;
}

int bb_decoder_push(bb_decoder *dec, uint8_t byte, bb_message *out) {
  int got = 0;
  if (byte == 0) {
    if (dec->discarding) dec->discarding = 0;
    else if (dec->length > 0) got = process(dec, out);
    dec->length = 0;
  } else if (!dec->discarding) {
    if (dec->length >= BB_MAX_ENCODED_LEN) {
      dec->counters.too_long++;
      dec->discarding = 1;
      dec->length = 0;
    } else {
      dec->encoded[dec->length++] = byte;
    }
  }
  return got;
}

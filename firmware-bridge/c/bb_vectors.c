/* Test-vector tool: lets the node test suite run the shared vectors
 * (firmware-bridge/vectors/ JSON files) through the C codec. Reads commands on stdin:
 *   stream <hex>                     decode a byte stream: one `frame ...` line per accepted
 *                                    frame, then `counters ok bad_crc too_long unknown malformed gaps stale`
 *   encode <seq> <TYPE> k=v ...      print the wire bytes (hex) of one message
 *   schema                           print the schema hash (8 hex digits)
 * Arrays are comma-separated, floats printed with %.9g. Host-only (uses stdio). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bb_link.h"

static const char *TYPE_NAMES[8] = {"?", "HELLO", "STATE", "COMMAND", "ARM", "ESTOP", "HEARTBEAT", "FAULT"};

static void print_floats(const char *name, const float *v, int n) {
  int i;
  printf(" %s=", name);
  for (i = 0; i < n; i++) printf(i ? ",%.9g" : "%.9g", (double)v[i]);
}

static void print_message(const bb_message *m) {
  int i;
  printf("frame %s %u", TYPE_NAMES[m->type], (unsigned)m->seq);
  switch (m->type) {
    case BB_MSG_HELLO: {
      const bb_hello *h = &m->u.hello;
      printf(" protocol_version=%u schema_hash=%lu role=%u status=%u watchdog_ms=%u control_rate_hz=%u",
             h->protocol_version, (unsigned long)h->schema_hash, h->role, h->status, h->watchdog_ms, h->control_rate_hz);
      print_floats("max_torque_nm", &h->max_torque_nm, 1);
      printf(" nonce=%lu", (unsigned long)h->nonce);
      break;
    }
    case BB_MSG_STATE: {
      const bb_state *s = &m->u.state;
      printf(" time_us=%lu command_seq_echo=%lu", (unsigned long)s->time_us, (unsigned long)s->command_seq_echo);
      print_floats("orientation", s->orientation, 4);
      print_floats("gyro", s->gyro, 3);
      print_floats("wheel_velocity", s->wheel_velocity, 3);
      print_floats("wheel_torque", s->wheel_torque, 3);
      printf(" battery_mv=%u fault_flags=%u mode=%u", s->battery_mv, s->fault_flags, s->mode);
      break;
    }
    case BB_MSG_COMMAND:
      printf(" control_seq=%lu", (unsigned long)m->u.command.control_seq);
      print_floats("torque", m->u.command.torque, 3);
      printf(" mode=%u", m->u.command.mode);
      break;
    case BB_MSG_ARM:
      printf(" key=%lu control_seq=%lu", (unsigned long)m->u.arm.key, (unsigned long)m->u.arm.control_seq);
      break;
    case BB_MSG_ESTOP:
      printf(" reason_code=%u reason_len=%u reason=", m->u.estop.reason_code, m->u.estop.reason_len);
      for (i = 0; i < m->u.estop.reason_len; i++) putchar(m->u.estop.reason[i]);
      break;
    case BB_MSG_HEARTBEAT:
      printf(" time_us=%lu control_seq=%lu mode=%u fault_flags=%u", (unsigned long)m->u.heartbeat.time_us,
             (unsigned long)m->u.heartbeat.control_seq, m->u.heartbeat.mode, m->u.heartbeat.fault_flags);
      break;
    case BB_MSG_FAULT:
      printf(" fault_code=%u fault_flags=%u time_us=%lu", m->u.fault.fault_code, m->u.fault.fault_flags,
             (unsigned long)m->u.fault.time_us);
      print_floats("value", &m->u.fault.value, 1);
      break;
    default:
      break;
  }
  putchar('\n');
}

static int hex_nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static void cmd_stream(const char *hex) {
  static uint8_t bytes[65536];
  size_t n = 0, i;
  bb_decoder dec;
  bb_message m;
  while (hex[0] && hex[1] && n < sizeof bytes) {
    int hi = hex_nibble(hex[0]), lo = hex_nibble(hex[1]);
    if (hi < 0 || lo < 0) break;
    bytes[n++] = (uint8_t)(hi * 16 + lo);
    hex += 2;
  }
  bb_decoder_init(&dec);
  for (i = 0; i < n; i++)
    if (bb_decoder_push(&dec, bytes[i], &m)) print_message(&m);
  printf("counters %lu %lu %lu %lu %lu %lu %lu\n", (unsigned long)dec.counters.frames_ok,
         (unsigned long)dec.counters.bad_crc, (unsigned long)dec.counters.too_long,
         (unsigned long)dec.counters.unknown_type, (unsigned long)dec.counters.malformed,
         (unsigned long)dec.counters.gaps, (unsigned long)dec.counters.stale);
}

/* Value of key `name` among the k=v tokens, or NULL. */
static const char *field(char **tokens, int count, const char *name) {
  int i;
  size_t len = strlen(name);
  for (i = 0; i < count; i++)
    if (strncmp(tokens[i], name, len) == 0 && tokens[i][len] == '=') return tokens[i] + len + 1;
  return NULL;
}
static unsigned long ufield(char **t, int n, const char *name) {
  const char *v = field(t, n, name);
  return v ? strtoul(v, NULL, 10) : 0ul;
}
static void ffield(char **t, int n, const char *name, float *out, int count) {
  const char *v = field(t, n, name);
  int i;
  char *end;
  for (i = 0; i < count; i++) {
    out[i] = v ? strtof(v, &end) : 0.0f;
    if (v) v = (*end == ',') ? end + 1 : end;
  }
}

static void cmd_encode(char **tokens, int count) {
  bb_encoder enc;
  bb_message m;
  uint8_t wire[BB_MAX_WIRE_LEN];
  size_t n, i;
  int type;
  char **t;
  int c;
  if (count < 2) { puts("error usage"); return; }
  memset(&m, 0, sizeof m);
  enc.seq = (uint16_t)strtoul(tokens[0], NULL, 10);
  for (type = 1; type < 8; type++) if (strcmp(tokens[1], TYPE_NAMES[type]) == 0) break;
  if (type == 8) { puts("error unknown type"); return; }
  m.type = (uint8_t)type;
  t = tokens + 2;
  c = count - 2;
  switch (type) {
    case BB_MSG_HELLO:
      m.u.hello.protocol_version = (uint16_t)ufield(t, c, "protocol_version");
      m.u.hello.schema_hash = (uint32_t)ufield(t, c, "schema_hash");
      m.u.hello.role = (uint8_t)ufield(t, c, "role");
      m.u.hello.status = (uint8_t)ufield(t, c, "status");
      m.u.hello.watchdog_ms = (uint16_t)ufield(t, c, "watchdog_ms");
      m.u.hello.control_rate_hz = (uint16_t)ufield(t, c, "control_rate_hz");
      ffield(t, c, "max_torque_nm", &m.u.hello.max_torque_nm, 1);
      m.u.hello.nonce = (uint32_t)ufield(t, c, "nonce");
      break;
    case BB_MSG_STATE:
      m.u.state.time_us = (uint32_t)ufield(t, c, "time_us");
      m.u.state.command_seq_echo = (uint32_t)ufield(t, c, "command_seq_echo");
      ffield(t, c, "orientation", m.u.state.orientation, 4);
      ffield(t, c, "gyro", m.u.state.gyro, 3);
      ffield(t, c, "wheel_velocity", m.u.state.wheel_velocity, 3);
      ffield(t, c, "wheel_torque", m.u.state.wheel_torque, 3);
      m.u.state.battery_mv = (uint16_t)ufield(t, c, "battery_mv");
      m.u.state.fault_flags = (uint16_t)ufield(t, c, "fault_flags");
      m.u.state.mode = (uint8_t)ufield(t, c, "mode");
      break;
    case BB_MSG_COMMAND:
      m.u.command.control_seq = (uint32_t)ufield(t, c, "control_seq");
      ffield(t, c, "torque", m.u.command.torque, 3);
      m.u.command.mode = (uint8_t)ufield(t, c, "mode");
      break;
    case BB_MSG_ARM:
      m.u.arm.key = (uint32_t)ufield(t, c, "key");
      m.u.arm.control_seq = (uint32_t)ufield(t, c, "control_seq");
      break;
    case BB_MSG_ESTOP: {
      const char *r = field(t, c, "reason");
      m.u.estop.reason_code = (uint16_t)ufield(t, c, "reason_code");
      m.u.estop.reason_len = (uint8_t)ufield(t, c, "reason_len");
      for (i = 0; r && i < 16 && r[i]; i++) m.u.estop.reason[i] = r[i];
      break;
    }
    case BB_MSG_HEARTBEAT:
      m.u.heartbeat.time_us = (uint32_t)ufield(t, c, "time_us");
      m.u.heartbeat.control_seq = (uint32_t)ufield(t, c, "control_seq");
      m.u.heartbeat.mode = (uint8_t)ufield(t, c, "mode");
      m.u.heartbeat.fault_flags = (uint16_t)ufield(t, c, "fault_flags");
      break;
    case BB_MSG_FAULT:
      m.u.fault.fault_code = (uint16_t)ufield(t, c, "fault_code");
      m.u.fault.fault_flags = (uint16_t)ufield(t, c, "fault_flags");
      m.u.fault.time_us = (uint32_t)ufield(t, c, "time_us");
      ffield(t, c, "value", &m.u.fault.value, 1);
      break;
    default:
      break;
  }
  n = bb_encode(&enc, &m, wire);
  for (i = 0; i < n; i++) printf("%02x", wire[i]);
  putchar('\n');
}

int main(void) {
  static char line[200000];
  while (fgets(line, sizeof line, stdin)) {
    char *tokens[64];
    int count = 0;
    char *tok = strtok(line, " \t\r\n");
    while (tok && count < 64) { tokens[count++] = tok; tok = strtok(NULL, " \t\r\n"); }
    if (count == 0) continue;
    if (strcmp(tokens[0], "stream") == 0) cmd_stream(count > 1 ? tokens[1] : "");
    else if (strcmp(tokens[0], "encode") == 0) cmd_encode(tokens + 1, count - 1);
    else if (strcmp(tokens[0], "schema") == 0) printf("%08lx\n", (unsigned long)bb_schema_hash());
    else printf("error unknown command %s\n", tokens[0]);
    fflush(stdout);
  }
  return 0;
}

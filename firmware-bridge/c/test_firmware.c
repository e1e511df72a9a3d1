/* Host unit tests of the C codec and firmware core. Run by `make test` and by the node suite
 * (test/firmware-bridge/c-firmware.test.ts). Prints one line per failed check; exit 1 on failure. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bb_firmware.h"

static int failures = 0, checks = 0;
#define CHECK(cond)                                                             \
  do {                                                                          \
    checks++;                                                                   \
    if (!(cond)) { failures++; printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
  } while (0)

/* Captures what the firmware writes, decoded on the host side. */
typedef struct {
  bb_decoder dec;
  bb_message last[32];
  int count;
} host_rx;

static void capture(void *ctx, const uint8_t *bytes, size_t len) {
  host_rx *rx = (host_rx *)ctx;
  size_t i;
  bb_message m;
  for (i = 0; i < len; i++)
    if (bb_decoder_push(&rx->dec, bytes[i], &m) && rx->count < 32) rx->last[rx->count++] = m;
}

static bb_encoder host_enc;

static int has_fault(const host_rx *rx, uint16_t code) {
  int i;
  for (i = 0; i < rx->count; i++)
    if (rx->last[i].type == BB_MSG_FAULT && rx->last[i].u.fault.fault_code == code) return 1;
  return 0;
}

static void host_send(bb_firmware *fw, bb_message *m, uint32_t now_us) {
  uint8_t wire[BB_MAX_WIRE_LEN];
  size_t n = bb_encode(&host_enc, m, wire);
  bb_fw_receive(fw, wire, n, now_us);
}

static void send_hello(bb_firmware *fw, uint32_t hash, uint32_t now_us) {
  bb_message m;
  memset(&m, 0, sizeof m);
  m.type = BB_MSG_HELLO;
  m.u.hello.protocol_version = BB_PROTOCOL_VERSION;
  m.u.hello.schema_hash = hash;
  m.u.hello.nonce = 0xC0FFEEu;
  host_send(fw, &m, now_us);
}

static void send_command(bb_firmware *fw, uint32_t seq, float t0, float t1, float t2, uint32_t now_us) {
  bb_message m;
  memset(&m, 0, sizeof m);
  m.type = BB_MSG_COMMAND;
  m.u.command.control_seq = seq;
  m.u.command.torque[0] = t0; m.u.command.torque[1] = t1; m.u.command.torque[2] = t2;
  m.u.command.mode = BB_COMMAND_TORQUE;
  host_send(fw, &m, now_us);
}

static void send_arm(bb_firmware *fw, uint32_t key, uint32_t now_us) {
  bb_message m;
  memset(&m, 0, sizeof m);
  m.type = BB_MSG_ARM;
  m.u.arm.key = key;
  host_send(fw, &m, now_us);
}

static void setup(bb_firmware *fw, host_rx *rx, uint32_t now_us) {
  bb_fw_config cfg;
  memset(rx, 0, sizeof *rx);
  bb_decoder_init(&rx->dec);
  bb_encoder_init(&host_enc);
  bb_fw_default_config(&cfg);
  bb_fw_init(fw, &cfg, capture, rx, now_us);
}

static void test_crc_and_cobs(void) {
  const uint8_t check[] = "123456789";
  uint8_t src[300], enc[310], dec[300];
  int i, n;
  size_t e;
  CHECK(bb_crc32c(check, 9) == 0xE3069283u);
  for (i = 0; i < 300; i++) src[i] = (uint8_t)(i % 7 == 0 ? 0 : i);
  e = bb_cobs_encode(src, 300, enc);
  for (i = 0; i < (int)e; i++) CHECK(enc[i] != 0);
  n = bb_cobs_decode(enc, e, dec, sizeof dec);
  CHECK(n == 300 && memcmp(src, dec, 300) == 0);
  CHECK(bb_cobs_decode(enc, e, dec, 10) == -1); /* too small a buffer is an error, not an overflow */
  enc[0] = 200;                                 /* block runs past the end */
  CHECK(bb_cobs_decode(enc, 5, dec, sizeof dec) == -1);
}

static void test_handshake(void) {
  bb_firmware fw;
  host_rx rx;
  setup(&fw, &rx, 1000);
  send_command(&fw, 1, 1, 1, 1, 1000);
  CHECK(!fw.paired && bb_fw_motor_torque(&fw, 0) == 0.0f); /* commands before HELLO are ignored */
  send_hello(&fw, bb_schema_hash() ^ 1u, 2000);
  CHECK(!fw.paired);
  CHECK(rx.count == 1 && rx.last[0].type == BB_MSG_HELLO && rx.last[0].u.hello.status == BB_HELLO_SCHEMA_MISMATCH);
  CHECK(fw.fault_flags & BB_FAULT_HANDSHAKE_REJECTED);
  send_arm(&fw, BB_ARM_KEY, 2500);
  CHECK(fw.mode == BB_MODE_DISARMED); /* a refused peer cannot arm */
  send_hello(&fw, bb_schema_hash(), 3000);
  CHECK(fw.paired);
  CHECK(rx.last[rx.count - 1].u.hello.status == BB_HELLO_OK && rx.last[rx.count - 1].u.hello.nonce == 0xC0FFEEu);
  CHECK(rx.last[rx.count - 1].u.hello.role == BB_ROLE_FIRMWARE);
  CHECK(!(fw.fault_flags & (BB_FAULT_NOT_PAIRED | BB_FAULT_HANDSHAKE_REJECTED)));
}

static void test_arm_command_clamp(void) {
  bb_firmware fw;
  host_rx rx;
  setup(&fw, &rx, 0);
  send_hello(&fw, bb_schema_hash(), 0);
  send_command(&fw, 1, 0.5f, 0.5f, 0.5f, 1000);
  CHECK(bb_fw_motor_torque(&fw, 0) == 0.0f); /* disarmed: zero */
  send_arm(&fw, 0x12345678u, 2000);
  CHECK(fw.mode == BB_MODE_DISARMED); /* wrong key */
  send_arm(&fw, BB_ARM_KEY, 3000);
  CHECK(fw.mode == BB_MODE_ARMED);
  send_command(&fw, 2, 0.5f, -5.0f, 5.0f, 4000);
  CHECK(fabsf(bb_fw_motor_torque(&fw, 0) - 0.5f) < 1e-6f);
  CHECK(fabsf(bb_fw_motor_torque(&fw, 1) + 1.98f) < 1e-6f);
  CHECK(fabsf(bb_fw_motor_torque(&fw, 2) - 1.98f) < 1e-6f);
  CHECK(fw.fault_flags & BB_FAULT_TORQUE_CLAMPED);
  send_command(&fw, 3, NAN, 0, 0, 5000);
  CHECK(fw.fault_flags & BB_FAULT_BAD_COMMAND);
  CHECK(fw.last_command_us == 4000); /* NaN does not feed the watchdog */
  send_command(&fw, 2, 0.1f, 0.1f, 0.1f, 6000); /* control_seq did not advance: ignored */
  CHECK(fw.last_command_us == 4000);
}

static void test_watchdog(void) {
  bb_firmware fw;
  host_rx rx;
  uint32_t t;
  setup(&fw, &rx, 0);
  send_hello(&fw, bb_schema_hash(), 0);
  send_arm(&fw, BB_ARM_KEY, 0);
  for (t = 10000; t <= 500000; t += 10000) send_command(&fw, t / 10000, 1.0f, 1.0f, 1.0f, t);
  CHECK(fw.mode == BB_MODE_ARMED && bb_fw_motor_torque(&fw, 0) == 1.0f);
  /* Commands stop at 500 ms: still on at 599.999 ms, zero at 600 ms. */
  for (t = 500000; t < 600000; t += 1000) bb_fw_tick(&fw, t);
  bb_fw_tick(&fw, 599999);
  CHECK(fw.mode == BB_MODE_ARMED && bb_fw_motor_torque(&fw, 1) == 1.0f);
  bb_fw_tick(&fw, 600000);
  CHECK(fw.mode == BB_MODE_ESTOP);
  CHECK(bb_fw_motor_torque(&fw, 0) == 0.0f && bb_fw_motor_torque(&fw, 1) == 0.0f && bb_fw_motor_torque(&fw, 2) == 0.0f);
  CHECK(fw.torque[2] == 0.0f);
  CHECK(fw.watchdog_trips == 1 && fw.watchdog_trip_us - fw.watchdog_last_feed_us == 100000u);
  CHECK((fw.fault_flags & (BB_FAULT_WATCHDOG | BB_FAULT_ESTOP)) == (BB_FAULT_WATCHDOG | BB_FAULT_ESTOP));
  CHECK(has_fault(&rx, BB_FAULT_WATCHDOG));
  /* Latched: a late command does not re-enable the motors; only ARM does. */
  send_command(&fw, 1000, 1.0f, 1.0f, 1.0f, 610000);
  CHECK(fw.mode == BB_MODE_ESTOP && bb_fw_motor_torque(&fw, 0) == 0.0f);
  send_arm(&fw, BB_ARM_KEY, 620000);
  send_command(&fw, 1, 0.3f, 0.3f, 0.3f, 630000);
  CHECK(fw.mode == BB_MODE_ARMED && fabsf(bb_fw_motor_torque(&fw, 0) - 0.3f) < 1e-6f);
  CHECK(!(fw.fault_flags & BB_FAULT_WATCHDOG));
  /* The 32-bit microsecond clock wraps (every 71 minutes): the watchdog still holds. */
  setup(&fw, &rx, 0xFFFF0000u);
  send_hello(&fw, bb_schema_hash(), 0xFFFF0000u);
  send_arm(&fw, BB_ARM_KEY, 0xFFFF0000u);
  send_command(&fw, 1, 1.0f, 1.0f, 1.0f, 0xFFFFFF00u);
  bb_fw_tick(&fw, 0x00000100u + 50000u);
  CHECK(fw.mode == BB_MODE_ARMED);
  bb_fw_tick(&fw, 0x00000100u + 100000u);
  CHECK(fw.mode == BB_MODE_ESTOP);
}

static void test_estop_latch(void) {
  bb_firmware fw;
  host_rx rx;
  bb_message m;
  setup(&fw, &rx, 0);
  send_hello(&fw, bb_schema_hash(), 0);
  send_arm(&fw, BB_ARM_KEY, 0);
  send_command(&fw, 1, 1.0f, 1.0f, 1.0f, 1000);
  memset(&m, 0, sizeof m);
  m.type = BB_MSG_ESTOP;
  m.u.estop.reason_code = BB_ESTOP_OPERATOR;
  host_send(&fw, &m, 2000);
  CHECK(fw.mode == BB_MODE_ESTOP && bb_fw_motor_torque(&fw, 0) == 0.0f);
  send_command(&fw, 2, 1.0f, 1.0f, 1.0f, 3000);
  CHECK(bb_fw_motor_torque(&fw, 0) == 0.0f);
  send_hello(&fw, bb_schema_hash(), 4000); /* a new session does not clear the latch */
  CHECK(fw.mode == BB_MODE_ESTOP);
}

static void test_state_and_corruption(void) {
  bb_firmware fw;
  host_rx rx;
  bb_sensors s;
  uint8_t wire[BB_MAX_WIRE_LEN];
  bb_message m;
  size_t n;
  setup(&fw, &rx, 0);
  memset(&s, 0, sizeof s);
  s.orientation[3] = 1.0f;
  s.gyro[1] = 0.25f;
  s.battery_mv = 12000;
  bb_fw_send_state(&fw, &s, 5000);
  CHECK(rx.count == 1 && rx.last[0].type == BB_MSG_STATE);
  CHECK(rx.last[0].u.state.gyro[1] == 0.25f && rx.last[0].u.state.battery_mv == 12000);
  CHECK(rx.last[0].u.state.fault_flags & BB_FAULT_NOT_PAIRED);
  /* A corrupted frame is dropped and reported once as LINK_ERRORS. */
  memset(&m, 0, sizeof m);
  m.type = BB_MSG_ARM;
  n = bb_encode(&host_enc, &m, wire);
  wire[3] ^= 0x40;
  bb_fw_receive(&fw, wire, n, 6000);
  CHECK(fw.dec.counters.bad_crc + fw.dec.counters.malformed == 1);
  bb_fw_send_state(&fw, &s, 7000);
  CHECK(rx.last[rx.count - 1].u.state.fault_flags & BB_FAULT_LINK_ERRORS);
  bb_fw_send_state(&fw, &s, 8000);
  CHECK(!(rx.last[rx.count - 1].u.state.fault_flags & BB_FAULT_LINK_ERRORS));
}

static void test_ping_echo(void) {
  bb_firmware fw;
  host_rx rx;
  bb_message m;
  setup(&fw, &rx, 0);
  memset(&m, 0, sizeof m);
  m.type = BB_MSG_HEARTBEAT;
  m.u.heartbeat.time_us = 777u;
  m.u.heartbeat.control_seq = 99u;
  host_send(&fw, &m, 1000);
  CHECK(rx.count == 1 && rx.last[0].type == BB_MSG_HEARTBEAT);
  CHECK(rx.last[0].u.heartbeat.time_us == 777u && rx.last[0].u.heartbeat.control_seq == 99u);
  CHECK(rx.last[0].u.heartbeat.fault_flags & BB_FAULT_NOT_PAIRED);
  CHECK(fw.last_command_us == 0); /* a ping does not feed the watchdog */
}

static void test_decoder_limits(void) {
  bb_decoder d;
  bb_message m;
  int i, got = 0;
  bb_decoder_init(&d);
  for (i = 0; i < 1000; i++) got += bb_decoder_push(&d, 0x55, &m);
  got += bb_decoder_push(&d, 0, &m);
  CHECK(got == 0 && d.counters.too_long == 1 && d.length == 0);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--schema") == 0) {
    fputs(bb_schema_text(), stdout);
    return 0;
  }
  test_crc_and_cobs();
  test_handshake();
  test_arm_command_clamp();
  test_watchdog();
  test_estop_latch();
  test_state_and_corruption();
  test_ping_echo();
  test_decoder_limits();
  printf("%d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}

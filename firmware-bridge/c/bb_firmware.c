/* Firmware core: see bb_firmware.h. Every doubt ends in zero torque. */
#include "bb_firmware.h"

#include <string.h>

void bb_fw_default_config(bb_fw_config *cfg) {
  cfg->watchdog_ms = BB_DEFAULT_WATCHDOG_MS;
  cfg->max_torque_nm = 1.98f;
  cfg->control_rate_hz = 100;
  cfg->low_battery_mv = 0;
}

static void zero_motors(bb_firmware *fw) { fw->torque[0] = fw->torque[1] = fw->torque[2] = 0.0f; }

static void send(bb_firmware *fw) {
  size_t n = bb_encode(&fw->enc, &fw->tx, fw->wire);
  if (n > 0 && fw->write) fw->write(fw->write_ctx, fw->wire, n);
}

static void send_fault(bb_firmware *fw, uint16_t code, float value, uint32_t now_us) {
  fw->tx.type = BB_MSG_FAULT;
  fw->tx.u.fault.fault_code = code;
  fw->tx.u.fault.fault_flags = fw->fault_flags;
  fw->tx.u.fault.time_us = now_us;
  fw->tx.u.fault.value = value;
  send(fw);
}

static void latch_estop(bb_firmware *fw, uint16_t cause, float value, uint32_t now_us) {
  zero_motors(fw);
  fw->mode = BB_MODE_ESTOP;
  fw->fault_flags |= (uint16_t)(cause | BB_FAULT_ESTOP);
  send_fault(fw, cause, value, now_us);
}

void bb_fw_init(bb_firmware *fw, const bb_fw_config *cfg, bb_write_fn write, void *write_ctx, uint32_t now_us) {
  memset(fw, 0, sizeof *fw);
  fw->cfg = *cfg;
  if (fw->cfg.watchdog_ms == 0) fw->cfg.watchdog_ms = BB_DEFAULT_WATCHDOG_MS;
  if (!(fw->cfg.max_torque_nm >= 0.0f)) fw->cfg.max_torque_nm = 0.0f; /* NaN -> no torque at all */
  fw->write = write;
  fw->write_ctx = write_ctx;
  bb_decoder_init(&fw->dec);
  bb_encoder_init(&fw->enc);
  fw->mode = BB_MODE_DISARMED;
  fw->fault_flags = BB_FAULT_NOT_PAIRED;
  fw->last_heartbeat_us = now_us;
}

static int is_finite(float x) { return x == x && x - x == 0.0f; }

static void on_hello(bb_firmware *fw, const bb_hello *h, uint32_t now_us) {
  uint8_t status = BB_HELLO_OK;
  if (h->protocol_version != BB_PROTOCOL_VERSION) status = BB_HELLO_VERSION_MISMATCH;
  else if (h->schema_hash != bb_schema_hash()) status = BB_HELLO_SCHEMA_MISMATCH;
  /* A new session always starts disarmed; a latched e-stop stays latched. */
  zero_motors(fw);
  if (fw->mode != BB_MODE_ESTOP) fw->mode = BB_MODE_DISARMED;
  fw->have_control_seq = 0;
  if (status == BB_HELLO_OK) {
    fw->paired = 1;
    fw->fault_flags &= (uint16_t)~(BB_FAULT_NOT_PAIRED | BB_FAULT_HANDSHAKE_REJECTED);
  } else {
    fw->paired = 0;
    fw->fault_flags |= BB_FAULT_NOT_PAIRED | BB_FAULT_HANDSHAKE_REJECTED;
  }
  fw->tx.type = BB_MSG_HELLO;
  fw->tx.u.hello.protocol_version = BB_PROTOCOL_VERSION;
  fw->tx.u.hello.schema_hash = bb_schema_hash();
  fw->tx.u.hello.role = BB_ROLE_FIRMWARE;
  fw->tx.u.hello.status = status;
  fw->tx.u.hello.watchdog_ms = fw->cfg.watchdog_ms;
  fw->tx.u.hello.control_rate_hz = fw->cfg.control_rate_hz;
  fw->tx.u.hello.max_torque_nm = fw->cfg.max_torque_nm;
  fw->tx.u.hello.nonce = h->nonce;
  send(fw);
  (void)now_us;
}

static void on_command(bb_firmware *fw, const bb_command *c, uint32_t now_us) {
  int i;
  float limit = fw->cfg.max_torque_nm;
  if (!fw->paired) return;
  for (i = 0; i < 3; i++) {
    if (!is_finite(c->torque[i])) {
      /* Ignored, and it does not feed the watchdog: a stream of bad commands trips it. */
      fw->fault_flags |= BB_FAULT_BAD_COMMAND;
      return;
    }
  }
  /* The control loop's own counter must advance, or this is not a live loop. */
  if (fw->have_control_seq && (int32_t)(c->control_seq - fw->last_control_seq) <= 0) return;
  fw->have_control_seq = 1;
  fw->last_control_seq = c->control_seq;
  fw->last_command_us = now_us;
  if (fw->mode != BB_MODE_ARMED || c->mode != BB_COMMAND_TORQUE) {
    zero_motors(fw);
    return;
  }
  for (i = 0; i < 3; i++) {
    float t = c->torque[i];
    if (t > limit) { t = limit; fw->fault_flags |= BB_FAULT_TORQUE_CLAMPED; }
    if (t < -limit) { t = -limit; fw->fault_flags |= BB_FAULT_TORQUE_CLAMPED; }
    fw->torque[i] = t;
  }
}

static void on_arm(bb_firmware *fw, const bb_arm *a, uint32_t now_us) {
  if (!fw->paired || a->key != BB_ARM_KEY) return;
  fw->fault_flags &= (uint16_t)~(BB_FAULT_WATCHDOG | BB_FAULT_ESTOP | BB_FAULT_TORQUE_CLAMPED | BB_FAULT_BAD_COMMAND);
  fw->mode = BB_MODE_ARMED;
  zero_motors(fw);
  fw->last_command_us = now_us; /* the host has one watchdog period to start commanding */
  fw->have_control_seq = 0;
}

static void echo_ping(bb_firmware *fw, const bb_heartbeat *ping) {
  uint32_t t = ping->time_us, seq = ping->control_seq;
  fw->tx.type = BB_MSG_HEARTBEAT;
  fw->tx.u.heartbeat.time_us = t;
  fw->tx.u.heartbeat.control_seq = seq;
  fw->tx.u.heartbeat.mode = fw->mode;
  fw->tx.u.heartbeat.fault_flags = fw->fault_flags;
  send(fw);
}

void bb_fw_receive(bb_firmware *fw, const uint8_t *bytes, size_t len, uint32_t now_us) {
  size_t i;
  for (i = 0; i < len; i++) {
    if (!bb_decoder_push(&fw->dec, bytes[i], &fw->rx)) continue;
    switch (fw->rx.type) {
      case BB_MSG_HELLO: on_hello(fw, &fw->rx.u.hello, now_us); break;
      case BB_MSG_COMMAND: on_command(fw, &fw->rx.u.command, now_us); break;
      case BB_MSG_ARM: on_arm(fw, &fw->rx.u.arm, now_us); break;
      /* E-stop is honoured from anyone, paired or not. */
      case BB_MSG_ESTOP: latch_estop(fw, BB_FAULT_ESTOP, (float)fw->rx.u.estop.reason_code, now_us); break;
      /* A host HEARTBEAT is a ping: echo its time and seq at once so the host measures the
       * round trip. It does not feed the watchdog (only COMMAND does). */
      case BB_MSG_HEARTBEAT: echo_ping(fw, &fw->rx.u.heartbeat); break;
      default: break; /* STATE and FAULT from the host carry nothing for us */
    }
  }
  /* Commands arriving after the deadline do not rescue a late watchdog: check right away. */
  bb_fw_tick(fw, now_us);
}

void bb_fw_tick(bb_firmware *fw, uint32_t now_us) {
  if (fw->mode == BB_MODE_ARMED) {
    uint32_t silent_us = now_us - fw->last_command_us;
    if (silent_us >= (uint32_t)fw->cfg.watchdog_ms * 1000u) {
      fw->watchdog_trips++;
      fw->watchdog_trip_us = now_us;
      fw->watchdog_last_feed_us = fw->last_command_us;
      latch_estop(fw, BB_FAULT_WATCHDOG, (float)silent_us * 1e-3f, now_us);
    }
  }
  if (now_us - fw->last_heartbeat_us >= BB_HEARTBEAT_PERIOD_US) {
    fw->last_heartbeat_us = now_us;
    fw->tx.type = BB_MSG_HEARTBEAT;
    fw->tx.u.heartbeat.time_us = now_us;
    fw->tx.u.heartbeat.control_seq = fw->last_control_seq;
    fw->tx.u.heartbeat.mode = fw->mode;
    fw->tx.u.heartbeat.fault_flags = fw->fault_flags;
    send(fw);
  }
}

void bb_fw_send_state(bb_firmware *fw, const bb_sensors *s, uint32_t now_us) {
  int i;
  uint32_t bad = bb_decoder_bad(&fw->dec);
  bb_state *st = &fw->tx.u.state;
  bb_fw_tick(fw, now_us);
  if (fw->cfg.low_battery_mv > 0 && s->battery_mv < fw->cfg.low_battery_mv) fw->fault_flags |= BB_FAULT_LOW_BATTERY;
  fw->tx.type = BB_MSG_STATE;
  st->time_us = now_us;
  st->command_seq_echo = fw->last_control_seq;
  for (i = 0; i < 4; i++) st->orientation[i] = s->orientation[i];
  for (i = 0; i < 3; i++) {
    st->gyro[i] = s->gyro[i];
    st->wheel_velocity[i] = s->wheel_velocity[i];
    st->wheel_torque[i] = fw->torque[i];
  }
  st->battery_mv = s->battery_mv;
  st->fault_flags = (uint16_t)(fw->fault_flags | (bad != fw->reported_bad ? BB_FAULT_LINK_ERRORS : 0u));
  fw->reported_bad = bad;
  st->mode = fw->mode;
  send(fw);
}

void bb_fw_board_fault(bb_firmware *fw, uint16_t cause, float value, uint32_t now_us) {
  latch_estop(fw, cause, value, now_us);
}

float bb_fw_motor_torque(const bb_firmware *fw, int i) {
  if (i < 0 || i > 2 || fw->mode != BB_MODE_ARMED) return 0.0f;
  return fw->torque[i];
}

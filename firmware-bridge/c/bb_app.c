/* Firmware application: see bb_app.h. The only caller of the board port. */
#include "bb_app.h"

#include "port/bb_port.h"

static bb_firmware fw; /* static: the core never allocates */

static void uart_write(void *ctx, const uint8_t *bytes, size_t len) {
  (void)ctx;
  bb_port_uart_write(bytes, len);
}

void bb_app_start(void) {
  bb_fw_config cfg;
  bb_fw_default_config(&cfg);
  bb_port_config(&cfg);
  bb_fw_init(&fw, &cfg, uart_write, NULL, bb_port_now_us());
}

void bb_app_step(void) {
  uint8_t rx[64];
  size_t n;
  bb_sensors s;
  int new_sample, i;
  float torque[3];
  uint32_t now = bb_port_now_us();
  if (bb_port_board_fault()) bb_fw_board_fault(&fw, BB_FAULT_WATCHDOG, -1.0f, now); /* -1: the board's watchdog, not the command watchdog */
  while ((n = bb_port_uart_read(rx, sizeof rx)) > 0) bb_fw_receive(&fw, rx, n, now);
  new_sample = bb_port_sensors_read(&s);
  if (new_sample) bb_fw_send_state(&fw, &s, now);
  bb_fw_tick(&fw, now);
  for (i = 0; i < 3; i++) torque[i] = bb_fw_motor_torque(&fw, i);
  bb_port_motor_torque(torque);
  bb_port_after_step(&fw, new_sample);
}

void bb_app_tick(void) {
  bb_app_step();
  bb_port_watchdog_kick();
}

const bb_firmware *bb_app_firmware(void) { return &fw; }

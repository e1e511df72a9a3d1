/* The firmware side of the ballbot link: handshake, command watchdog, e-stop latch and
 * torque limits. Portable C99, no malloc, no OS: the board code feeds it received bytes,
 * sensor readings and a microsecond clock, and drives the motors with bb_fw_motor_torque(). */
#ifndef BB_FIRMWARE_H
#define BB_FIRMWARE_H

#include "bb_link.h"

#define BB_DEFAULT_WATCHDOG_MS 100u
#define BB_HEARTBEAT_PERIOD_US 200000u

typedef struct {
  uint16_t watchdog_ms;      /* no valid COMMAND for this long while armed -> zero torque, latch e-stop */
  float max_torque_nm;       /* per-wheel clamp */
  uint16_t control_rate_hz;  /* advertised in HELLO (the rate STATE is sent at) */
  uint16_t low_battery_mv;   /* below this, LOW_BATTERY is flagged (0 = never) */
} bb_fw_config;

/* Writes bytes to the serial port (UART/USB-CDC). Must not block for long. */
typedef void (*bb_write_fn)(void *ctx, const uint8_t *bytes, size_t len);

typedef struct {
  float orientation[4]; /* x, y, z, w */
  float gyro[3];
  float wheel_velocity[3];
  uint16_t battery_mv;
} bb_sensors;

typedef struct {
  bb_fw_config cfg;
  bb_decoder dec;
  bb_encoder enc;
  bb_message rx;
  bb_message tx;
  uint8_t wire[BB_MAX_WIRE_LEN];
  bb_write_fn write;
  void *write_ctx;
  uint8_t paired;
  uint8_t mode;
  uint16_t fault_flags;
  float torque[3];            /* what the motors get now */
  uint32_t last_command_us;   /* last valid COMMAND (or ARM) */
  uint32_t last_control_seq;
  uint8_t have_control_seq;
  uint32_t last_heartbeat_us;
  uint32_t reported_bad;      /* decoder drops already reported via LINK_ERRORS */
  /* Watchdog statistics, for tests and HIL. */
  uint32_t watchdog_trips;
  uint32_t watchdog_trip_us;       /* when the last trip zeroed the motors */
  uint32_t watchdog_last_feed_us;  /* the last feed before that trip */
} bb_firmware;

void bb_fw_default_config(bb_fw_config *cfg);
void bb_fw_init(bb_firmware *fw, const bb_fw_config *cfg, bb_write_fn write, void *write_ctx, uint32_t now_us);
/* Feed received bytes (any chunking). */
void bb_fw_receive(bb_firmware *fw, const uint8_t *bytes, size_t len, uint32_t now_us);
/* Run the watchdog and heartbeat. Call often (>= 1 kHz on a board). */
void bb_fw_tick(bb_firmware *fw, uint32_t now_us);
/* Send a STATE frame with these sensor readings (call at the control rate). */
void bb_fw_send_state(bb_firmware *fw, const bb_sensors *s, uint32_t now_us);
/* The board found a fault of its own (hardware watchdog warning, brown-out): zero torque and
 * latch the e-stop with this cause flag, as a watchdog trip does. */
void bb_fw_board_fault(bb_firmware *fw, uint16_t cause, float value, uint32_t now_us);
/* Torque for motor i (0..2), N m; zero unless armed with a fresh command. */
float bb_fw_motor_torque(const bb_firmware *fw, int i);

#endif

/* The board port: everything the firmware application (bb_app.c) needs from a board, and the
 * only board code it calls. A port is one C file implementing these functions plus the
 * start-up that calls bb_app_start() once and then bb_app_tick() from a hardware timer at
 * BB_TICK_HZ. Two ports exist: port_host.c (a POSIX process, for the virtual robot) and
 * boards/lm3s6965/port_lm3s6965.c (a Cortex-M3, run in QEMU). docs/firmware-port.md explains
 * how to write a third.
 *
 * Context rule: bb_app_tick() and bb_app_step() never run concurrently or nested. On a
 * microcontroller, call both from interrupts of one priority level (the control-tick timer and
 * the UART receive interrupts), so none preempts another; every function below is then called
 * from that level only. */
#ifndef BB_PORT_H
#define BB_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "../bb_firmware.h"

/* Control-tick rate: the command watchdog and the e-stop latch run this often. */
#define BB_TICK_HZ 1000u

/* Monotonic microseconds since boot; wraps at 2^32 (the core compares with modular arithmetic). */
uint32_t bb_port_now_us(void);

/* Firmware limits (watchdog, torque clamp, advertised rate). A board returns its compiled
 * values; a HIL port may wait here for the simulator to send them. Called once at start. */
void bb_port_config(bb_fw_config *cfg);

/* Protocol UART, receive: copy up to cap received bytes into buf, return how many (never blocks). */
size_t bb_port_uart_read(uint8_t *buf, size_t cap);

/* Protocol UART, transmit: queue one whole encoded frame (ends in 0x00). Never blocks: when the
 * transmit buffer has no room for the whole frame, drop the frame, never part of it. */
void bb_port_uart_write(const uint8_t *frame, size_t len);

/* IMU and encoders: 1 and a new sample in *s when one arrived since the last call, else 0.
 * A STATE frame is sent for every new sample, so the sample rate is the STATE rate. */
int bb_port_sensors_read(bb_sensors *s);

/* Motor torques in N m, after every step. All zeros whenever the core is not armed. */
void bb_port_motor_torque(const float torque[3]);

/* Hardware watchdog: called from every control tick, so a stalled tick resets the board. */
void bb_port_watchdog_kick(void);

/* Nonzero once after the board caught a fault of its own since the last call (its hardware
 * watchdog's early warning: a tick came late): the core then zeroes torque and latches the
 * e-stop. The port has already cut the motors when it caught the fault. */
int bb_port_board_fault(void);

/* After every step, with the core's state and whether it sent a new sample (a HIL port
 * reports counters to the simulator here; a board may do nothing). */
void bb_port_after_step(const bb_firmware *fw, int new_sample);

#endif

/* The simulator side of a HIL port (port_host.c and the QEMU board): sensor samples in, motor
 * torques and counters out, plus the HIL's fault injection on the protocol UART. A board on a
 * real robot has none of this; its IMU, encoders and motor drivers take this place.
 *
 * Plant channel framing (stdin/stdout of the host process, the second UART of the QEMU board):
 * fixed 64-byte packets, each sent as COBS(packet | CRC-32C little-endian) then 0x00, with the
 * protocol's own COBS and CRC-32C. A bad packet is dropped and counted; the next 0x00 resyncs.
 * Packet byte 0 is its type, multi-byte fields are little-endian:
 *   to the firmware   'C' config: u16 watchdog_ms @4, f32 max_torque_nm @8, u16 control_rate_hz @12,
 *                         u16 low_battery_mv @14, u16 hw_watchdog_ms @16 (the board's hardware
 *                         watchdog, 0 = its default; an emulated board on a loaded machine needs
 *                         more) (the answer to 'R'; the firmware waits for it)
 *                     'S' sensors: f32 orientation[4] @4, gyro[3] @20, wheel_velocity[3] @32, u16 battery_mv @44
 *                     'K' cut the protocol link (stop reading and writing it), 'U' restore it
 *                     'X' corrupt transmitted bytes: f32 probability @4, u32 seed @8 (0 = off; the
 *                         counts of the run that just ended stay readable until the next run)
 *                     'H' hang the core (board ports only: a test of the hardware watchdog)
 *                     'Q' quit (host process only)
 *   from the firmware 'R' ready: booted, waiting for 'C'; u32 plant packets dropped as bad @4
 *                     'T' report, after every sample and every change of motor output: u8 mode @1,
 *                         u16 fault_flags @2, f32 torque[3] @4, u32 time_us @16, watchdog_trips @20,
 *                         watchdog_trip_us @24, watchdog_last_feed_us @28, tx_corrupted @32,
 *                         tx_lost @36, rx_frames_ok @40, rx_bad @44, rx_gaps @48,
 *                         last_control_seq @52, tx_frames @56, tx_dropped @60,
 *                         hw_watchdog_warnings @64 (board watchdog early warnings), ticks @68
 *                         (control ticks run) */
#ifndef HIL_PLANT_H
#define HIL_PLANT_H

#include "../bb_firmware.h"

#define HIL_PACKET 96u
/* COBS of packet + CRC, then the delimiter. */
#define HIL_WIRE_MAX (HIL_PACKET + 4u + 3u) /* + a leading 0x00 (see hil_plant_ready) */

typedef struct {
  /* receive side */
  uint8_t encoded[HIL_WIRE_MAX];
  size_t length;
  uint8_t discarding;
  uint32_t bad_packets;
  /* what the simulator sent */
  int config_ready;
  bb_fw_config cfg;
  uint16_t hw_watchdog_ms;
  /* counted by the port */
  uint32_t ticks, hw_watchdog_warnings;
  int have_sample;
  bb_sensors sample;
  /* fault injection on the protocol UART's transmit side */
  int link_cut;
  float corrupt_p;
  uint32_t rng;
  int prev_delimiter_corrupted;
  uint32_t tx_frames, tx_corrupted, tx_lost, tx_dropped;
  /* the last report, to send a new one on change */
  float last_torque[3];
  uint8_t last_mode;
  uint8_t last_report[HIL_PACKET + 4];
} hil_plant;

void hil_plant_init(hil_plant *p);
/* One byte from the simulator; returns the type of a packet it completed ('S', 'K', ...), else 0. */
int hil_plant_feed(hil_plant *p, uint8_t byte);
/* The 'R' packet, wire-encoded into out after a 0x00 (so the simulator's decoder drops
 * whatever came before, such as an emulator's banner); returns its length. */
size_t hil_plant_ready(const hil_plant *p, uint8_t out[HIL_WIRE_MAX]);
/* 1 and the latest sample when one arrived since the last call. */
int hil_plant_take_sample(hil_plant *p, bb_sensors *s);
/* A protocol frame on its way to the UART, with room bytes free in the transmit queue: applies
 * the link cut and the corruption injector and counts. Returns how many bytes of out to queue
 * (0: drop the frame). */
size_t hil_plant_transmit(hil_plant *p, const uint8_t *frame, size_t len, size_t room, uint8_t out[BB_MAX_WIRE_LEN]);
/* After a step: the wire-encoded 'T' report in out when one is due (returns its length), else 0. */
size_t hil_plant_report(hil_plant *p, const bb_firmware *fw, int new_sample, uint32_t now_us, uint8_t out[HIL_WIRE_MAX]);

/* The last report with zero torque and the e-stop mode, after a 0x00: what a board's
 * hardware-watchdog or fault handler sends, from above the core's priority, when the core
 * itself cannot be trusted (the 0x00 ends a report it may have interrupted). */
size_t hil_plant_motors_off(hil_plant *p, uint32_t now_us, uint8_t out[HIL_WIRE_MAX]);

#endif

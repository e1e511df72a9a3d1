/* The firmware application: the core (bb_firmware.c) wired to a board port (port/bb_port.h).
 * No heap, no board code: everything board-specific is behind bb_port_*. */
#ifndef BB_APP_H
#define BB_APP_H

#include "bb_firmware.h"

/* Once, after the board's clocks and peripherals are up (motors off). */
void bb_app_start(void);
/* Receive bytes, send STATE for a new sensor sample, run the watchdog, drive the motors. The
 * port may call it whenever input arrives (a frame delimiter, a sensor sample) for low latency. */
void bb_app_step(void);
/* From the control-tick timer at BB_TICK_HZ: a step, then the hardware watchdog kick. */
void bb_app_tick(void);
/* The core's state (read-only), for the port's diagnostics. */
const bb_firmware *bb_app_firmware(void);

#endif

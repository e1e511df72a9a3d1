/* The host port (POSIX): the firmware as a process, for the virtual robot. One end of a pty pair
 * is its protocol UART; stdin/stdout is its plant channel to the Node simulator (hil_plant.h).
 * The control tick is the poll loop, woken at least every millisecond.
 * usage: host_firmware <uart-path>   (limits arrive from the simulator in a 'C' packet) */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../bb_app.h"
#include "bb_port.h"
#include "bb_ring.h"
#include "hil_plant.h"

static int uart = -1;
static hil_plant plant;
static int quit = 0;

/* The UART's transmit queue, as a board's TX DMA buffer: frames are queued whole and flushed
 * when the pty can take them. */
#define TXQ_SIZE 65536u
static uint8_t txq_storage[TXQ_SIZE];
static bb_ring txq;

uint32_t bb_port_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint32_t)((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
}

static void plant_write(const uint8_t *bytes, size_t len) {
  if (fwrite(bytes, 1, len, stdout) != len) exit(0); /* the simulator is gone */
  fflush(stdout);
}

static int started = 0;

/* Reads what the simulator sent (blocks until something arrives); each sensor sample is
 * stepped at once, so every sample gets its STATE frame. */
static void plant_read(void) {
  uint8_t buf[256];
  ssize_t n, i;
  n = read(STDIN_FILENO, buf, sizeof buf);
  if (n <= 0) { quit = 1; return; }
  for (i = 0; i < n && !quit; i++) {
    int type = hil_plant_feed(&plant, buf[i]);
    if (type == 'Q') quit = 1;
    if (type == 'K') bb_ring_clear(&txq); /* what was in flight is lost with the cable */
    if (type == 'S' && started) bb_app_step();
  }
}

void bb_port_config(bb_fw_config *cfg) {
  uint8_t wire[HIL_WIRE_MAX];
  plant_write(wire, hil_plant_ready(&plant, wire));
  while (!plant.config_ready) {
    plant_read();
    if (quit) exit(0);
  }
  *cfg = plant.cfg;
}

size_t bb_port_uart_read(uint8_t *buf, size_t cap) {
  ssize_t n = read(uart, buf, cap);
  if (n <= 0 || plant.link_cut) return 0;
  return (size_t)n;
}

static void flush_uart(void) {
  const uint8_t *start;
  size_t run;
  while ((run = bb_ring_peek(&txq, &start)) > 0 && !plant.link_cut) {
    ssize_t n = write(uart, start, run);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return; /* EAGAIN: the pty is full, try again when poll() says writable */
    }
    bb_ring_drop(&txq, (size_t)n);
  }
}

void bb_port_uart_write(const uint8_t *frame, size_t len) {
  uint8_t out[BB_MAX_WIRE_LEN];
  size_t n = hil_plant_transmit(&plant, frame, len, bb_ring_room(&txq), out);
  if (n > 0 && bb_ring_put(&txq, out, n)) flush_uart();
}

int bb_port_sensors_read(bb_sensors *s) { return hil_plant_take_sample(&plant, s); }

void bb_port_motor_torque(const float torque[3]) { (void)torque; /* reported in bb_port_after_step */ }

void bb_port_watchdog_kick(void) { plant.ticks++; /* a process has no hardware watchdog */ }

int bb_port_board_fault(void) { return 0; }

void bb_port_after_step(const bb_firmware *fw, int new_sample) {
  uint8_t wire[HIL_WIRE_MAX];
  size_t n = hil_plant_report(&plant, fw, new_sample, bb_port_now_us(), wire);
  if (n > 0) plant_write(wire, n);
}

static int open_uart(const char *path) {
  struct termios tio;
  int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return -1;
  if (tcgetattr(fd, &tio) == 0) {
    /* raw 8N1, as a microcontroller UART */
    tio.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    tio.c_oflag &= ~(tcflag_t)OPOST;
    tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    tio.c_cflag |= CS8;
    tcsetattr(fd, TCSANOW, &tio);
  }
  return fd;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: host_firmware <uart-path>\n");
    return 2;
  }
  uart = open_uart(argv[1]);
  if (uart < 0) {
    fprintf(stderr, "host_firmware: cannot open %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  hil_plant_init(&plant);
  bb_ring_init(&txq, txq_storage, TXQ_SIZE);
  bb_app_start();
  fprintf(stderr, "host_firmware: UART %s, watchdog %u ms, torque limit %.3f N m\n", argv[1],
          (unsigned)plant.cfg.watchdog_ms, (double)plant.cfg.max_torque_nm);
  started = 1;
  while (!quit) {
    struct pollfd fds[2];
    fds[0].fd = uart; fds[0].events = (short)(POLLIN | (txq.len > 0 ? POLLOUT : 0)); fds[0].revents = 0;
    fds[1].fd = STDIN_FILENO; fds[1].events = POLLIN; fds[1].revents = 0;
    /* Sleep until input arrives, at most 1 ms: the control tick runs at >= BB_TICK_HZ. */
    if (poll(fds, 2, 1) < 0 && errno != EINTR) return 1;
    if (fds[0].revents & POLLOUT) flush_uart();
    if (fds[1].revents & (POLLIN | POLLHUP)) plant_read();
    bb_app_tick();
  }
  return 0;
}

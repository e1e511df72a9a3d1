/* Host build of the firmware for the virtual robot (POSIX only; the core it links is the
 * portable bb_firmware.c that a microcontroller runs). It opens one end of a pty pair as the
 * firmware's UART and exchanges plant I/O with the Node simulator over stdin/stdout in fixed
 * 64-byte little-endian packets:
 *   in  'S' sensors: f32 orientation[4] @4, gyro[3] @20, wheel_velocity[3] @32, u16 battery_mv @44
 *       'K' cut the link (stop reading and writing the UART), 'U' restore it
 *       'X' corrupt transmitted bytes: f32 probability @4, u32 seed @8 (0 = off; the counts
 *           of the run that just ended stay readable until the next run starts)
 *       'Q' quit
 *   out 'T' after every sensor packet and every change of the motor output: see send_report().
 * usage: host_firmware <uart-path> [watchdog_ms] [max_torque_nm] [control_rate_hz] */
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

#include "bb_firmware.h"

#define PACKET 64

static int uart = -1;
static int link_cut = 0;
static float corrupt_p = 0.0f;
static uint32_t rng_state = 1;
static uint32_t tx_frames = 0, tx_corrupted = 0, tx_lost = 0, tx_dropped = 0;
static int prev_delimiter_corrupted = 0;

static uint32_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint32_t)((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
}

/* xorshift32: reproducible corruption for a given seed. */
static uint32_t next_random(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

/* The UART's transmit ring, as a board's TX DMA buffer: frames are queued whole and flushed
 * when the pty can take them; when the ring is full (the host stopped reading) a whole frame is
 * dropped and counted, never half of one. */
#define TXQ_SIZE 65536u
static uint8_t txq[TXQ_SIZE];
static size_t txq_head = 0, txq_len = 0;

static void flush_uart(void) {
  while (txq_len > 0 && uart >= 0 && !link_cut) {
    size_t chunk = txq_len;
    ssize_t n;
    if (txq_head + chunk > TXQ_SIZE) chunk = TXQ_SIZE - txq_head;
    n = write(uart, txq + txq_head, chunk);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return; /* EAGAIN: the pty is full, try again when poll() says writable */
    }
    txq_head = (txq_head + (size_t)n) % TXQ_SIZE;
    txq_len -= (size_t)n;
  }
}

/* The firmware's UART write. Each call carries exactly one frame (ending in 0x00), which lets
 * the corruption injector count the frames the host must lose: a frame with a flipped byte,
 * the frame after one whose delimiter was hit (the two merge into one bad frame), and a frame
 * dropped because the transmit ring was full. */
static void uart_write(void *ctx, const uint8_t *bytes, size_t len) {
  uint8_t buf[BB_MAX_WIRE_LEN];
  size_t i, tail;
  int corrupted = 0;
  (void)ctx;
  if (link_cut || uart < 0 || len > sizeof buf) return;
  tx_frames++;
  if (TXQ_SIZE - txq_len < len) {
    tx_dropped++;
    if (corrupt_p > 0.0f) tx_lost++;
    return;
  }
  memcpy(buf, bytes, len);
  if (corrupt_p > 0.0f) {
    for (i = 0; i < len; i++) {
      if ((float)(next_random() >> 8) / 16777216.0f < corrupt_p) {
        buf[i] ^= (uint8_t)(1u + next_random() % 255u);
        corrupted = 1;
      }
    }
  }
  if (corrupted) tx_corrupted++;
  if (corrupted || prev_delimiter_corrupted) tx_lost++;
  prev_delimiter_corrupted = buf[len - 1] != 0;
  tail = (txq_head + txq_len) % TXQ_SIZE;
  for (i = 0; i < len; i++) txq[(tail + i) % TXQ_SIZE] = buf[i];
  txq_len += len;
  flush_uart();
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void putf(uint8_t *p, float v) { memcpy(p, &v, 4); }

static void send_report(const bb_firmware *fw, uint32_t t) {
  uint8_t p[PACKET];
  int i;
  memset(p, 0, sizeof p);
  p[0] = 'T';
  p[1] = fw->mode;
  memcpy(p + 2, &fw->fault_flags, 2);
  for (i = 0; i < 3; i++) putf(p + 4 + 4 * i, bb_fw_motor_torque(fw, i));
  put32(p + 16, t);
  put32(p + 20, fw->watchdog_trips);
  put32(p + 24, fw->watchdog_trip_us);
  put32(p + 28, fw->watchdog_last_feed_us);
  put32(p + 32, tx_corrupted);
  put32(p + 36, tx_lost);
  put32(p + 40, fw->dec.counters.frames_ok);
  put32(p + 44, bb_decoder_bad(&fw->dec));
  put32(p + 48, fw->dec.counters.gaps);
  put32(p + 52, fw->last_control_seq);
  put32(p + 56, tx_frames);
  put32(p + 60, tx_dropped);
  if (fwrite(p, 1, sizeof p, stdout) != sizeof p) exit(0);
  fflush(stdout);
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
  static bb_firmware fw;
  bb_fw_config cfg;
  uint8_t in[PACKET], rx[512];
  size_t have = 0;
  float last_torque[3] = {0, 0, 0};
  uint8_t last_mode = 255;
  if (argc < 2) {
    fprintf(stderr, "usage: host_firmware <uart-path> [watchdog_ms] [max_torque_nm] [control_rate_hz]\n");
    return 2;
  }
  bb_fw_default_config(&cfg);
  if (argc > 2) cfg.watchdog_ms = (uint16_t)atoi(argv[2]);
  if (argc > 3) cfg.max_torque_nm = strtof(argv[3], NULL);
  if (argc > 4) cfg.control_rate_hz = (uint16_t)atoi(argv[4]);
  uart = open_uart(argv[1]);
  if (uart < 0) {
    fprintf(stderr, "host_firmware: cannot open %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  bb_fw_init(&fw, &cfg, uart_write, NULL, now_us());
  fprintf(stderr, "host_firmware: UART %s, watchdog %u ms, torque limit %.3f N m\n", argv[1],
          (unsigned)cfg.watchdog_ms, (double)cfg.max_torque_nm);
  for (;;) {
    struct pollfd fds[2];
    int changed = 0, i;
    uint32_t t;
    fds[0].fd = uart; fds[0].events = (short)(POLLIN | (txq_len > 0 ? POLLOUT : 0)); fds[0].revents = 0;
    fds[1].fd = STDIN_FILENO; fds[1].events = POLLIN; fds[1].revents = 0;
    /* 1 ms timeout: the watchdog runs at >= 1 kHz like a timer interrupt would. */
    if (poll(fds, 2, 1) < 0 && errno != EINTR) return 1;
    t = now_us();
    if (fds[0].revents & POLLOUT) flush_uart();
    if (fds[0].revents & POLLIN) {
      ssize_t n = read(uart, rx, sizeof rx);
      if (n > 0 && !link_cut) bb_fw_receive(&fw, rx, (size_t)n, t);
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(STDIN_FILENO, in + have, PACKET - have);
      if (n <= 0) break; /* the simulator is gone */
      have += (size_t)n;
      if (have == PACKET) {
        have = 0;
        if (in[0] == 'S') {
          bb_sensors s;
          memcpy(s.orientation, in + 4, 16);
          memcpy(s.gyro, in + 20, 12);
          memcpy(s.wheel_velocity, in + 32, 12);
          memcpy(&s.battery_mv, in + 44, 2);
          bb_fw_send_state(&fw, &s, t);
          send_report(&fw, t);
        } else if (in[0] == 'K') {
          link_cut = 1;
          txq_head = txq_len = 0; /* what was in flight is lost with the cable */
        } else if (in[0] == 'U') {
          link_cut = 0;
        } else if (in[0] == 'X') {
          uint32_t seed;
          memcpy(&corrupt_p, in + 4, 4);
          memcpy(&seed, in + 8, 4);
          rng_state = seed ? seed : 1u;
          if (corrupt_p > 0.0f) tx_corrupted = tx_lost = 0; /* counters of this injection run */
        } else if (in[0] == 'Q') {
          break;
        }
      }
    }
    bb_fw_tick(&fw, t);
    for (i = 0; i < 3; i++) if (bb_fw_motor_torque(&fw, i) != last_torque[i]) changed = 1;
    if (fw.mode != last_mode) changed = 1;
    if (changed) {
      for (i = 0; i < 3; i++) last_torque[i] = bb_fw_motor_torque(&fw, i);
      last_mode = fw.mode;
      send_report(&fw, t);
    }
  }
  return 0;
}

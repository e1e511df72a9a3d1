/* The LM3S6965 port (TI Stellaris Cortex-M3, 50 MHz from the PLL; QEMU -M lm3s6965evb).
 *   UART0     the protocol UART (the host's serial link), interrupt-driven, 16-byte FIFOs
 *   UART1     the plant channel to the simulator (hil_plant.h): sensor samples in, motor
 *             torques and counters out. On a robot, the IMU, encoders and motor drivers take
 *             its place.
 *   SysTick   the control tick at BB_TICK_HZ: bb_app_tick() (command watchdog, e-stop latch)
 *   watchdog  kicked by every tick; a late tick interrupts (motors off, e-stop), a hung one resets.
 *             Its 50 MHz down-counter is also the microsecond clock: the cycles counted between
 *             kicks add up to the time since boot. Counting ticks instead loses time whenever
 *             two tick periods pass before one interrupt is served (an emulator on a loaded
 *             machine does that); a counter does not. (On silicon a free-running GPTM would do
 *             too; QEMU's GPTM cannot be read.)
 * UART0, UART1 and SysTick share one priority, so the core never preempts itself; the
 * watchdog interrupt is above them (it must preempt a hung core); the main loop only sleeps. */
#include <stdint.h>

#include "../../bb_app.h"
#include "../../port/bb_port.h"
#include "../../port/bb_ring.h"
#include "../../port/hil_plant.h"

#define SYSCLK_HZ 50000000u
#define TICK_RELOAD (SYSCLK_HZ / BB_TICK_HZ - 1u)
/* The hardware watchdog: an early warning after this long without a tick (motors off, e-stop
 * latched), a reset after twice as long. The simulator may ask for more ('C' packet). */
#define HW_WATCHDOG_DEFAULT_MS 20u
#define UART_BAUD 115200u

#define REG(addr) (*(volatile uint32_t *)(addr))
/* System control */
#define SYSCTL_RIS REG(0x400FE050u)
#define SYSCTL_RCC REG(0x400FE060u)
#define SYSCTL_RCGC0 REG(0x400FE100u)
#define SYSCTL_RCGC1 REG(0x400FE104u)
#define SYSCTL_RCGC2 REG(0x400FE108u)
/* GPIO A (UART0 on PA0/PA1) and D (UART1 on PD2/PD3): alternate function, digital enable */
#define GPIOA_AFSEL REG(0x40004420u)
#define GPIOA_DEN REG(0x4000451Cu)
#define GPIOD_AFSEL REG(0x40007420u)
#define GPIOD_DEN REG(0x4000751Cu)
/* Cortex-M3 core */
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define SCB_SHPR3 REG(0xE000ED20u)
#define NVIC_ISER(n) REG(0xE000E100u + 4u * (n))
#define NVIC_ICER(n) REG(0xE000E180u + 4u * (n))
#define NVIC_ICPR(n) REG(0xE000E280u + 4u * (n))
#define NVIC_IPR ((volatile uint8_t *)0xE000E400u)

typedef struct { /* PL011 as in the Stellaris UARTs */
  volatile uint32_t DR, RSR, reserved0[4], FR, reserved1, ILPR, IBRD, FBRD, LCRH, CTL, IFLS, IM, RIS, MIS, ICR;
} pl011;
typedef struct {
  volatile uint32_t LOAD, VALUE, CTL, ICR, RIS, MIS;
} stellaris_watchdog;

#define UART0 ((pl011 *)0x4000C000u)
#define UART1 ((pl011 *)0x4000D000u)
#define WATCHDOG ((stellaris_watchdog *)0x40000000u)
#define WATCHDOG_LOCK REG(0x40000C00u)
#define WATCHDOG_UNLOCK_KEY 0x1ACCE551u

enum { FR_RXFE = 1u << 4, FR_TXFF = 1u << 5 };
enum { INT_RX = 1u << 4, INT_TX = 1u << 5, INT_RT = 1u << 6 };
enum { IRQ_UART0 = 5, IRQ_UART1 = 6, IRQ_WATCHDOG = 18 };
#define CORE_PRIORITY 0x80u
#define WATCHDOG_PRIORITY 0x00u

static hil_plant plant;
static uint64_t cycles_at_kick; /* watchdog cycles counted up to the last kick */
static int started;
static volatile int board_fault; /* set by the watchdog warning, taken by the core's next step */

static uint8_t rx0_storage[256], tx0_storage[1024], tx1_storage[512];
static bb_ring rx0, tx0, tx1;

/* Fills the transmit FIFO from the queue; the TX interrupt resumes when the FIFO drains. */
static void uart_pump(pl011 *u, bb_ring *r) {
  uint8_t b;
  while (!(u->FR & FR_TXFF) && bb_ring_get(r, &b)) u->DR = b;
}

static void plant_send(const uint8_t *bytes, size_t len) {
  if (bb_ring_put(&tx1, bytes, len)) uart_pump(UART1, &tx1);
}

/* Before interrupts are on, and from the watchdog handler: blocking byte I/O. */
static void plant_send_polled(const uint8_t *bytes, size_t len) {
  size_t i;
  for (i = 0; i < len; i++) {
    while (UART1->FR & FR_TXFF) {}
    UART1->DR = bytes[i];
  }
}

/* Cycles since the last kick: the counter runs down from LOAD; past an expiry it reloaded once. */
static uint32_t cycles_since_kick(void) {
  uint32_t load = WATCHDOG->LOAD, v = WATCHDOG->VALUE;
  if (WATCHDOG->RIS & 1u) { /* expired once: reloaded, read again after the reload */
    v = WATCHDOG->VALUE;
    return load + (load - v);
  }
  return load - v;
}

uint32_t bb_port_now_us(void) {
  return (uint32_t)((cycles_at_kick + cycles_since_kick()) / (SYSCLK_HZ / 1000000u));
}

void bb_port_config(bb_fw_config *cfg) {
  uint8_t wire[HIL_WIRE_MAX];
  plant_send_polled(wire, hil_plant_ready(&plant, wire));
  while (!plant.config_ready) {
    while (UART1->FR & FR_RXFE) {}
    (void)hil_plant_feed(&plant, (uint8_t)UART1->DR);
  }
  *cfg = plant.cfg;
}

size_t bb_port_uart_read(uint8_t *buf, size_t cap) {
  size_t n = 0;
  while (n < cap && bb_ring_get(&rx0, &buf[n])) n++;
  return n;
}

void bb_port_uart_write(const uint8_t *frame, size_t len) {
  uint8_t out[BB_MAX_WIRE_LEN];
  size_t n = hil_plant_transmit(&plant, frame, len, bb_ring_room(&tx0), out);
  if (n > 0 && bb_ring_put(&tx0, out, n)) uart_pump(UART0, &tx0);
}

int bb_port_sensors_read(bb_sensors *s) { return hil_plant_take_sample(&plant, s); }

void bb_port_motor_torque(const float torque[3]) { (void)torque; /* reported in bb_port_after_step */ }

static void irq_enable(int irq, uint8_t priority) {
  NVIC_IPR[irq] = priority;
  NVIC_ISER(irq / 32) = 1u << (irq % 32);
}

void bb_port_watchdog_kick(void) {
  cycles_at_kick += cycles_since_kick();
  WATCHDOG_LOCK = WATCHDOG_UNLOCK_KEY;
  WATCHDOG->ICR = 1u; /* clears the interrupt and reloads the counter */
  WATCHDOG_LOCK = 0u;
  NVIC_ICPR(IRQ_WATCHDOG / 32) = 1u << (IRQ_WATCHDOG % 32);
  irq_enable(IRQ_WATCHDOG, WATCHDOG_PRIORITY); /* again, after a warning masked it */
}

int bb_port_board_fault(void) {
  int fault = board_fault;
  board_fault = 0;
  return fault;
}

void bb_port_after_step(const bb_firmware *fw, int new_sample) {
  uint8_t wire[HIL_WIRE_MAX];
  size_t n = hil_plant_report(&plant, fw, new_sample, bb_port_now_us(), wire);
  if (n > 0) plant_send(wire, n);
}

/* Protocol UART: queue received bytes, a frame delimiter runs a step at once (latency). */
void UART0_Handler(void) {
  int frame_end = 0;
  uint32_t pending = UART0->MIS;
  UART0->ICR = pending;
  while (!(UART0->FR & FR_RXFE)) {
    uint8_t b = (uint8_t)UART0->DR;
    if (plant.link_cut) continue; /* the cable is out: nothing arrives */
    (void)bb_ring_put(&rx0, &b, 1); /* a full queue drops bytes; the decoder counts the bad frame */
    if (b == 0) frame_end = 1;
  }
  uart_pump(UART0, &tx0);
  if (frame_end && started) bb_app_step();
}

/* Plant channel: a completed sensor packet runs a step (its STATE goes out at once). */
void UART1_Handler(void) {
  uint32_t pending = UART1->MIS;
  UART1->ICR = pending;
  while (!(UART1->FR & FR_RXFE)) {
    int type = hil_plant_feed(&plant, (uint8_t)UART1->DR);
    if (type == 'K') bb_ring_clear(&tx0); /* what was in flight is lost with the cable */
    if (type == 'S' && started) bb_app_step();
    if (type == 'H') for (;;) {} /* injected hang: the core stuck at its own priority, no more ticks */
  }
  uart_pump(UART1, &tx1);
}

void SysTick_Handler(void) {
  plant.ticks++;
  if (started) bb_app_tick();
}

/* Motors off straight away (here: a report to the simulator), from above the core's priority. */
static void motors_off(void) {
  uint8_t pkt[HIL_WIRE_MAX];
  plant_send_polled(pkt, hil_plant_motors_off(&plant, bb_port_now_us(), pkt));
}

/* The hardware watchdog's first expiry: no tick for HW watchdog ms. Motors off, the core
 * latches the e-stop at its next step; if that step never comes (a hung core), the second
 * expiry resets the board. Masked until the next kick (its interrupt stays raised until then). */
void Watchdog_Handler(void) {
  NVIC_ICER(IRQ_WATCHDOG / 32) = 1u << (IRQ_WATCHDOG % 32);
  plant.hw_watchdog_warnings++;
  board_fault = 1;
  motors_off();
}

/* Any fault: motors off, then wait for the watchdog's reset. */
void Default_Handler(void) {
  motors_off();
  for (;;) {}
}

/* 50 MHz: 8 MHz crystal, PLL (400 MHz / 2) divided by 4; RM section "Clock Control". */
static void clock_init(void) {
  uint32_t rcc = SYSCTL_RCC;
  rcc = (rcc | (1u << 11)) & ~(1u << 22); /* BYPASS on, USESYSDIV off while switching */
  SYSCTL_RCC = rcc;
  rcc &= ~((0xFu << 6) | (3u << 4) | (1u << 13) | (1u << 12) | 1u); /* XTAL, OSCSRC, PWRDN, OEN, MOSCDIS */
  rcc |= 0xEu << 6;                                                 /* XTAL = 8 MHz, OSCSRC = main */
  SYSCTL_RCC = rcc;
  rcc = (rcc & ~(0xFu << 23)) | (3u << 23) | (1u << 22);            /* SYSDIV /4, USESYSDIV */
  SYSCTL_RCC = rcc;
  while (!(SYSCTL_RIS & (1u << 6))) {}                              /* PLL locked */
  SYSCTL_RCC = rcc & ~(1u << 11);                                   /* BYPASS off: run on the PLL */
}

static void uart_init(pl011 *u) {
  /* 115200 8N1 with FIFOs on a real board; QEMU does not model the baud rate. */
  uint32_t div64 = (SYSCLK_HZ * 4u + UART_BAUD / 2u) / UART_BAUD; /* 64 * SYSCLK / (16 * baud) */
  u->CTL = 0u;
  u->IBRD = div64 / 64u;
  u->FBRD = div64 % 64u;
  u->LCRH = (3u << 5) | (1u << 4); /* 8 bits, FIFOs on */
  u->CTL = (1u << 0) | (1u << 8) | (1u << 9); /* UARTEN, TXE, RXE */
}

int main(void) {
  clock_init();
  SYSCTL_RCGC0 |= 1u << 3;             /* watchdog */
  SYSCTL_RCGC1 |= (1u << 0) | (1u << 1); /* UART0, UART1 */
  SYSCTL_RCGC2 |= (1u << 0) | (1u << 3); /* GPIO A, D */
  GPIOA_AFSEL |= 0x03u;
  GPIOA_DEN |= 0x03u;
  GPIOD_AFSEL |= 0x0Cu;
  GPIOD_DEN |= 0x0Cu;
  hil_plant_init(&plant);
  bb_ring_init(&rx0, rx0_storage, sizeof rx0_storage);
  bb_ring_init(&tx0, tx0_storage, sizeof tx0_storage);
  bb_ring_init(&tx1, tx1_storage, sizeof tx1_storage);
  uart_init(UART0);
  uart_init(UART1);
  bb_app_start(); /* waits for the simulator's limits */

  SCB_SHPR3 = (SCB_SHPR3 & 0x00FFFFFFu) | ((uint32_t)CORE_PRIORITY << 24);
  SYST_RVR = TICK_RELOAD;
  SYST_CVR = 0u;
  SYST_CSR = 7u; /* processor clock, interrupt, enable */
  WATCHDOG_LOCK = WATCHDOG_UNLOCK_KEY;
  WATCHDOG->LOAD = SYSCLK_HZ / 1000u * (plant.hw_watchdog_ms ? plant.hw_watchdog_ms : HW_WATCHDOG_DEFAULT_MS);
  WATCHDOG->CTL = 3u; /* interrupt and reset enable */
  WATCHDOG_LOCK = 0u;
  UART0->IM = INT_RX | INT_RT | INT_TX;
  UART1->IM = INT_RX | INT_RT | INT_TX;
  started = 1;
  irq_enable(IRQ_WATCHDOG, WATCHDOG_PRIORITY);
  irq_enable(IRQ_UART0, CORE_PRIORITY);
  irq_enable(IRQ_UART1, CORE_PRIORITY);
  for (;;) __asm__ volatile("wfi");
}

/* Vector table of the LM3S6965 (Cortex-M3). QEMU and the board read the initial stack pointer
 * and the reset vector from address 0. Every handler is defined in C (port_lm3s6965.c,
 * reset.c); faults and unused interrupts go to Default_Handler, which stops the motors and
 * waits for the hardware watchdog's reset. */
  .syntax unified
  .cpu cortex-m3
  .thumb

  .section .isr_vector, "a", %progbits
  .global vector_table
vector_table:
  .word _estack
  .word Reset_Handler
  .word Default_Handler    /* NMI (not wired on this board) */
  .rept 4                  /* HardFault, MemManage, BusFault, UsageFault */
  .word Default_Handler
  .endr
  .word 0, 0, 0, 0
  .word Default_Handler    /* SVC */
  .word 0, 0
  .word Default_Handler    /* PendSV */
  .word SysTick_Handler    /* the control tick */
  /* external interrupts 0..47; LM3S6965: UART0 5, UART1 6, watchdog 18 */
  .rept 5
  .word Default_Handler
  .endr
  .word UART0_Handler
  .word UART1_Handler
  .rept 11
  .word Default_Handler
  .endr
  .word Watchdog_Handler
  .rept 29
  .word Default_Handler
  .endr

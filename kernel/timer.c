/* timer.c: the CLINT timer that preempts tasks, one tick every kconfig.tick_us. */
#include "task.h"

#define MIE_MTIE (1 << 7)

static uint64_t tick_cycles;

uint64_t timer_now(void)
{
	return *(volatile uint64_t *)CLINT_MTIME;
}

void timer_rearm(void)
{
	*(volatile uint64_t *)CLINT_MTIMECMP = timer_now() + tick_cycles;
}

/* Machine timer interrupts on; mstatus.MIE stays clear, so only a task is ever interrupted. */
void timer_init(void)
{
	tick_cycles = (uint64_t)kconfig.tick_us * (TIMER_HZ / 1000000);
	timer_rearm();
	__asm__ volatile("csrs mie, %0" : : "r"(MIE_MTIE));
}

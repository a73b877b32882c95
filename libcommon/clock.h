/*
 * clock: the one monotonic clock (for timeouts, intervals and durations)
 * and the one wall clock (for timestamps that leave the process).
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

uint64_t	clock_mono_ms(void);	/* CLOCK_MONOTONIC, milliseconds */
uint64_t	clock_mono_us(void);	/* CLOCK_MONOTONIC, microseconds */
uint64_t	clock_wall_ms(void);	/* CLOCK_REALTIME, ms since the epoch */

#endif

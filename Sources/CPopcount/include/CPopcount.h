#ifndef VPCEMU_CPOPCOUNT_H
#define VPCEMU_CPOPCOUNT_H

#include <stdint.h>

/// The number of bits set in `x`, for the FIB's popcount-indexed nodes (docs/routing.md,
/// "Population count"). On x86-64 it is the `popcnt` instruction as inline assembly: inline
/// assembly needs no target feature, so this `static inline` function inlines into Swift callers
/// built for the x86-64 baseline, where `nonzeroBitCount` is a dozen bit-twiddling instructions.
/// `popcnt` is on every x86-64 CPU since 2008 (Intel Nehalem, AMD K10).
static inline uint64_t vpcemu_popcount(uint64_t x) {
#if defined(__x86_64__) && !defined(__POPCNT__)
    uint64_t count;
    __asm__("popcntq %1, %0" : "=r"(count) : "rm"(x) : "cc");
    return count;
#else
    // Other architectures, and x86-64 built with `-Xcc -mpopcnt`: the compiler's own count.
    return (uint64_t)__builtin_popcountll(x);
#endif
}

#endif

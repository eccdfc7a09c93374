#ifndef VPCEMU_CPOPCOUNT_H
#define VPCEMU_CPOPCOUNT_H
#include <stdint.h>

/// Population count with the hardware instruction. A Swift package cannot ask for `popcnt`
/// without unsafeFlags, so `nonzeroBitCount` on the x86-64 baseline is a 12-instruction
/// bit-twiddling sequence; this function is compiled for `popcnt` (present on every x86-64
/// since 2008). Elsewhere the builtin already maps to the native instruction.
#if defined(__x86_64__)
__attribute__((target("popcnt")))
#endif
static inline int vpcemu_popcount64(uint64_t value) {
    return __builtin_popcountll(value);
}

#endif

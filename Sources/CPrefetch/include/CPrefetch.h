#ifndef VPCEMU_CPREFETCH_H
#define VPCEMU_CPREFETCH_H

/// Asks the CPU to start loading the cache line holding `address` for a read, without
/// waiting for it and without faulting on any address. Swift has no prefetch; this
/// `static inline` function inlines into Swift callers (no target attribute is needed).
static inline void vpcemu_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif

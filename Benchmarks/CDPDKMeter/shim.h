// DPDK's single-rate three-colour marker (RFC 2697), header-only: rte_meter_srtcm_color_blind_check
// is a static inline function, so the benchmark calls it directly, without initialising the EAL.
// The header is included by its Debian path (package dpdk-dev) because SwiftPM cannot parse
// libdpdk.pc (a multi-line description); rte_meter.h itself needs nothing but <stdint.h>.
#include "/usr/include/dpdk/rte_meter.h"

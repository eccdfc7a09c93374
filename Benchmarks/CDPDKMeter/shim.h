// DPDK's single-rate three-colour marker (RFC 2697), header-only: rte_meter_srtcm_color_blind_check
// is a static inline function, so the benchmark calls it directly, without initialising the EAL.
#include <rte_meter.h>

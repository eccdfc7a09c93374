#ifndef VPCEMU_CPCAP_SHIM_H
#define VPCEMU_CPCAP_SHIM_H
#include <pcap/pcap.h>
#include <stdio.h>
#if defined(__GLIBC__)
/* __fsetlocking: PcapReader owns its FILE and reads it from one thread, so it switches stdio's
   per-call locking off (libpcap calls fread twice per record). */
#include <stdio_ext.h>
#endif
#endif

#ifndef VPCEMU_CPCAP_SHIM_H
#define VPCEMU_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif

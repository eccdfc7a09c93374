#ifndef VPCEMU_CZLIB_SHIM_H
#define VPCEMU_CZLIB_SHIM_H
#include <zlib.h>
#endif

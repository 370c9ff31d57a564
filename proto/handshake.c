/* handshake.c — being written; see handshake.h */
#include "handshake.h"

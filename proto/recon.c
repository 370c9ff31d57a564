/* recon.c — being written; see recon.h */
#include "recon.h"

/* text.c — [being written] */
#include "store_int.h"

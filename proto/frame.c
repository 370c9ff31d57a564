/* frame.c — being written; see frame.h */
#include "frame.h"

/* ics.c — [being written] */
#include "cmd.h"

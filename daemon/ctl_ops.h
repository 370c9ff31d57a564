/*
 * ctl_ops.h — the operations of the control socket (see ctl.h).
 */
#ifndef GILDE_CTL_OPS_H
#define GILDE_CTL_OPS_H

#include "daemon/ctl.h"

/* For ctl_start(); terminated by an entry with name NULL. */
extern const struct ctl_op ctl_ops[];

#endif

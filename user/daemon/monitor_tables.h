/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The monitor's read of the live tables, a step at a time across its
 * passes (monitor.h): each VIP's backends' slots and its fingerprint.
 */
#ifndef XLBD_MONITOR_TABLES_H
#define XLBD_MONITOR_TABLES_H

struct xlbd;
struct vip_monitor;
struct xlb_cfg_vip;

/*
 * vm's VIP in the effective config: vips[] follows its order (monitor_sync),
 * so it is at the same index unless a change is not synced yet. NULL: gone.
 */
struct xlb_cfg_vip *monitor_vm_vip(struct xlbd *x, const struct vip_monitor *vm);
/* Starts reading the tables anew, from the first VIP. */
void monitor_tables_start(struct xlbd *x);
/* Reads on, at most MONITOR_TABLE_READ_SLOTS slots; a table read whole is published. */
void monitor_tables_read(struct xlbd *x);

#endif /* XLBD_MONITOR_TABLES_H */

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef XLBD_DAMPING_H
#define XLBD_DAMPING_H

struct xlbd;

/*
 * Flap damping across a restart (damping.c): <state>.damping read at start
 * (a damaged one kept as .bad: no holds), its holds put back on the probe
 * targets before the first plan, and written (or removed) when they change.
 */
void damping_load(struct xlbd *x);
void damping_restore(struct xlbd *x);
void damping_save(struct xlbd *x);
/* Targets held again by prober_sync from what was kept while they were out
 * of the config: logged and journaled. */
void damping_kept_note(struct xlbd *x);
/* xlbd --discard-runtime-changes: the file goes too. 0 or -errno. */
int damping_discard(const char *state);

#endif /* XLBD_DAMPING_H */

/* frame: one lane as the JSON object of a stream frame (frame.c). */
#ifndef DL_SERVE_FRAME_H
#define DL_SERVE_FRAME_H

#include "lane.h"
#include "text.h"

/* Particles' and targets' densities (1-D), the heat map (2-D torus) or the
 * points and, with want_arrows, the field on a grid (the plane); the modes,
 * their theory and rates (torus); the diagnostics when measured. */
void lab_frame_lane(lab_text *t, lab_lane *lane, int want_arrows);

#endif

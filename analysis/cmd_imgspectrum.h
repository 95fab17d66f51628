/* The image-spectrum analysis of an image particle run (target idx:...):
 * RUN/imgspectrum.dat at every snapshot, RUN/imgrates.dat (each shell's gap
 * fitted as a decay over [t0, t1], beside docs/THEORY.md 7) and RUN/imgheatmap.mat. */
#ifndef DL_CMD_IMGSPECTRUM_H
#define DL_CMD_IMGSPECTRUM_H

#include "base/io.h"
#include "run/options.h"

int imgspectrum_analyze_run(const char *run, const dl_run_config *c, double t0, double t1, int quiet,
                            const dl_provenance *prov);

#endif

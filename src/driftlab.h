/* driftlab.h: the whole library in one include.
 *
 *     #include <driftlab.h>        cc prog.c $(pkg-config --cflags --libs driftlab)
 *
 * The layers, lowest first (each includes only those below it):
 *   base      status codes (dl_error), rng, strict parsing, io (atomic files,
 *             provenance headers)
 *   drift     kernels, domains, distributions, schedules, the drift engines,
 *             the integrator, Sinkhorn, field energy, metrics, snapshots
 *   spectral  spectrum (mesh deposit + FFT), decay fits, linear theory
 *   nn        layers, AdamW, checkpoints, generator, classifier, encoder
 *   images    IDX, image grids, image metrics, feature maps, the practical field
 *   train     the trainer (create / step / evaluate / checkpoint / destroy)
 * Every public name starts with dl_ (types, functions) or DL_ (constants). */
#ifndef DRIFTLAB_H
#define DRIFTLAB_H

#include "base/dl_error.h"
#include "base/io.h"
#include "base/parse.h"
#include "base/rng.h"
#include "drift/assignment.h"
#include "drift/dist.h"
#include "drift/domain.h"
#include "drift/engine.h"
#include "drift/field_energy.h"
#include "drift/integrator.h"
#include "drift/kernel.h"
#include "drift/metrics.h"
#include "drift/schedule.h"
#include "drift/sinkhorn.h"
#include "drift/snapshot.h"
#include "spectral/decay.h"
#include "spectral/spectrum.h"
#include "spectral/theory.h"
#include "nn/checkpoint.h"
#include "nn/classifier.h"
#include "nn/encoder.h"
#include "nn/generator.h"
#include "nn/nn.h"
#include "nn/optim.h"
#include "images/drift_field.h"
#include "images/feature_maps.h"
#include "images/idx.h"
#include "images/imagegrid.h"
#include "images/imgmetrics.h"
#include "train/trainer.h"

#endif

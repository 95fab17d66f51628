/* rng: the random state every sampler takes, explicit and never global.
 * MT19937 through GSL, so the same seed gives the same stream everywhere. */
#ifndef DL_RNG_H
#define DL_RNG_H

#include <gsl/gsl_rng.h>

gsl_rng *dl_rng_create(unsigned long seed);

#endif

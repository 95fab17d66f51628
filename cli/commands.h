/* The subcommands of the driftlab binary; each lives in the folder that owns it. */
#ifndef DL_COMMANDS_H
#define DL_COMMANDS_H

int cmd_sim(int argc, char **argv);   /* sim/cmd_sim.c */
int cmd_train(int argc, char **argv); /* train/cmd_train.c */
int cmd_sample(int argc, char **argv); /* train/cmd_sample.c */
int cmd_toytrain(int argc, char **argv); /* sim/cmd_toytrain.c */
int cmd_spectrum(int argc, char **argv); /* analysis/cmd_spectrum.c */
int cmd_imgspectrum(int argc, char **argv); /* analysis/cmd_imgspectrum.c: spectrum --images */
int cmd_theory(int argc, char **argv);   /* analysis/cmd_theory.c */
int cmd_bench(int argc, char **argv);    /* analysis/cmd_bench.c */
int cmd_classify(int argc, char **argv); /* analysis/cmd_classify.c */
int cmd_eval(int argc, char **argv);     /* analysis/cmd_eval.c */
int cmd_sweep(int argc, char **argv);    /* analysis/cmd_sweep.c */
int cmd_serve(int argc, char **argv);    /* serve/cmd_serve.c: the lab */

#endif

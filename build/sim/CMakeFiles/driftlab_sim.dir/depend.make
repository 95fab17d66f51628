# Empty dependencies file for driftlab_sim.
# This may be replaced when dependencies are built.

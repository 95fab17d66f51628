# Empty dependencies file for driftlab_core.
# This may be replaced when dependencies are built.

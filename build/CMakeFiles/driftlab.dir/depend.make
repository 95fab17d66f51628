# Empty dependencies file for driftlab.
# This may be replaced when dependencies are built.

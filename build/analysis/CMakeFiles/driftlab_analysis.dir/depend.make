# Empty dependencies file for driftlab_analysis.
# This may be replaced when dependencies are built.

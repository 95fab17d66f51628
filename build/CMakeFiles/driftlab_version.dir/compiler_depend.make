# Empty custom commands generated dependencies file for driftlab_version.
# This may be replaced when dependencies are built.

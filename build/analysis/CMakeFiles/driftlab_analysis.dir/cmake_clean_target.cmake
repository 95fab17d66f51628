file(REMOVE_RECURSE
  "libdriftlab_analysis.a"
)

file(REMOVE_RECURSE
  "libdriftlab_core.a"
)

file(REMOVE_RECURSE
  "libdriftlab_sim.a"
)

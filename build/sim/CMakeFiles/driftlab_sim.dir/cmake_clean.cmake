file(REMOVE_RECURSE
  "CMakeFiles/driftlab_sim.dir/cli.c.o"
  "CMakeFiles/driftlab_sim.dir/cli.c.o.d"
  "CMakeFiles/driftlab_sim.dir/cmd_sim.c.o"
  "CMakeFiles/driftlab_sim.dir/cmd_sim.c.o.d"
  "CMakeFiles/driftlab_sim.dir/sim_config.c.o"
  "CMakeFiles/driftlab_sim.dir/sim_config.c.o.d"
  "libdriftlab_sim.a"
  "libdriftlab_sim.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/driftlab_sim.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

file(REMOVE_RECURSE
  "CMakeFiles/driftlab_core.dir/dist.c.o"
  "CMakeFiles/driftlab_core.dir/dist.c.o.d"
  "CMakeFiles/driftlab_core.dir/dl_error.c.o"
  "CMakeFiles/driftlab_core.dir/dl_error.c.o.d"
  "CMakeFiles/driftlab_core.dir/domain.c.o"
  "CMakeFiles/driftlab_core.dir/domain.c.o.d"
  "CMakeFiles/driftlab_core.dir/engine.c.o"
  "CMakeFiles/driftlab_core.dir/engine.c.o.d"
  "CMakeFiles/driftlab_core.dir/engine_direct.c.o"
  "CMakeFiles/driftlab_core.dir/engine_direct.c.o.d"
  "CMakeFiles/driftlab_core.dir/integrator.c.o"
  "CMakeFiles/driftlab_core.dir/integrator.c.o.d"
  "CMakeFiles/driftlab_core.dir/io.c.o"
  "CMakeFiles/driftlab_core.dir/io.c.o.d"
  "CMakeFiles/driftlab_core.dir/kernel.c.o"
  "CMakeFiles/driftlab_core.dir/kernel.c.o.d"
  "CMakeFiles/driftlab_core.dir/metrics.c.o"
  "CMakeFiles/driftlab_core.dir/metrics.c.o.d"
  "CMakeFiles/driftlab_core.dir/schedule.c.o"
  "CMakeFiles/driftlab_core.dir/schedule.c.o.d"
  "libdriftlab_core.a"
  "libdriftlab_core.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/driftlab_core.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

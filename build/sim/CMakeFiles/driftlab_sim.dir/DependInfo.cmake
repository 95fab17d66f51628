
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/sim/cli.c" "sim/CMakeFiles/driftlab_sim.dir/cli.c.o" "gcc" "sim/CMakeFiles/driftlab_sim.dir/cli.c.o.d"
  "/work/main/sim/cmd_sim.c" "sim/CMakeFiles/driftlab_sim.dir/cmd_sim.c.o" "gcc" "sim/CMakeFiles/driftlab_sim.dir/cmd_sim.c.o.d"
  "/work/main/sim/sim_config.c" "sim/CMakeFiles/driftlab_sim.dir/sim_config.c.o" "gcc" "sim/CMakeFiles/driftlab_sim.dir/sim_config.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build/src/CMakeFiles/driftlab_core.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")

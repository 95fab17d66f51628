
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/analysis/cmd_rates.c" "analysis/CMakeFiles/driftlab_analysis.dir/cmd_rates.c.o" "gcc" "analysis/CMakeFiles/driftlab_analysis.dir/cmd_rates.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build/sim/CMakeFiles/driftlab_sim.dir/DependInfo.cmake"
  "/work/main/build/src/CMakeFiles/driftlab_core.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")


# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/dist.c" "src/CMakeFiles/driftlab_core.dir/dist.c.o" "gcc" "src/CMakeFiles/driftlab_core.dir/dist.c.o.d"
  "/work/main/src/dl_error.c" "src/CMakeFiles/driftlab_core.dir/dl_error.c.o" "gcc" "src/CMakeFiles/driftlab_core.dir/dl_error.c.o.d"
  "/work/main/src/domain.c" "src/CMakeFiles/driftlab_core.dir/domain.c.o" "gcc" "src/CMakeFiles/driftlab_core.dir/domain.c.o.d"
  "/work/main/src/engine.c" "src/CMakeFiles/driftlab_core.dir/engine.c.o" "gcc" "src/CMakeFiles/driftlab_core.dir/engine.c.o.d"
  "/work/main/src/engine_direct.c" "src/CMakeFiles/driftlab_core.dir/engine_direct.c.o" "gcc" "src/CMakeFiles/driftlab_core.dir/engine_direct.c.o.d"
  "/work/main/src/integrator.c" "src/CMakeFiles/driftlab_core.dir/integrator.c.o" "gcc" "src/CMakeFiles/driftlab_core.dir/integrator.c.o.d"
  "/work/main/src/io.c" "src/CMakeFiles/driftlab_core.dir/io.c.o" "gcc" "src/CMakeFiles/driftlab_core.dir/io.c.o.d"
  "/work/main/src/kernel.c" "src/CMakeFiles/driftlab_core.dir/kernel.c.o" "gcc" "src/CMakeFiles/driftlab_core.dir/kernel.c.o.d"
  "/work/main/src/metrics.c" "src/CMakeFiles/driftlab_core.dir/metrics.c.o" "gcc" "src/CMakeFiles/driftlab_core.dir/metrics.c.o.d"
  "/work/main/src/schedule.c" "src/CMakeFiles/driftlab_core.dir/schedule.c.o" "gcc" "src/CMakeFiles/driftlab_core.dir/schedule.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")

file(REMOVE_RECURSE
  "CMakeFiles/driftlab.dir/sim/main.c.o"
  "CMakeFiles/driftlab.dir/sim/main.c.o.d"
  "driftlab"
  "driftlab.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/driftlab.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

file(REMOVE_RECURSE
  "CMakeFiles/driftlab_analysis.dir/cmd_rates.c.o"
  "CMakeFiles/driftlab_analysis.dir/cmd_rates.c.o.d"
  "libdriftlab_analysis.a"
  "libdriftlab_analysis.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/driftlab_analysis.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

file(REMOVE_RECURSE
  "CMakeFiles/driftlab_version"
  "generated/dl_version.h"
)

# Per-language clean rules from dependency scanning.
foreach(lang )
  include(CMakeFiles/driftlab_version.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

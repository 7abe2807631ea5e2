# Finds libmagic (Debian: libmagic-dev) and defines the imported target Libmagic::Libmagic.
find_path(Libmagic_INCLUDE_DIR NAMES magic.h)
find_library(Libmagic_LIBRARY NAMES magic)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Libmagic REQUIRED_VARS Libmagic_LIBRARY Libmagic_INCLUDE_DIR)
if(Libmagic_FOUND AND NOT TARGET Libmagic::Libmagic)
  add_library(Libmagic::Libmagic UNKNOWN IMPORTED)
  set_target_properties(Libmagic::Libmagic PROPERTIES IMPORTED_LOCATION "${Libmagic_LIBRARY}"
                        INTERFACE_INCLUDE_DIRECTORIES "${Libmagic_INCLUDE_DIR}")
endif()
mark_as_advanced(Libmagic_INCLUDE_DIR Libmagic_LIBRARY)

# Warnings are always on; they become errors only when HYBRID_WERROR is set (CI, dev preset), so a
# newer compiler never breaks a user's build.
function(hybrid_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Wconversion
                                           -Wno-sign-conversion)
  if(HYBRID_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

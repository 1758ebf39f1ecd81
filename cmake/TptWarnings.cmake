# Warnings and sanitizer flags shared by every C target of the project.
set(TPT_WARNINGS -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
    -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral)
set(TPT_SANITIZE_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)

# tpt_target_defaults(<target> [SANITIZE]): warnings, includes, optional ASan.
function(tpt_target_defaults target)
  cmake_parse_arguments(A "SANITIZE" "" "" ${ARGN})
  target_compile_options(${target} PRIVATE ${TPT_WARNINGS})
  target_compile_definitions(${target} PRIVATE _GNU_SOURCE _FILE_OFFSET_BITS=64)
  if(A_SANITIZE AND TPT_SANITIZE)
    target_compile_options(${target} PRIVATE ${TPT_SANITIZE_FLAGS})
    target_link_options(${target} PRIVATE ${TPT_SANITIZE_FLAGS})
  endif()
endfunction()

# SPDX-License-Identifier: MIT
# Compiler flags shared by every target, and the helper that sets up a library object target.

set(GK_WARNINGS -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith
  -Wcast-qual -Wvla -Wformat=2 -Wundef -Wdouble-promotion -Wwrite-strings -Wimplicit-fallthrough)
if(GK_WERROR)
  list(APPEND GK_WARNINGS -Werror)
endif()

if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
  set(GK_NO_VECTORIZE_FLAGS -fno-vectorize -fno-slp-vectorize)
else()
  set(GK_NO_VECTORIZE_FLAGS -fno-tree-vectorize -fno-tree-slp-vectorize)
endif()

if(GK_SANITIZE)
  set(GK_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer)
  add_compile_options(${GK_SANITIZE_FLAGS})
  add_link_options(${GK_SANITIZE_FLAGS})
endif()

# Fuzzing builds (Clang): coverage feedback from the whole library for the libFuzzer targets.
if(GK_BUILD_FUZZ AND CMAKE_C_COMPILER_ID STREQUAL "Clang")
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# Every target of the project gets the warnings.
add_compile_options(${GK_WARNINGS})

# An object library that becomes part of libgllmk: internal include root, build defines.
function(gk_library_object target)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/include
    ${PROJECT_SOURCE_DIR}/src)
  target_compile_definitions(${target} PRIVATE ${GK_DEFINES})
endfunction()

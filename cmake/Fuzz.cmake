# -DXS_FUZZ=ON: the libFuzzer targets of tests/fuzz (flags: cmake/Sanitizers.cmake). Included by the
# top-level CMakeLists.txt after the layers, since the targets link the core libraries.
if(XS_FUZZ)
  set(XS_FUZZ_ROLE "libfuzzer")  # tests/fuzz/CMakeLists.txt: define the fuzzers, not the replay suite
  add_subdirectory(${PROJECT_SOURCE_DIR}/tests/fuzz ${CMAKE_BINARY_DIR}/fuzz)
  unset(XS_FUZZ_ROLE)
endif()

# Sanitizer and fuzzing builds (issue 8; see packaging/run-sanitizers.sh and packaging/run-fuzz.sh).
#
#   -DXS_SANITIZE=address,undefined   compile and link the project's own code (core libraries, the
#                                     apps, the test suites) with ASan + UBSan; every finding aborts
#                                     (-fno-sanitize-recover=all). Debian's libraries (Qt, OpenCV,
#                                     LibTorch) stay uninstrumented. Use with -DXS_WITH_TORCH=OFF:
#                                     the sentencepiece library is loaded with RTLD_DEEPBIND, which
#                                     the ASan runtime refuses.
#   -DXS_FUZZ=ON (clang only)         adds the libFuzzer targets of tests/fuzz (fuzz_coco, fuzz_rle,
#                                     fuzz_project, fuzz_safetensors, and fuzz_checkpoint when LibTorch
#                                     is found) and instruments the project's code for coverage, with
#                                     ASan + UBSan. Build them with the target xs_fuzz_all.
# Included by the top-level CMakeLists.txt before the layers are added, so the flags reach every
# target of the project; cmake/Fuzz.cmake (included after the layers) adds the fuzz targets.

if(XS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "XS_FUZZ=ON needs clang (libFuzzer): configure with -DCMAKE_C_COMPILER=clang "
                        "-DCMAKE_CXX_COMPILER=clang++ (Debian packages clang and libclang-rt-14-dev)")
  endif()
  if(NOT XS_SANITIZE)
    set(XS_SANITIZE "address,undefined")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(XS_SANITIZE)
  message(STATUS "xsam-studio: sanitizers ${XS_SANITIZE} on the project's own code")
  add_compile_options(-fsanitize=${XS_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${XS_SANITIZE} -fno-sanitize-recover=all)
endif()

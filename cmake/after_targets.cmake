# What applies to every target of the build, included once at the end of the top-level
# CMakeLists.txt after every add_subdirectory: it walks the targets, so a new module, binary
# or test gets it without touching its own CMakeLists.txt.
#  - precompiled headers (cmake/precompiled_headers.cmake), unless SKIFF_PCH is OFF;
#  - skiff_for_tests: every target but the benchmarks and examples, i.e. the tests and the
#    binaries they drive. The CI's sanitizer stage builds only this.

include(${CMAKE_CURRENT_LIST_DIR}/precompiled_headers.cmake)

# Every target defined in dir and below it.
function(_skiff_targets_under dir out)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    _skiff_targets_under("${sub}" below)
    list(APPEND targets ${below})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

function(_skiff_after_targets)
  _skiff_targets_under("${CMAKE_SOURCE_DIR}" targets)
  set(for_tests "")
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(NOT type MATCHES "^(STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY|EXECUTABLE)$")
      continue()
    endif()
    if(SKIFF_PCH)
      skiff_precompile_headers(${target})
    endif()
    get_target_property(dir ${target} SOURCE_DIR)
    file(RELATIVE_PATH dir "${CMAKE_SOURCE_DIR}" "${dir}")
    if(NOT dir MATCHES "^(bench|examples)(/|$)")
      list(APPEND for_tests ${target})
    endif()
  endforeach()
  add_custom_target(skiff_for_tests)
  if(for_tests)
    add_dependencies(skiff_for_tests ${for_tests})
  endif()
endfunction()

_skiff_after_targets()

# Precompiled headers for the heavy third-party headers every build parses again and again
# (GoogleTest, nlohmann/json, CLI11 and the standard library they pull in). Applied by
# cmake/after_targets.cmake to every target, so a new module or test gets them without
# touching its own CMakeLists.txt.
#
# Each target gets exactly the headers of the libraries it links (directly or through
# other targets): gtest only where GTest is linked, json only where nlohmann_json is, so a
# precompiled header never makes visible what the target could not include itself. Targets
# linking the same set share one precompiled header (REUSE_FROM a small host library), so
# it is compiled once per set, not once per target. Measured in docs/performance.md.
#
# clang-tidy must not read these compile commands: gcc's .gch files are unreadable to
# clang. scripts/lint configures a tree of its own with SKIFF_PCH=OFF.

# Off by default: with them, GCC 12 reports false -Warray-bounds errors in std::string
# concatenations of tests that build cleanly without (tests/net/dns_files_test.cc), and they
# saved only about 9% of CPU time.
option(SKIFF_PCH "Precompile the heavy third-party headers (gtest, nlohmann/json, CLI11)" OFF)

# Headers by the imported target that makes them available.
set(_skiff_pch_stl <algorithm> <array> <chrono> <cstdint> <filesystem> <functional> <map>
    <memory> <optional> <set> <string> <string_view> <utility> <vector>)
set(_skiff_pch_headers_json <nlohmann/json.hpp>)
set(_skiff_pch_headers_gtest <gtest/gtest.h>)
set(_skiff_pch_headers_gmock <gmock/gmock.h>)
set(_skiff_pch_headers_cli11 <CLI/CLI.hpp>)
set(_skiff_pch_link_json nlohmann_json::nlohmann_json)
set(_skiff_pch_link_gtest GTest::gtest)
set(_skiff_pch_link_gmock GTest::gmock)
set(_skiff_pch_link_cli11 CLI11::CLI11)

# The features (json, gtest, gmock, cli11) of the libraries target links, followed through
# the link interfaces of the targets it links.
function(_skiff_pch_features target out)
  set(seen "")
  set(features "")
  set(queue "${target}")
  while(queue)
    list(POP_FRONT queue item)
    # A private dependency of a static library shows up as $<LINK_ONLY:name>; other
    # generator expressions cannot be evaluated here and are skipped.
    string(REGEX REPLACE "^\\$<LINK_ONLY:([^>]+)>$" "\\1" item "${item}")
    if(item MATCHES "\\$<" OR item IN_LIST seen OR NOT TARGET "${item}")
      continue()
    endif()
    list(APPEND seen "${item}")
    get_target_property(aliased "${item}" ALIASED_TARGET)
    if(aliased)
      list(APPEND queue "${aliased}")
      continue()
    endif()
    if(item MATCHES "^nlohmann_json::")
      list(APPEND features json)
    elseif(item MATCHES "^GTest::(gmock|gmock_main)$")
      list(APPEND features gmock gtest)
    elseif(item MATCHES "^GTest::")
      list(APPEND features gtest)
    elseif(item MATCHES "^CLI11::")
      list(APPEND features cli11)
    endif()
    get_target_property(imported "${item}" IMPORTED)
    get_target_property(type "${item}" TYPE)
    if(NOT imported AND NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(links "${item}" LINK_LIBRARIES)
      if(links)
        list(APPEND queue ${links})
      endif()
    endif()
    get_target_property(links "${item}" INTERFACE_LINK_LIBRARIES)
    if(links)
      list(APPEND queue ${links})
    endif()
  endwhile()
  list(REMOVE_DUPLICATES features)
  # A fixed order, so that the same set always names the same host.
  set(ordered "")
  foreach(feature json gtest gmock cli11)
    if(feature IN_LIST features)
      list(APPEND ordered ${feature})
    endif()
  endforeach()
  set(${out} ${ordered} PARENT_SCOPE)
endfunction()

# The host target holding the precompiled header of a feature set, created on first use:
# an object library of one empty file, compiled with the directory's flags like every
# other target, linking the feature's libraries for their include paths and definitions.
function(_skiff_pch_host features out)
  string(JOIN "_" suffix stl ${features})
  set(host "skiff_pch_${suffix}")
  if(NOT TARGET ${host})
    set(source "${CMAKE_BINARY_DIR}/pch/${host}.cc")
    file(CONFIGURE OUTPUT "${source}" CONTENT "// host of the precompiled header ${host}\n")
    add_library(${host} OBJECT "${source}")
    set(headers ${_skiff_pch_stl})
    foreach(feature IN LISTS features)
      list(APPEND headers ${_skiff_pch_headers_${feature}})
      target_link_libraries(${host} PRIVATE ${_skiff_pch_link_${feature}})
    endforeach()
    target_precompile_headers(${host} PRIVATE ${headers})
  endif()
  set(${out} ${host} PARENT_SCOPE)
endfunction()

# Gives target the precompiled header of the libraries it links, unless it has one of its own.
function(skiff_precompile_headers target)
  get_target_property(own ${target} PRECOMPILE_HEADERS)
  get_target_property(reused ${target} PRECOMPILE_HEADERS_REUSE_FROM)
  if(own OR reused)
    return()
  endif()
  _skiff_pch_features(${target} features)
  _skiff_pch_host("${features}" host)
  set_target_properties(${target} PROPERTIES PRECOMPILE_HEADERS_REUSE_FROM ${host})
endfunction()

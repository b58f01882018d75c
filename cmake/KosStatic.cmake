# SPDX-License-Identifier: Apache-2.0
#
# kos_static_program(NAME SOURCES source... LIBRARIES module...)
#
# A fully static program (glibc's libc.a, OpenSSL's libcrypto.a, libfdt.a), such as the
# boot-path programs that run as PID 1 from an initramfs with no shared library around.
# LIBRARIES are the project's module libraries (kos-bootcore, kos-store, kos-manifest, ...).
#
# The program is the same in every build: it and the modules it links are compiled again,
# as MODULE-static archives, with the project's warning options only, never with the
# sanitizer or fuzzer instrumentation that `make test` adds (ASan and UBSan cannot link
# statically against glibc, and what ships is the uninstrumented program). A module is
# compiled once however many static programs link it. A module may link other modules,
# OpenSSL::Crypto, libfdt and Threads::Threads (part of libc); anything else (jansson,
# libcurl...) stops the configuration, so a boot-path module cannot grow a dependency that
# the boot path cannot have.
#
# The link runs under cmake/kos-static-link.sh, which fails it on any linker warning that
# cmake/static-link-warnings.txt does not list (docs/development.md, "Static programs").

find_library(KOS_STATIC_LIBC NAMES libc.a REQUIRED)
find_library(KOS_STATIC_LIBCRYPTO NAMES libcrypto.a REQUIRED)
find_library(KOS_STATIC_LIBFDT NAMES libfdt.a REQUIRED)
set(KOS_STATIC_LINK_CHECK ${CMAKE_CURRENT_LIST_DIR}/kos-static-link.sh)
set(KOS_STATIC_LINK_WARNINGS ${CMAKE_CURRENT_LIST_DIR}/static-link-warnings.txt)

# The compile options of static programs and their modules: the project's warnings, and
# no instrumentation whatever the build adds elsewhere.
set(KOS_STATIC_COMPILE_OPTIONS ${KOS_WARNING_OPTIONS} -fno-sanitize=all)

# Builds MODULE-static from MODULE's sources, and what it links, recursively.
function(_kos_static_module module)
  if(TARGET ${module}-static)
    return()
  endif()
  get_target_property(type ${module} TYPE)
  if(NOT type STREQUAL "STATIC_LIBRARY")
    message(FATAL_ERROR "kos_static_program: ${module} is not a module library")
  endif()
  get_target_property(sources ${module} SOURCES)
  get_target_property(source_dir ${module} SOURCE_DIR)
  set(absolute_sources)
  foreach(source IN LISTS sources)
    get_filename_component(source ${source} ABSOLUTE BASE_DIR ${source_dir})
    list(APPEND absolute_sources ${source})
  endforeach()

  add_library(${module}-static STATIC ${absolute_sources})
  get_target_property(includes ${module} INCLUDE_DIRECTORIES)
  set_target_properties(${module}-static PROPERTIES
    INCLUDE_DIRECTORIES "${includes}"
    COMPILE_OPTIONS "${KOS_STATIC_COMPILE_OPTIONS}")
  get_target_property(definitions ${module} COMPILE_DEFINITIONS)
  if(definitions)
    set_target_properties(${module}-static PROPERTIES COMPILE_DEFINITIONS "${definitions}")
  endif()

  get_target_property(links ${module} LINK_LIBRARIES)
  if(NOT links)
    return()
  endif()
  foreach(link IN LISTS links)
    if(link STREQUAL "OpenSSL::Crypto")
      target_link_libraries(${module}-static ${KOS_STATIC_LIBCRYPTO})
    elseif(link STREQUAL "${FDT_LIBRARY}")
      target_link_libraries(${module}-static ${KOS_STATIC_LIBFDT})
    elseif(link STREQUAL "Threads::Threads")
      # POSIX threads are part of libc.a.
    elseif(TARGET ${link})
      get_target_property(imported ${link} IMPORTED)
      if(imported)
        message(FATAL_ERROR "kos_static_program: ${module} links ${link}, which static programs cannot have")
      endif()
      _kos_static_module(${link})
      target_link_libraries(${module}-static ${link}-static)
    else()
      message(FATAL_ERROR "kos_static_program: ${module} links ${link}, which static programs cannot have")
    endif()
  endforeach()
endfunction()

function(kos_static_program name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;LIBRARIES")
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "kos_static_program(${name}): SOURCES is required")
  endif()
  set(libraries)
  foreach(module IN LISTS arg_LIBRARIES)
    _kos_static_module(${module})
    list(APPEND libraries ${module}-static)
  endforeach()

  add_executable(${name} ${arg_SOURCES})
  set_target_properties(${name} PROPERTIES
    COMPILE_OPTIONS "${KOS_STATIC_COMPILE_OPTIONS}"
    LINK_OPTIONS "-static"
    LINK_DEPENDS "${KOS_STATIC_LINK_WARNINGS};${KOS_STATIC_LINK_CHECK}"
    RULE_LAUNCH_LINK "sh ${KOS_STATIC_LINK_CHECK} ${KOS_STATIC_LINK_WARNINGS} --")
  target_link_libraries(${name} ${libraries})
endfunction()

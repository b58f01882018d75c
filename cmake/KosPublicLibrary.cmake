# SPDX-License-Identifier: Apache-2.0
#
# kos_public_library(NAME
#     OBJECTS TARGET... | SOURCES FILE...   what the library is made of: the objects of
#                                           static libraries (made position-independent
#                                           here), or sources of its own
#     [LIBS LIB...]                         linked privately (e.g. kos-util, which must be
#                                           position-independent too)
#     MAP FILE                              the version script: what is exported
#     EXPORT_PREFIX PREFIX                  every exported symbol begins with it
#     HEADERS FILE...                       public headers, installed into include/kos/
#     PC_IN FILE                            the pkg-config template
#     [SOVERSION N])                        default 0
#
# Builds libNAME.so (target NAME-shared) exporting only what MAP exports, configures
# NAME.pc from PC_IN (relocatable: @KOS_PC_PREFIX@ is the install prefix relative to the
# .pc file's directory), installs the library, headers and .pc, and registers the CTest
# test NAME/exports, which fails if the built library defines a dynamic symbol that does
# not begin with PREFIX (other than MAP's version nodes).
set(KOS_CHECK_EXPORTS_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/KosCheckExports.cmake)

function(kos_public_library name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "MAP;EXPORT_PREFIX;PC_IN;SOVERSION"
                        "OBJECTS;SOURCES;LIBS;HEADERS")
  foreach(required MAP EXPORT_PREFIX PC_IN HEADERS)
    if(NOT arg_${required})
      message(FATAL_ERROR "kos_public_library(${name}): ${required} is required")
    endif()
  endforeach()
  if(NOT arg_OBJECTS AND NOT arg_SOURCES)
    message(FATAL_ERROR "kos_public_library(${name}): OBJECTS or SOURCES is required")
  endif()
  if(NOT DEFINED arg_SOVERSION)
    set(arg_SOVERSION 0)
  endif()
  get_filename_component(map ${arg_MAP} ABSOLUTE)

  set(objects)
  foreach(target IN LISTS arg_OBJECTS)
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    list(APPEND objects $<TARGET_OBJECTS:${target}>)
  endforeach()
  add_library(${name}-shared SHARED ${arg_SOURCES} ${objects})
  target_link_libraries(${name}-shared PRIVATE ${arg_LIBS})
  set_target_properties(${name}-shared PROPERTIES OUTPUT_NAME ${name} VERSION ${PROJECT_VERSION}
                        SOVERSION ${arg_SOVERSION} LINK_DEPENDS ${map})
  target_link_options(${name}-shared PRIVATE -Wl,--version-script=${map})

  file(RELATIVE_PATH KOS_PC_PREFIX "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
  configure_file(${arg_PC_IN} ${CMAKE_CURRENT_BINARY_DIR}/${name}.pc @ONLY)

  install(TARGETS ${name}-shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(FILES ${arg_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/kos)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${name}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

  add_test(NAME ${name}/exports
           COMMAND ${CMAKE_COMMAND} -DLIBRARY=$<TARGET_FILE:${name}-shared> -DNM=${CMAKE_NM}
                   -DPREFIX=${arg_EXPORT_PREFIX} -DMAP=${map} -P ${KOS_CHECK_EXPORTS_SCRIPT})
endfunction()

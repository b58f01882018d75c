# SPDX-License-Identifier: Apache-2.0
#
# cmake -DLIBRARY=SO -DNM=nm -DPREFIX=kos_msg_ -DMAP=FILE -P KosCheckExports.cmake
# Fails unless every dynamic symbol SO defines begins with PREFIX, apart from the version
# nodes MAP names (e.g. KOS_MSG_0), and at least one does.
cmake_policy(SET CMP0057 NEW)
execute_process(COMMAND ${NM} -D --defined-only ${LIBRARY}
                OUTPUT_VARIABLE symbols RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${NM} -D --defined-only ${LIBRARY} failed")
endif()
file(STRINGS ${MAP} map_lines REGEX "^[A-Za-z_][A-Za-z0-9_]*[ \t]*{")
set(version_nodes)
foreach(line IN LISTS map_lines)
  string(REGEX REPLACE "^([A-Za-z0-9_]+).*" "\\1" node "${line}")
  list(APPEND version_nodes ${node})
endforeach()

string(REPLACE "\n" ";" lines "${symbols}")
set(exported 0)
set(stray)
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  # "ADDRESS TYPE NAME[@VERSION]"
  string(REGEX REPLACE "^.* [A-Za-z] ([^@ ]+).*$" "\\1" symbol "${line}")
  if(symbol IN_LIST version_nodes)
    continue()
  endif()
  string(FIND "${symbol}" "${PREFIX}" at)
  if(at EQUAL 0)
    math(EXPR exported "${exported} + 1")
  else()
    list(APPEND stray ${symbol})
  endif()
endforeach()
if(stray)
  message(FATAL_ERROR "${LIBRARY} exports symbols beyond ${PREFIX}*: ${stray}")
endif()
if(exported EQUAL 0)
  message(FATAL_ERROR "${LIBRARY} exports nothing")
endif()
message(STATUS "${LIBRARY}: ${exported} symbols, all ${PREFIX}*")

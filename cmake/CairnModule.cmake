# cairn_module(NAME <name> SOURCES <files...> [DEPS <targets...>])
#
# Declares one composer module as an OBJECT library `cairn_<name>`; the
# top-level CMakeLists.txt gathers every module into the static `cairn_lib`.
# DEPS lists other modules (as cairn_<name>) and external imported targets.
function(cairn_module)
  cmake_parse_arguments(M "" "NAME" "SOURCES;DEPS" ${ARGN})
  set(target cairn_${M_NAME})
  if(NOT M_SOURCES)
    # A module with no sources yet: an interface target keeps dependents linking.
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${CMAKE_SOURCE_DIR}/include)
    target_link_libraries(${target} INTERFACE ${M_DEPS})
    return()
  endif()
  add_library(${target} OBJECT ${M_SOURCES})
  target_include_directories(${target} PUBLIC ${CMAKE_SOURCE_DIR}/include
                                        PRIVATE ${CMAKE_SOURCE_DIR}/composer)
  target_link_libraries(${target} PUBLIC ${M_DEPS})
  set_property(GLOBAL APPEND PROPERTY CAIRN_MODULE_TARGETS ${target})
endfunction()

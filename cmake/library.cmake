# One static library per folder (DESIGN.md §2): its sources, the libraries it builds on
# (PUBLIC, so users of it get them too) and the project's warnings. Headers are included as
# "folder/name.hpp" from the source root, or <schedcheck/folder/name.hpp> from an install.
function(schedcheck_library name)
  cmake_parse_arguments(arg "" "" "SOURCES;DEPENDS" ${ARGN})
  add_library(${name} STATIC ${arg_SOURCES})
  target_include_directories(${name} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
                                            $<INSTALL_INTERFACE:${SCHEDCHECK_INSTALL_INCLUDEDIR}>)
  target_link_libraries(${name} PUBLIC ${arg_DEPENDS} PRIVATE $<BUILD_INTERFACE:schedcheck_warnings>)
endfunction()

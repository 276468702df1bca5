# `cmake --install`: the binary (cli/), the docs, the corpus where the installed binary finds
# it (share/schedcheck/reports), and the CMake package `schedcheck` exporting the libraries of
# the embedding API (docs/library.md) with their headers.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/reports/ DESTINATION ${CMAKE_INSTALL_DATADIR}/schedcheck/reports)

set(exported scenario executor model driver bridge sim api)
foreach(lib IN LISTS exported)
  set_target_properties(schedcheck_${lib} PROPERTIES EXPORT_NAME ${lib})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${lib}/ DESTINATION ${SCHEDCHECK_INSTALL_INCLUDEDIR}/${lib}
          FILES_MATCHING PATTERN "*.hpp" PATTERN "plugin" EXCLUDE)
endforeach()
list(TRANSFORM exported PREPEND schedcheck_)
install(TARGETS ${exported} EXPORT schedcheckTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
set(package_dir ${CMAKE_INSTALL_LIBDIR}/cmake/schedcheck)
install(EXPORT schedcheckTargets NAMESPACE schedcheck:: DESTINATION ${package_dir})

include(CMakePackageConfigHelpers)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/schedcheckConfig.cmake.in
  ${PROJECT_BINARY_DIR}/schedcheckConfig.cmake INSTALL_DESTINATION ${package_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/schedcheckConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/schedcheckConfig.cmake
              ${PROJECT_BINARY_DIR}/schedcheckConfigVersion.cmake
        DESTINATION ${package_dir})

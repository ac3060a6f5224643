# fmt-style packaging: headers, the library, an exported ringleaderConfig.cmake with a version file
# (find_package(ringleader) gives ringleader::core and ringleader::placement), and ringleader.pc for
# pkg-config users.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ringleader DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS ringleader_core ringleader_placement EXPORT ringleaderTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT ringleaderTargets NAMESPACE ringleader::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ringleader)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ringleaderConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ringleaderConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ringleader)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ringleaderConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ringleaderConfig.cmake ${PROJECT_BINARY_DIR}/ringleaderConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ringleader)

# The .pc names its prefix relative to its own folder (CPack installs under another prefix).
file(RELATIVE_PATH RINGLEADER_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" RINGLEADER_PC_TO_PREFIX "${RINGLEADER_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/ringleader.pc.in ${PROJECT_BINARY_DIR}/ringleader.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ringleader.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(RINGLEADER_TOOLS)
  install(TARGETS ringleader RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

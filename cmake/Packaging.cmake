# `make package`: a Debian package of this build with CPack's DEB generator (packaging/ holds the
# files that are not built: the systemd unit, the default config, the logrotate rule and the
# maintainer scripts).
#
# The package holds what `cmake --install` installs (the `ringleader` command, the library's headers,
# static library, CMake package and ringleader.pc) under /usr, plus the component `system`, which
# only the package installs: the files under /etc and /lib/systemd, and the Python module in Debian's
# /usr/lib/python3/dist-packages (`cmake --install --component python` uses the interpreter's own
# site-packages instead, so that component is left out of the package).
#
# CPACK_SET_DESTDIR: the install runs with prefix /usr under DESTDIR, whatever prefix the build was
# configured with, so the absolute /etc and /lib paths land in the package and not on this machine.
set(packaging ${PROJECT_SOURCE_DIR}/packaging)

install(FILES ${packaging}/ringleader.yml DESTINATION /etc/ringleader COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${packaging}/ringleader.logrotate DESTINATION /etc/logrotate.d RENAME ringleader
        COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${packaging}/ringleader.service DESTINATION /lib/systemd/system COMPONENT system EXCLUDE_FROM_ALL)
if(TARGET ringleader_python)
  set(dist_packages lib/python3/dist-packages/ringleader)
  install(TARGETS ringleader_python LIBRARY DESTINATION ${dist_packages} COMPONENT system EXCLUDE_FROM_ALL)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/python/ringleader/ DESTINATION ${dist_packages}
          COMPONENT system EXCLUDE_FROM_ALL FILES_MATCHING PATTERN "*.py" PATTERN "*.pyi" PATTERN "py.typed")
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ringleader)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "ringleader maintainers <maintainers@ringleader.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "consistent hashing library and memcached/Redis proxy (twemproxy drop-in)")
# CPack puts the summary first; this is the long description under it.
set(CPACK_PACKAGE_DESCRIPTION
  "ringleader serve reads twemproxy's nutcracker.yml as-is and places every key where nutcracker does. \
The package installs it as a systemd service (ringleader.service) and as the alternative /usr/bin/nutcracker, \
with the C++ library (headers, CMake package, pkg-config) and the Python module.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # ringleader_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)   # Depends on the shared libraries the binaries link
set(depends "adduser")
if(TARGET ringleader_python)
  # The module is built for one Python minor version (its ABI tag is in the file name).
  string(REPLACE "." ";" version ${RINGLEADER_PYTHON_VERSION})
  list(GET version 0 major)
  list(GET version 1 minor)
  math(EXPR next "${minor} + 1")
  string(APPEND depends ", python3 (>= ${major}.${minor}), python3 (<< ${major}.${next})")
  set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3-numpy")
endif()
set(CPACK_DEBIAN_PACKAGE_DEPENDS ${depends})
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "memcached | redis-server, logrotate")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${packaging}/debian/postinst ${packaging}/debian/prerm ${packaging}/debian/postrm ${packaging}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL Unspecified system)
include(CPack)

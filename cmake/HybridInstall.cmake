# `find_package(hybrid)` support: the public API's headers (server.h, handler.h, the generated
# version.h) under include/hybrid, static libraries, an exported target set (hybrid::hybrid plus
# one target per layer), and the binaries hybridd and hybrid_example_service. The other headers
# are the library's internals: a service includes only hybrid/server/server.h.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS hybrid_http hybrid_reactor hybrid_pool hybrid_tls hybrid_server hybrid
        EXPORT hybridTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS hybridd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/hybrid/server/server.h
              ${PROJECT_SOURCE_DIR}/hybrid/server/handler.h
              ${PROJECT_SOURCE_DIR}/hybrid/server/server_stats.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hybrid/server)
install(FILES ${PROJECT_BINARY_DIR}/generated/hybrid/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hybrid)
install(EXPORT hybridTargets NAMESPACE hybrid:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hybrid)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/hybridConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/hybridConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hybrid)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hybridConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/hybridConfig.cmake
              ${PROJECT_BINARY_DIR}/hybridConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/FindLibmagic.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hybrid)

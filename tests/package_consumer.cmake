# Run by ctest: install the build tree into WORK_DIR/prefix, check that only the public API's
# headers were installed, build examples/embed and examples/service against the prefix with
# find_package(hybrid), then run that service briefly (tests/package_service_check.sh).
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix
                RESULT_VARIABLE result)
if(result)
  message(FATAL_ERROR "install failed: ${result}")
endif()

file(GLOB_RECURSE headers RELATIVE ${WORK_DIR}/prefix/include ${WORK_DIR}/prefix/include/*)
list(SORT headers)
set(public_api hybrid/server/handler.h hybrid/server/server.h hybrid/server/server_stats.h
               hybrid/version.h)
if(NOT headers STREQUAL public_api)
  message(FATAL_ERROR "installed headers: '${headers}'; expected the public API: '${public_api}'")
endif()
foreach(binary hybridd hybrid_example_service)
  if(NOT EXISTS ${WORK_DIR}/prefix/bin/${binary})
    message(FATAL_ERROR "${binary} was not installed")
  endif()
endforeach()

foreach(example embed service)
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/${example}
                          -B ${WORK_DIR}/${example}-build -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix
                          -DCMAKE_CXX_COMPILER=${CXX_COMPILER} "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
                  RESULT_VARIABLE result)
  if(result)
    message(FATAL_ERROR "configuring examples/${example} against the package failed: ${result}")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/${example}-build
                  RESULT_VARIABLE result)
  if(result)
    message(FATAL_ERROR "building examples/${example} against the package failed: ${result}")
  endif()
endforeach()
if(NOT EXISTS ${WORK_DIR}/embed-build/embed_example)
  message(FATAL_ERROR "no embed_example binary was produced")
endif()

file(MAKE_DIRECTORY ${WORK_DIR}/root)
execute_process(COMMAND sh ${SOURCE_DIR}/tests/package_service_check.sh
                        ${WORK_DIR}/service-build/hybrid_example_service ${WORK_DIR}/root
                        ${WORK_DIR}/service-output.txt
                RESULT_VARIABLE result)
if(result)
  message(FATAL_ERROR "running the service built against the package failed: ${result}")
endif()

# Builds and runs the consumer program; fails unless it prints a node name of the membership (it
# exits 1 if ringleader::placement and ringleader::core disagree on where the key goes).
file(REMOVE_RECURSE ${WORK})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGN}\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK}/prefix --component Unspecified)
  run(${CMAKE_COMMAND} -S ${PROGRAM} -B ${WORK}/build -DCMAKE_PREFIX_PATH=${WORK}/prefix
      "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}")
  file(GLOB_RECURSE pc ${WORK}/prefix/ringleader.pc)
  if(NOT pc)
    message(FATAL_ERROR "ringleader.pc was not installed")
  endif()
else()
  run(${CMAKE_COMMAND} -S ${PROGRAM} -B ${WORK}/build -DRINGLEADER_SOURCE=${SOURCE_DIR}
      "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}")
endif()
run(${CMAKE_COMMAND} --build ${WORK}/build --parallel 2)
run(${WORK}/build/consumer)
if(NOT out MATCHES "^node-[0-2]\n$")
  message(FATAL_ERROR "consumer printed '${out}', expected a node name")
endif()

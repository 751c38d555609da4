# Compiles SOURCE twice: with -DIMGSTORE_SCHEME=<GOOD> it must compile (so that nothing else is
# wrong), with -DIMGSTORE_SCHEME=<BAD> it must fail with an error that mentions EXPECT.
# -D CXX=<compiler> -D INCLUDES=<dir;dir> -D SOURCE=<file> -D GOOD=<scheme> -D BAD=<scheme>
# -D EXPECT=<regex>
set(flags -std=c++20 -fsyntax-only)
foreach(dir IN LISTS INCLUDES)
    list(APPEND flags -I${dir})
endforeach()
execute_process(COMMAND ${CXX} ${flags} "-DIMGSTORE_SCHEME=\"${GOOD}\"" ${SOURCE}
    RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${SOURCE} does not compile with the scheme '${GOOD}':\n${err}")
endif()
execute_process(COMMAND ${CXX} ${flags} "-DIMGSTORE_SCHEME=\"${BAD}\"" ${SOURCE}
    RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0)
    message(FATAL_ERROR "${SOURCE} compiles with the scheme '${BAD}', which is not in the table")
endif()
if(NOT err MATCHES "${EXPECT}")
    message(FATAL_ERROR "${SOURCE} fails with '${BAD}' for another reason:\n${err}")
endif()
message(STATUS "'${BAD}' refused at compile time")

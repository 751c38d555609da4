# Checks that discarding the result of each fallible public call draws the compiler's
# [[nodiscard]] warning (tests/api/discard_results.cpp), in two front-end runs: every result
# used (must compile with no warning, so that nothing else is wrong), every result discarded
# (each IMGSTORE_CASE line must have its warning).
# -D CXX=<compiler> -D INCLUDE=<include dir> -D SOURCE=<discard_results.cpp>
file(STRINGS ${SOURCE} lines)
set(line_number 0)
set(case_lines "")
foreach(line IN LISTS lines)
    math(EXPR line_number "${line_number} + 1")
    if(line MATCHES "^ *IMGSTORE_CASE\\(")
        list(APPEND case_lines ${line_number})
    endif()
endforeach()
list(LENGTH case_lines count)
if(count EQUAL 0)
    message(FATAL_ERROR "no IMGSTORE_CASE line in ${SOURCE}")
endif()

set(flags -std=c++20 -fsyntax-only -Wunused-result -I${INCLUDE})
execute_process(COMMAND ${CXX} ${flags} -Werror -DIMGSTORE_DISCARD=0 ${SOURCE}
    RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "discard_results.cpp does not compile cleanly with every result used:\n${err}")
endif()
execute_process(COMMAND ${CXX} ${flags} -DIMGSTORE_DISCARD=1 ${SOURCE}
    RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "discard_results.cpp does not compile with every result discarded:\n${err}")
endif()
foreach(at IN LISTS case_lines)
    if(NOT err MATCHES "discard_results\\.cpp:${at}:[0-9]+: warning: [^\n]*nodiscard")
        message(SEND_ERROR "discard_results.cpp:${at}: discarding the result draws no [[nodiscard]] warning")
    endif()
endforeach()
message(STATUS "${count} discarded results warned about")

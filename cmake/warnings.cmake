# Warning flags live in an INTERFACE target linked as $<BUILD_INTERFACE:...>: it is never
# exported, so install(EXPORT) does not need it and consumers never inherit our flags.
add_library(imgstore_warnings INTERFACE)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(imgstore_warnings INTERFACE
        -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
        -Wold-style-cast -Woverloaded-virtual
        # Designated initialisers that omit defaulted members are the point of option tables.
        -Wno-missing-field-initializers)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
        # GCC 12 at -O3 reports impossible overlaps for `"literal" + std::string`
        # (GCC bug 105329, fixed in GCC 13): a false positive in libstdc++, not our code.
        target_compile_options(imgstore_warnings INTERFACE -Wno-restrict)
    endif()
    if(IMGSTORE_WERROR)
        target_compile_options(imgstore_warnings INTERFACE -Werror)
    endif()
endif()

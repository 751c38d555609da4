# Warning flags live in an INTERFACE target linked as $<BUILD_INTERFACE:...>: it is never
# exported, so install(EXPORT) does not need it and consumers never inherit our flags.
add_library(imgstore_warnings INTERFACE)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(imgstore_warnings INTERFACE
        -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
        -Wold-style-cast -Woverloaded-virtual
        # Designated initialisers that omit defaulted members are the point of option tables.
        -Wno-missing-field-initializers)
    if(IMGSTORE_WERROR)
        target_compile_options(imgstore_warnings INTERFACE -Werror)
    endif()
endif()

# Finds SOCI 4.0 as Debian's libsoci-dev ships it (headers and libraries, no CMake package
# config) and defines imported targets:
#   SOCI::core        soci_core and its headers
#   SOCI::sqlite3     soci_sqlite3 (+ SQLite3)
#   SOCI::postgresql  soci_postgresql (+ libpq headers, which the backend's header includes)
#   SOCI::mysql       soci_mysql (+ the MariaDB client headers, mysql.h)
# Result variables: SOCI_FOUND, SOCI_INCLUDE_DIR, SOCI_VERSION. COMPONENTS sqlite3 postgresql
# mysql select the backends that must be present (SOCI_<backend>_FOUND each).
include(FindPackageHandleStandardArgs)

find_path(SOCI_INCLUDE_DIR NAMES soci/soci.h)
find_library(SOCI_core_LIBRARY NAMES soci_core)
if(SOCI_INCLUDE_DIR AND EXISTS "${SOCI_INCLUDE_DIR}/soci/version.h")
    file(STRINGS "${SOCI_INCLUDE_DIR}/soci/version.h" soci_version_line
         REGEX "^#define SOCI_LIB_VERSION \"[0-9_]+\"")
    if(soci_version_line MATCHES "\"([0-9]+)_([0-9]+)(_([0-9]+))?\"")
        set(SOCI_VERSION "${CMAKE_MATCH_1}.${CMAKE_MATCH_2}")
        if(CMAKE_MATCH_4)
            string(APPEND SOCI_VERSION ".${CMAKE_MATCH_4}")
        endif()
    endif()
endif()

# Each backend: its library and the client headers its SOCI header includes.
find_library(SOCI_sqlite3_LIBRARY NAMES soci_sqlite3)
find_package(SQLite3 QUIET)
if(SOCI_sqlite3_LIBRARY AND SQLite3_FOUND)
    set(SOCI_sqlite3_FOUND TRUE)
endif()

find_library(SOCI_postgresql_LIBRARY NAMES soci_postgresql)
find_path(SOCI_libpq_INCLUDE_DIR NAMES libpq-fe.h PATH_SUFFIXES postgresql)
if(SOCI_postgresql_LIBRARY AND SOCI_libpq_INCLUDE_DIR)
    set(SOCI_postgresql_FOUND TRUE)
endif()

find_library(SOCI_mysql_LIBRARY NAMES soci_mysql)
find_path(SOCI_mysqlclient_INCLUDE_DIR NAMES mysql.h PATH_SUFFIXES mariadb mysql)
if(SOCI_mysql_LIBRARY AND SOCI_mysqlclient_INCLUDE_DIR)
    set(SOCI_mysql_FOUND TRUE)
endif()

find_package_handle_standard_args(SOCI
    REQUIRED_VARS SOCI_core_LIBRARY SOCI_INCLUDE_DIR
    VERSION_VAR SOCI_VERSION
    HANDLE_COMPONENTS)

if(SOCI_FOUND AND NOT TARGET SOCI::core)
    add_library(SOCI::core UNKNOWN IMPORTED)
    set_target_properties(SOCI::core PROPERTIES
        IMPORTED_LOCATION "${SOCI_core_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${SOCI_INCLUDE_DIR}"
        INTERFACE_LINK_LIBRARIES "${CMAKE_DL_LIBS}")
    if(SOCI_sqlite3_FOUND)
        add_library(SOCI::sqlite3 UNKNOWN IMPORTED)
        set_target_properties(SOCI::sqlite3 PROPERTIES
            IMPORTED_LOCATION "${SOCI_sqlite3_LIBRARY}"
            INTERFACE_LINK_LIBRARIES "SOCI::core;SQLite::SQLite3")
    endif()
    if(SOCI_postgresql_FOUND)
        add_library(SOCI::postgresql UNKNOWN IMPORTED)
        set_target_properties(SOCI::postgresql PROPERTIES
            IMPORTED_LOCATION "${SOCI_postgresql_LIBRARY}"
            INTERFACE_INCLUDE_DIRECTORIES "${SOCI_libpq_INCLUDE_DIR}"
            INTERFACE_LINK_LIBRARIES "SOCI::core")
    endif()
    if(SOCI_mysql_FOUND)
        add_library(SOCI::mysql UNKNOWN IMPORTED)
        set_target_properties(SOCI::mysql PROPERTIES
            IMPORTED_LOCATION "${SOCI_mysql_LIBRARY}"
            INTERFACE_INCLUDE_DIRECTORIES "${SOCI_mysqlclient_INCLUDE_DIR}"
            INTERFACE_LINK_LIBRARIES "SOCI::core")
    endif()
endif()

mark_as_advanced(SOCI_INCLUDE_DIR SOCI_core_LIBRARY SOCI_sqlite3_LIBRARY SOCI_postgresql_LIBRARY
    SOCI_mysql_LIBRARY SOCI_libpq_INCLUDE_DIR SOCI_mysqlclient_INCLUDE_DIR)

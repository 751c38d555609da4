// Umbrella header of imgstore::glance_db, the Glance database layer (a separate library, so the
// imgstore core keeps no database dependency).
#pragma once

#include "imgstore/glance_db/connection.hpp"
#include "imgstore/glance_db/crypt.hpp"
#include "imgstore/glance_db/database.hpp"
#include "imgstore/glance_db/error.hpp"
#include "imgstore/glance_db/images.hpp"
#include "imgstore/glance_db/meta_data.hpp"

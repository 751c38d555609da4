// Umbrella header of imgstore::data, the store data plane (glance_store's get, add and delete):
// link `imgstore::data`. The core library (imgstore::imgstore) links no HTTP or crypto code.
#pragma once

#include "imgstore/data/backend.hpp"
#include "imgstore/data/data_plane.hpp"
#include "imgstore/data/error.hpp"
#include "imgstore/data/hashing.hpp"

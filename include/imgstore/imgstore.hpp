// Umbrella header: the whole public API of imgstore.
#pragma once

#include "imgstore/config.hpp"
#include "imgstore/diagnostic.hpp"
#include "imgstore/error.hpp"
#include "imgstore/location.hpp"
#include "imgstore/reason.hpp"
#include "imgstore/registry.hpp"
#include "imgstore/reload.hpp"
#include "imgstore/resolver.hpp"
#include "imgstore/secret.hpp"
#include "imgstore/stamp.hpp"
#include "imgstore/store.hpp"
#include "imgstore/store_option.hpp"

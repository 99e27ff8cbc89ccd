#pragma once
/// @brief The one explicit list of source adapters compiled into Veikart.

#include "gateway/core/adapter.hpp"

namespace veikart::adapters {

/// Registers every adapter type with the registry. Adding an adapter = one line in registry.cpp.
void register_all(AdapterRegistry& registry);

}  // namespace veikart::adapters

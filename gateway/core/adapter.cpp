#include "gateway/core/adapter.hpp"

namespace veikart {

std::filesystem::path SourceConfig::resolve(const std::string& path) const {
  std::filesystem::path p(path);
  if (p.is_absolute() || base_dir.empty()) return p;
  return (base_dir / p).lexically_normal();
}

Json issues_to_json(const std::vector<Issue>& issues, std::string_view key) {
  Json a = Json::array();
  for (const auto& i : issues) a.push_back({{std::string(key), i.where}, {"reason", i.reason}});
  return a;
}

boost::asio::awaitable<Expected<Batch>> BlockingSourceAdapter::pull(PullContext& ctx) { co_return read(ctx); }

void AdapterRegistry::add(AdapterType type) {
  std::string name = type.type;
  types_.insert_or_assign(std::move(name), std::move(type));
}

const AdapterType* AdapterRegistry::find(std::string_view type) const {
  const auto it = types_.find(type);
  return it == types_.end() ? nullptr : &it->second;
}

std::vector<std::string> AdapterRegistry::types() const {
  std::vector<std::string> names;
  for (const auto& [name, _] : types_) names.push_back(name);
  return names;
}

}  // namespace veikart

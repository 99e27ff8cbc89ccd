#include "adapters/ks_schedules/ks_schedules_adapter.hpp"

#include "gateway/core/json_guard.hpp"
#include "gateway/core/text.hpp"

namespace veikart::adapters::ks_schedules {
namespace {

// Schedules only arrive pushed: a scheduled read has nothing to fetch and withdraws nothing.
class PushOnly final : public BlockingSourceAdapter {
 public:
  Expected<Batch> read(PullContext&) override {
    Batch b;
    b.snapshot = false;
    return b;
  }
};

}  // namespace

Expected<Batch> KsSchedulesParser::parse(std::string_view body, std::string_view media_type, const Reference&) {
  const std::string type = ascii_lower(trim(media_type.substr(0, media_type.find(';'))));
  if (type != "application/json") {
    return Error{"expected Content-Type application/json, got '" + std::string(media_type) + "'", 415};
  }
  auto doc = parse_untrusted_json(body);
  if (!doc) return doc.error();
  if (!doc->is_object() || !doc->contains("items") || !(*doc)["items"].is_array()) {
    return Error{"expected an object {\"items\": [...]} with the schedule's roadmap items", 400};
  }
  for (const auto& [key, _] : doc->items()) {
    if (key != "items") return Error{"unknown member '" + key + "' (expected only \"items\")", 400};
  }
  Batch batch;
  batch.snapshot = false;
  Json& items = (*doc)["items"];
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string where = "/items/" + std::to_string(i);
    Json& item = items[i];
    if (!item.is_object()) {
      batch.rejected.push_back({where, "expected an object with the item's fields"});
      continue;
    }
    if (!item.contains("id") || !item["id"].is_string() || item["id"].get<std::string>().empty()) {
      batch.rejected.push_back({where + "/id", "every item needs its canonical id (e.g. \"ks:digihelse\")"});
      continue;
    }
    const std::string id = item["id"].get<std::string>();
    std::string owned;
    for (const char* key : {"provenance", "conflicts", "version", "updated_at", "deleted"}) {
      if (item.contains(key)) owned += std::string(owned.empty() ? "" : ", ") + key;
    }
    if (!owned.empty()) {
      batch.rejected.push_back({where, "set by the gateway, not by a push: " + owned, id});
      continue;
    }
    item.erase("id");
    batch.fragments.push_back({id, id, where, std::move(item), ""});
  }
  return batch;
}

Expected<std::unique_ptr<SourceAdapter>> make_ks_schedules_adapter(const SourceConfig&) {
  return std::unique_ptr<SourceAdapter>(std::make_unique<PushOnly>());
}

Expected<std::unique_ptr<PayloadParser>> make_ks_schedules_parser(const SourceConfig&) {
  return std::unique_ptr<PayloadParser>(std::make_unique<KsSchedulesParser>());
}

}  // namespace veikart::adapters::ks_schedules

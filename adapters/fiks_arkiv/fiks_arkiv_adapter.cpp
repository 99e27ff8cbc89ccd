#include "adapters/fiks_arkiv/fiks_arkiv_adapter.hpp"

#include "adapters/common/files.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <vector>

#include "gateway/core/text.hpp"

namespace veikart::adapters::fiks_arkiv {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

/// Adds a message's result to the batch; its fragments go to the sink instead when there is one.
void add(Batch& batch, MessageResult&& result, FragmentSink* sink = nullptr) {
  if (sink != nullptr) {
    for (auto& f : result.fragments) (*sink)(std::move(f));
  } else {
    std::move(result.fragments.begin(), result.fragments.end(), std::back_inserter(batch.fragments));
  }
  std::move(result.warnings.begin(), result.warnings.end(), std::back_inserter(batch.warnings));
  if (result.rejected) batch.rejected.push_back(std::move(*result.rejected));
}

}  // namespace

Expected<FiksArkivOptions> parse_options(const SourceConfig& config) {
  const std::string who = "source '" + config.name + "': ";
  const Json& s = config.settings;
  if (!s.is_object()) return Error{who + "the settings are not an object"};
  FiksArkivOptions o;
  o.message.source_name = config.name;

  if (s.contains("path")) {
    if (!s["path"].is_string()) return Error{who + "path must be a folder name"};
    o.path = config.resolve(s["path"].get<std::string>());
  }
  if (!s.contains("schema_dir") || !s["schema_dir"].is_string()) {
    return Error{who + "schema_dir is required (the folder of the Fiks Arkiv V1 XSDs)"};
  }
  auto schemas = SchemaSet::open(config.resolve(s["schema_dir"].get<std::string>()));
  if (!schemas) return Error{who + schemas.error().message};
  o.schemas = std::move(*schemas);
  o.message.schemas = o.schemas.get();

  const Json mode = s.value("mode", Json("strict"));
  if (mode == "strict") {
    o.message.mode = Mode::strict;
  } else if (mode == "lenient") {
    o.message.mode = Mode::lenient;
  } else {
    return Error{who + "mode must be strict or lenient"};
  }
  const Json archive = s.value("archive_system", Json(config.name));
  if (!archive.is_string() || trim(archive.get<std::string>()).empty()) {
    return Error{who + "archive_system must be a non-empty name"};
  }
  o.message.archive_system = std::string(trim(archive.get<std::string>()));
  if (s.contains("max_bytes")) {
    const Json& m = s["max_bytes"];
    if (!m.is_number_integer() || m.get<long long>() < 1) return Error{who + "max_bytes must be a positive integer"};
    o.message.max_bytes = static_cast<std::size_t>(m.get<long long>());
  }
  return o;
}

Expected<Batch> FiksArkivAdapter::read(PullContext& ctx) {
  std::vector<fs::path> inputs = ctx.paths;
  if (inputs.empty()) {
    if (!options_.path) return Error{"no path configured: this source only accepts pushed messages"};
    inputs.push_back(*options_.path);
  }
  // An empty drop folder is a quiet inbox, not an error.
  auto listed = list_input_files(
      inputs, [](const fs::path& f) { return lower(f.extension().string()) == ".xml"; }, "");
  if (!listed) return listed.error();
  const std::vector<fs::path>& files = listed->files;

  Batch batch;
  batch.snapshot = true;
  std::string bytes;
  for (const auto& file : files) {
    const std::string name = file.filename().string();
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec) {
      batch.rejected.push_back({name, "cannot read: " + ec.message()});
      continue;
    }
    // Checked before reading so that an oversized file costs nothing.
    if (size > options_.message.max_bytes) {
      batch.rejected.push_back({name, "file is " + std::to_string(size) + " bytes; the limit (max_bytes) is " +
                                          std::to_string(options_.message.max_bytes)});
      continue;
    }
    std::ifstream in(file, std::ios::binary);
    bytes.resize(static_cast<std::size_t>(size));
    if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) {
      batch.rejected.push_back({name, "cannot read the file"});
      continue;
    }
    add(batch, read_message(bytes, options_.message, name), ctx.sink);
  }
  return batch;
}

bool is_xml_media_type(std::string_view media_type) {
  std::string type = lower(trim(media_type.substr(0, media_type.find(';'))));
  if (type == "application/xml" || type == "text/xml") return true;
  return type.starts_with("application/") && type.ends_with("+xml") && type.size() > 16;
}

Expected<Batch> FiksArkivParser::parse(std::string_view body, std::string_view media_type, const Reference&) {
  if (!is_xml_media_type(media_type)) {
    return Error{"media type '" + std::string(media_type.substr(0, 100)) +
                     "' is not accepted: send application/xml, text/xml or application/*+xml",
                 415};
  }
  Batch batch;
  batch.snapshot = false;  // one message is never the whole archive
  add(batch, read_message(body, options_.message, "message"));
  return batch;
}

Expected<std::unique_ptr<SourceAdapter>> make_fiks_arkiv_adapter(const SourceConfig& config) {
  auto options = parse_options(config);
  if (!options) return options.error();
  return std::unique_ptr<SourceAdapter>(std::make_unique<FiksArkivAdapter>(std::move(*options)));
}

Expected<std::unique_ptr<PayloadParser>> make_fiks_arkiv_parser(const SourceConfig& config) {
  auto options = parse_options(config);
  if (!options) return options.error();
  return std::unique_ptr<PayloadParser>(std::make_unique<FiksArkivParser>(std::move(*options)));
}

}  // namespace veikart::adapters::fiks_arkiv

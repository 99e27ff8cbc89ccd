#include "adapters/fiks_arkiv/fiks_arkiv_adapter.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <vector>

#include "adapters/common/files.hpp"
#include "adapters/common/ordered_parallel.hpp"
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

/// Messages read ahead of the one the batch waits for, per thread: enough to keep the threads busy while
/// the calling thread hands results on, few enough that a large folder is never held whole.
constexpr std::size_t window_per_thread = 4;

/// Reads one file of a folder and maps it; a file that cannot be read, or is over max_bytes, is rejected
/// unread by name. One open and fstat instead of a stat by name and a stream: the folder holds thousands.
MessageResult read_message_file(const fs::path& file, const MessageOptions& options) {
  const std::string name = file.filename().string();
  MessageResult result;
  auto reject = [&](std::string reason) {
    result.rejected = Issue{name, std::move(reason)};
    return std::move(result);
  };
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return reject("cannot read: " + std::error_code(errno, std::generic_category()).message());
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return reject("cannot read: " + std::error_code(errno, std::generic_category()).message());
  if (!S_ISREG(st.st_mode)) return reject("cannot read: not a regular file");
  const auto size = static_cast<std::size_t>(st.st_size);
  // Checked before reading so that an oversized file costs nothing.
  if (size > options.max_bytes) {
    return reject("file is " + std::to_string(size) + " bytes; the limit (max_bytes) is " +
                  std::to_string(options.max_bytes));
  }
  std::string bytes(size, '\0');
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = ::read(fd, bytes.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return reject("cannot read the file");
    done += static_cast<std::size_t>(n);
  }
  return read_message(bytes, options, name);
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
  const unsigned threads = worker_count(options_.threads, files.size());
  for_each_ordered<MessageResult>(
      files.size(), threads, window_per_thread * threads,
      [&](std::size_t i) { return read_message_file(files[i], options_.message); },
      [&](std::size_t, MessageResult&& result) { add(batch, std::move(result), ctx.sink); });
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

#include "gateway/config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "gateway/core/schema.hpp"
#include "gateway/core/text.hpp"
#include "veikart_embedded.hpp"

namespace veikart {
namespace {

Json scalar_to_json(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() != "?") return s;  // quoted or explicitly tagged: keep as written
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  {
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size()) return v;
  }
  {
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size() && s.find_first_of("0123456789") != std::string::npos) return v;
  }
  return s;
}

Json node_to_json(const YAML::Node& node, int depth) {
  if (depth > 64) throw std::runtime_error("configuration nested too deeply");
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return scalar_to_json(node);
    case YAML::NodeType::Sequence: {
      Json a = Json::array();
      for (const auto& e : node) a.push_back(node_to_json(e, depth + 1));
      return a;
    }
    case YAML::NodeType::Map: {
      Json o = Json::object();
      for (const auto& kv : node) o[kv.first.as<std::string>()] = node_to_json(kv.second, depth + 1);
      return o;
    }
  }
  return nullptr;
}

// "/sources/0/mapping/titel" → "sources[0].mapping.titel"
std::string key_path(std::string_view pointer, std::string_view prefix = "") {
  std::string out(prefix);
  std::size_t i = 0;
  while (i < pointer.size()) {
    if (pointer[i] == '/') ++i;
    const auto end = pointer.find('/', i);
    std::string part(pointer.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i));
    i = end == std::string_view::npos ? pointer.size() : end;
    const bool index = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
    if (index) {
      out += "[" + part + "]";
    } else if (!part.empty()) {
      if (!out.empty()) out += ".";
      out += part;
    }
  }
  return out;
}

std::optional<std::string> read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
  std::filesystem::path path(p);
  return (path.is_absolute() ? path : base / path).lexically_normal();
}

}  // namespace

const SourceEntry* GatewayConfig::source(std::string_view name) const {
  for (const auto& s : sources) {
    if (s.config.name == name) return &s;
  }
  return nullptr;
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  long long unit = 1;
  switch (text.back()) {
    case 's':
      unit = 1, text.remove_suffix(1);
      break;
    case 'm':
      unit = 60, text.remove_suffix(1);
      break;
    case 'h':
      unit = 3600, text.remove_suffix(1);
      break;
    case 'd':
      unit = 86400, text.remove_suffix(1);
      break;
    default:
      break;
  }
  long long v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 0 || v > 365LL * 86400) return std::nullopt;
  return std::chrono::seconds(v * unit);
}

bool parse_listen(std::string_view text, std::string& host, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const auto p = text.substr(colon + 1);
  unsigned v = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (ec != std::errc() || end != p.data() + p.size() || v > 65535 || h.empty()) return false;
  host = std::string(h);
  port = static_cast<std::uint16_t>(v);
  return true;
}

Expected<Json> yaml_to_json(const std::string& text) {
  try {
    return node_to_json(YAML::Load(text), 0);
  } catch (const YAML::Exception& e) {
    return Error{"YAML syntax error at line " + std::to_string(e.mark.line + 1) + ", column " +
                 std::to_string(e.mark.column + 1) + ": " + e.msg};
  } catch (const std::exception& e) {
    return Error{e.what()};
  }
}

ConfigResult load_config(const std::filesystem::path& file, const AdapterRegistry& registry) {
  ConfigResult result;
  const auto text = read_text(file);
  if (!text) {
    result.problems.push_back({file.string(), "cannot read the configuration file"});
    return result;
  }
  auto parsed = yaml_to_json(*text);
  if (!parsed) {
    result.problems.push_back({file.string(), parsed.error().message});
    return result;
  }
  Json doc = std::move(*parsed);
  if (doc.is_null()) doc = Json::object();

  static const JsonSchema top_schema(embedded::config_schema_json());
  for (const auto& issue : top_schema.validate(doc)) {
    result.problems.push_back({key_path(issue.where), issue.reason});
  }
  if (!doc.is_object()) return result;

  GatewayConfig cfg;
  cfg.file = file;
  cfg.base_dir = std::filesystem::absolute(file).parent_path();
  if (doc.contains("listen") && doc["listen"].is_string()) {
    const bool reported =
        std::any_of(result.problems.begin(), result.problems.end(), [](const Issue& i) { return i.where == "listen"; });
    if (!parse_listen(doc["listen"].get<std::string>(), cfg.listen_host, cfg.listen_port) && !reported) {
      result.problems.push_back({"listen", "expected host:port, got '" + doc["listen"].get<std::string>() + "'"});
    }
  }
  if (doc.contains("data_dir") && doc["data_dir"].is_string()) {
    cfg.data_dir = resolve(cfg.base_dir, doc["data_dir"].get<std::string>());
  } else {
    cfg.data_dir = cfg.base_dir / "data";
  }
  if (doc.contains("workers") && doc["workers"].is_number_integer()) cfg.worker_threads = doc["workers"].get<int>();
  if (doc.contains("reference") && doc["reference"].is_object()) {
    const Json& r = doc["reference"];
    if (r.contains("municipalities") && r["municipalities"].is_string())
      cfg.municipalities_file = resolve(cfg.base_dir, r["municipalities"].get<std::string>());
    if (r.contains("networks") && r["networks"].is_string())
      cfg.networks_file = resolve(cfg.base_dir, r["networks"].get<std::string>());
    if (r.contains("themes") && r["themes"].is_string())
      cfg.themes_file = resolve(cfg.base_dir, r["themes"].get<std::string>());
  }
  if (doc.contains("limits") && doc["limits"].is_object()) {
    const Json& l = doc["limits"];
    if (l.contains("max_body_bytes") && l["max_body_bytes"].is_number_integer())
      cfg.limits.max_body_bytes = l["max_body_bytes"].get<std::size_t>();
    if (l.contains("max_header_bytes") && l["max_header_bytes"].is_number_integer())
      cfg.limits.max_header_bytes = l["max_header_bytes"].get<std::size_t>();
    if (l.contains("max_connections") && l["max_connections"].is_number_integer())
      cfg.limits.max_connections = l["max_connections"].get<std::size_t>();
    if (l.contains("push_body_bytes") && l["push_body_bytes"].is_number_integer())
      cfg.limits.push_body_bytes = l["push_body_bytes"].get<std::size_t>();
    if (l.contains("rate") && l["rate"].is_object()) {
      cfg.limits.rate.per_second = l["rate"].value("per_second", 0.0);
      cfg.limits.rate.burst = l["rate"].value("burst", cfg.limits.rate.per_second);
    }
    if (l.contains("idle_timeout") && l["idle_timeout"].is_string()) {
      if (auto d = parse_duration(l["idle_timeout"].get<std::string>())) cfg.limits.idle_timeout = *d;
    }
    if (l.contains("request_timeout") && l["request_timeout"].is_string()) {
      if (auto d = parse_duration(l["request_timeout"].get<std::string>())) cfg.limits.request_timeout = *d;
    }
  }

  if (doc.contains("scheduler") && doc["scheduler"].is_object()) {
    const Json& sc = doc["scheduler"];
    auto ms = [&](const char* key, std::chrono::milliseconds& out) {
      if (sc.contains(key) && sc[key].is_string()) {
        if (auto d = parse_duration(sc[key].get<std::string>())) out = *d;
      }
    };
    if (sc.contains("retries") && sc["retries"].is_number_integer()) cfg.scheduler.retries = sc["retries"].get<int>();
    if (sc.contains("failure_threshold") && sc["failure_threshold"].is_number_integer()) {
      cfg.scheduler.failure_threshold = sc["failure_threshold"].get<int>();
    }
    ms("backoff", cfg.scheduler.backoff);
    ms("max_backoff", cfg.scheduler.max_backoff);
    ms("open_for", cfg.scheduler.open_for);
  }
  if (doc.contains("subscriptions") && doc["subscriptions"].is_object()) {
    const Json& sub = doc["subscriptions"];
    auto secs = [&](const char* key, std::chrono::seconds& out) {
      if (sub.contains(key) && sub[key].is_string()) {
        if (auto d = parse_duration(sub[key].get<std::string>())) out = *d;
      }
    };
    secs("timeout", cfg.webhooks.timeout);
    secs("max_retry_after", cfg.webhooks.max_retry_after);
    if (sub.contains("retry_schedule") && sub["retry_schedule"].is_array()) {
      cfg.webhooks.retry_schedule.clear();
      std::size_t i = 0;
      for (const auto& step : sub["retry_schedule"]) {
        auto d = step.is_string() ? parse_duration(step.get<std::string>()) : std::nullopt;
        if (!d) {
          result.problems.push_back({"subscriptions.retry_schedule[" + std::to_string(i) + "]",
                                     "expected a duration such as \"30s\", \"5m\" or \"2h\""});
        } else {
          cfg.webhooks.retry_schedule.push_back(*d);
        }
        ++i;
      }
    }
    if (sub.contains("allow_hosts") && sub["allow_hosts"].is_array()) {
      for (const auto& h : sub["allow_hosts"]) {
        if (h.is_string()) cfg.webhooks.allow_hosts.push_back(h.get<std::string>());
      }
    }
    if (sub.contains("max_per_client") && sub["max_per_client"].is_number_integer()) {
      cfg.webhooks.max_per_owner = sub["max_per_client"].get<int>();
    }
  }
  if (doc.contains("tls") && doc["tls"].is_object()) {
    const Json& t = doc["tls"];
    TlsSettings tls;
    tls.cert = resolve(cfg.base_dir, t.value("cert", ""));
    tls.key = resolve(cfg.base_dir, t.value("key", ""));
    tls.min_version = t.value("min_version", "1.2");
    cfg.tls = std::move(tls);
  }
  if (doc.contains("idempotency_retention") && doc["idempotency_retention"].is_string()) {
    if (auto d = parse_duration(doc["idempotency_retention"].get<std::string>())) cfg.idempotency_retention = *d;
  }
  if (doc.contains("audit_retention") && doc["audit_retention"].is_string()) {
    if (auto d = parse_duration(doc["audit_retention"].get<std::string>())) cfg.audit_retention = *d;
  }
  if (doc.value("feed_access", "public") == "readers") cfg.feed_access = GatewayConfig::FeedAccess::readers;
  if (doc.contains("clients") && doc["clients"].is_array()) {
    std::set<std::string> client_names;
    std::set<std::string> hashes;
    std::size_t index = 0;
    for (const auto& c : doc["clients"]) {
      const std::string prefix = "clients[" + std::to_string(index++) + "]";
      if (!c.is_object() || !c.contains("name") || !c["name"].is_string() || !c.contains("key_sha256") ||
          !c["key_sha256"].is_string()) {
        continue;  // reported by the schema
      }
      Client client;
      client.name = c["name"].get<std::string>();
      const std::string hex = c["key_sha256"].get<std::string>();
      auto hash = parse_sha256_hex(hex);
      if (!hash) continue;  // reported by the schema
      client.key_sha256 = *hash;
      if (!client_names.insert(client.name).second) {
        result.problems.push_back({prefix + ".name", "duplicate client name '" + client.name + "'"});
      }
      if (!hashes.insert(hex).second) {
        result.problems.push_back({prefix + ".key_sha256", "two clients share one key"});
      }
      for (const auto& r : c.value("roles", Json::array())) {
        if (auto role = r.is_string() ? role_from_name(r.get<std::string>()) : std::nullopt)
          client.roles.push_back(*role);
      }
      for (const auto& m : c.value("municipalities", Json::array())) {
        if (m.is_string()) client.municipalities.push_back(m.get<std::string>());
      }
      if (client.has(Role::inventory) && client.municipalities.empty()) {
        result.problems.push_back(
            {prefix + ".municipalities", "an inventory client needs the municipalities its cooperative serves"});
      }
      cfg.clients.push_back(std::move(client));
    }
  }

  std::set<std::string> names;
  if (doc.contains("sources") && doc["sources"].is_array()) {
    std::size_t index = 0;
    for (const auto& s : doc["sources"]) {
      const std::string prefix = "sources[" + std::to_string(index++) + "]";
      if (!s.is_object() || !s.contains("name") || !s["name"].is_string() || !s.contains("type") ||
          !s["type"].is_string()) {
        continue;  // already reported by the top-level schema
      }
      const std::string name = s["name"].get<std::string>();
      const std::string type = s["type"].get<std::string>();
      if (!names.insert(name).second) {
        result.problems.push_back({prefix + ".name", "duplicate source name '" + name + "'"});
      }
      const AdapterType* adapter = registry.find(type);
      if (adapter == nullptr) {
        std::string known;
        for (const auto& t : registry.types()) known += (known.empty() ? "" : ", ") + t;
        result.problems.push_back({prefix + ".type", "unknown adapter type '" + type + "' (known: " + known + ")"});
        continue;
      }
      const JsonSchema schema(adapter->config_schema);
      auto problems = schema.validate(s);
      for (const auto& issue : problems) result.problems.push_back({key_path(issue.where, prefix), issue.reason});
      if (!problems.empty()) continue;
      SourceEntry entry;
      entry.config = SourceConfig{name, type, s, cfg.base_dir};
      if (s.contains("interval") && s["interval"].is_string()) {
        if (auto d = parse_duration(s["interval"].get<std::string>()); d && d->count() > 0) {
          entry.interval = *d;
        } else {
          result.problems.push_back({prefix + ".interval", "expected a positive duration like 30s, 5m, 1h or 1d"});
        }
      }
      if (s.contains("precedence") && s["precedence"].is_number_integer())
        entry.precedence = s["precedence"].get<int>();
      // Let the adapter check what a schema cannot (files, combinations of keys).
      auto made = adapter->make(entry.config);
      if (!made) {
        result.problems.push_back({prefix, made.error().message});
        continue;
      }
      cfg.sources.push_back(std::move(entry));
    }
  }

  if (result.problems.empty()) result.config = std::move(cfg);
  return result;
}

Expected<Reference> load_reference(const GatewayConfig& config) {
  Reference ref;
  auto load = [](const std::optional<std::filesystem::path>& file, std::string_view builtin) -> Expected<std::string> {
    if (!file) return std::string(builtin);
    auto text = read_text(*file);
    if (!text) return Error{"cannot read reference file " + file->string()};
    return *text;
  };

  auto csv = load(config.municipalities_file, embedded::municipalities_2024_csv());
  if (!csv) return csv.error();
  {
    std::istringstream in(std::string(strip_utf8_bom(*csv)));
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line_no == 1 || trim(line).empty()) continue;  // header
      auto cells = split_list(line, ",");
      if (cells.size() < 3 || cells[0].size() != 4 || cells[2].size() != 2) {
        return Error{"municipalities file line " + std::to_string(line_no) +
                     ": expected kommunenummer,kommunenavn,fylkesnummer[,fylkesnavn]"};
      }
      ref.add_municipality({cells[0], cells[1], cells[2]});
    }
  }

  auto networks = load(config.networks_file, embedded::networks_yaml());
  if (!networks) return networks.error();
  auto nj = yaml_to_json(*networks);
  if (!nj) return Error{"networks: " + nj.error().message};
  try {
    for (const auto& n : nj->at("networks")) {
      Network net;
      net.id = n.at("id").get<std::string>();
      net.name = n.at("name").get<std::string>();
      for (const auto& c : n.value("counties", Json::array()))
        net.counties.push_back(c.is_string() ? c.get<std::string>() : c.dump());
      for (const auto& a : n.value("aliases", Json::array())) net.aliases.push_back(a.get<std::string>());
      ref.add_network(std::move(net));
    }
  } catch (const std::exception& e) {
    return Error{std::string("networks: expected networks: [{id, name, counties, aliases}]: ") + e.what()};
  }

  auto themes = load(config.themes_file, embedded::themes_yaml());
  if (!themes) return themes.error();
  auto tj = yaml_to_json(*themes);
  if (!tj) return Error{"themes: " + tj.error().message};
  try {
    for (const auto& t : tj->at("themes")) {
      Theme theme;
      theme.id = t.at("id").get<std::string>();
      theme.name = t.at("name").get<std::string>();
      for (const auto& a : t.value("aliases", Json::array())) theme.aliases.push_back(a.get<std::string>());
      ref.add_theme(std::move(theme));
    }
  } catch (const std::exception& e) {
    return Error{std::string("themes: expected themes: [{id, name, aliases}]: ") + e.what()};
  }
  return ref;
}

}  // namespace veikart

#include "adapters/noark5/noark5_adapter.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>

#include "adapters/common/archive.hpp"
#include "adapters/common/http_json.hpp"
#include "gateway/core/text.hpp"

namespace veikart::adapters::noark5 {
namespace {

// A field that may be a string or a number (saksaar arrives both ways), as text.
std::string text_of(const Json& o, const char* key) {
  if (!o.is_object() || !o.contains(key)) return {};
  const Json& v = o[key];
  if (v.is_string()) return std::string(trim(v.get<std::string>()));
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) return v.dump();
  return {};
}

bool rel_is(const std::string& rel, std::string_view suffix) {
  std::string r = rel;
  if (!r.empty() && r.back() != '/') r += '/';
  return r.size() >= suffix.size() && r.compare(r.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string link(const Json& object, std::string_view suffix) {
  for (const auto& [rel, href] : links_of(object)) {
    if (rel == suffix || rel_is(rel, suffix)) return href;
  }
  return {};
}

// A templated href ("…/saksmappe{?$filter,$top}") without its template part.
std::string untemplated(std::string href) {
  if (const auto brace = href.find('{'); brace != std::string::npos) href.erase(brace);
  return href;
}

struct KeyPair {
  std::string system;
  std::string id;
};

// referanseEksternNoekkel {fagsystem, noekkel} and eksternId {eksterntSystem, eksternID}, each an object or a list.
std::vector<KeyPair> reference_keys(const Json& c) {
  std::vector<KeyPair> out;
  auto each = [&](const char* key, const char* system, const char* id) {
    if (!c.contains(key)) return;
    const Json& v = c[key];
    const Json list = v.is_array() ? v : Json::array({v});
    for (const auto& e : list) {
      const std::string s = text_of(e, system);
      const std::string i = text_of(e, id);
      if (!i.empty()) out.push_back({s, i});
    }
  };
  each("referanseEksternNoekkel", "fagsystem", "noekkel");
  each("eksternId", "eksterntSystem", "eksternID");
  return out;
}

void add_id(Json& ids, const std::string& system, const std::string& id) {
  if (system.empty() || id.empty()) return;
  Json entry = {{"system", system}, {"id", id}};
  if (std::find(ids.begin(), ids.end(), entry) == ids.end()) ids.push_back(std::move(entry));
}

std::string slug(std::string_view s) {
  std::string out;
  for (char c : s) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += keep ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : '-';
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> links_of(const Json& object) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!object.is_object() || !object.contains("_links")) return out;
  const Json& links = object["_links"];
  auto href_of = [](const Json& v) {
    return v.is_object() && v.contains("href") && v["href"].is_string() ? v["href"].get<std::string>() : std::string();
  };
  if (links.is_object()) {
    for (const auto& [rel, value] : links.items()) {
      const Json list = value.is_array() ? value : Json::array({value});
      for (const auto& v : list)
        if (auto h = href_of(v); !h.empty()) out.emplace_back(rel, h);
    }
  } else if (links.is_array()) {
    for (const auto& v : links) {
      if (v.is_object() && v.contains("rel") && v["rel"].is_string())
        if (auto h = href_of(v); !h.empty()) out.emplace_back(v["rel"].get<std::string>(), h);
    }
  }
  return out;
}

bool map_case(const Json& c, const Noark5Options& options, const std::string& where, Batch& batch) {
  if (!c.is_object()) {
    batch.rejected.push_back({where, "a case file must be an object"});
    return true;
  }
  const std::string system_id = text_of(c, "systemID");
  const std::string mappe_id = text_of(c, "mappeID");
  const std::string number = case_number(text_of(c, "saksaar"), text_of(c, "sakssekvensnummer"));
  const std::string record = !system_id.empty() ? system_id : (!number.empty() ? number : mappe_id);
  std::string title = text_of(c, "tittel");
  if (title.empty()) title = text_of(c, "offentligTittel");
  if (record.empty()) {
    batch.rejected.push_back({where, "the case file has no systemID, saksaar/sakssekvensnummer or mappeID"});
    return true;
  }
  if (title.empty()) {
    batch.rejected.push_back({where, "the case file has no tittel", record});
    return true;
  }
  Json decision = {{"case_number", !number.empty() ? number : (!mappe_id.empty() ? mappe_id : system_id)},
                   {"title", title},
                   {"source", options.source_name}};
  const std::string raw_date = text_of(c, "saksdato").empty() ? text_of(c, "opprettetDato") : text_of(c, "saksdato");
  if (!raw_date.empty()) {
    if (auto d = iso_date(raw_date)) {
      decision["date"] = *d;
    } else {
      batch.warnings.push_back({where, "saksdato '" + raw_date.substr(0, 40) + "' is not a date; left out"});
    }
  }
  if (c.contains("saksstatus")) {
    const Json& s = c["saksstatus"];
    std::string kode = s.is_object() ? text_of(s, "kode") : text_of(c, "saksstatus");
    std::string name = s.is_object() ? text_of(s, "kodenavn") : std::string();
    if (name.empty()) name = case_status_description(kode).value_or(kode);
    if (!name.empty()) decision["status"] = name;
  }

  // The item: a configured link first, then a key in the case's reference fields that is a canonical id; other
  // keys and the case number go into external_ids, through which the pipeline resolves the item.
  std::string item;
  for (const std::string& key : {number, mappe_id, system_id}) {
    if (key.empty()) continue;
    if (auto it = options.links.find(key); it != options.links.end()) {
      item = it->second;
      break;
    }
  }
  const std::vector<KeyPair> keys = reference_keys(c);
  Json ids = Json::array();
  for (const auto& k : keys) {
    if (item.empty() && looks_canonical(k.id)) item = k.id;
    add_id(ids, k.system, k.id);
  }
  const bool linked = !item.empty() || !ids.empty();
  add_id(ids, options.archive_system, number);

  Fragment f;
  f.record = record;
  f.where = where;
  f.fields = {{"decisions", Json::array({decision})}, {"external_ids", ids}};
  if (linked) {
    f.id = !item.empty() ? item : options.source_name + ":" + slug(record);
    f.attach_only = true;
  } else if (options.unlinked_as_items) {
    f.id = options.source_name + ":" + slug(number.empty() ? record : number);
    f.fields["title"] = title;
    if (const std::string summary = text_of(c, "beskrivelse"); !summary.empty()) f.fields["summary"] = summary;
    for (const auto& [key, value] : options.unlinked_item.items()) f.fields[key] = value;
  } else {
    return false;
  }
  batch.fragments.push_back(std::move(f));
  return true;
}

namespace {

/// A secret from the settings: the value of `key`, or of the environment variable named by `key`_env.
Expected<std::string> secret(const Json& auth, const std::string& key, const std::string& who) {
  if (auth.contains(key) && auth[key].is_string() && !auth[key].get<std::string>().empty()) {
    return auth[key].get<std::string>();
  }
  const std::string env_key = key + "_env";
  if (auth.contains(env_key) && auth[env_key].is_string()) {
    const std::string env = auth[env_key].get<std::string>();
    const char* value = std::getenv(env.c_str());
    if (value == nullptr || *value == '\0') {
      return Error{who + "the environment variable " + env + " (auth." + env_key + ") is not set"};
    }
    return std::string(value);
  }
  return Error{who + "auth." + key + " or auth." + env_key + " is required"};
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

/// The Authorization header for `auth`: {type: basic, username, password | password_env} or
/// {type: bearer, token | token_env}.
Expected<std::string> authorization_of(const Json& auth, const std::string& who) {
  if (!auth.is_object() || !auth.contains("type") || !auth["type"].is_string()) {
    return Error{who + "auth needs a type: basic or bearer"};
  }
  const std::string type = auth["type"].get<std::string>();
  if (type == "basic") {
    if (!auth.contains("username") || !auth["username"].is_string() || auth["username"].get<std::string>().empty()) {
      return Error{who + "auth.username is required for basic authentication"};
    }
    const std::string username = auth["username"].get<std::string>();
    if (username.find(':') != std::string::npos) return Error{who + "auth.username cannot contain ':'"};
    auto password = secret(auth, "password", who);
    if (!password) return password.error();
    return "Basic " + base64(username + ":" + *password);
  }
  if (type == "bearer") {
    auto token = secret(auth, "token", who);
    if (!token) return token.error();
    return "Bearer " + *token;
  }
  return Error{who + "auth.type must be basic or bearer, not '" + type + "'"};
}

}  // namespace

Expected<Noark5Options> parse_options(const SourceConfig& config) {
  const std::string who = "source '" + config.name + "': ";
  const Json& s = config.settings;
  if (!s.is_object()) return Error{who + "the settings are not an object"};
  Noark5Options o;
  o.source_name = config.name;
  o.archive_system = config.name;
  if (!s.contains("url") || !s["url"].is_string()) return Error{who + "url (the API root) is required"};
  o.url = s["url"].get<std::string>();
  if (auto parsed = parse_url(o.url); !parsed) return Error{who + parsed.error().message};
  if (s.contains("filter")) o.filter = s["filter"].get<std::string>();
  const std::string unlinked = s.value("unlinked_cases", std::string("ignore"));
  if (unlinked != "ignore" && unlinked != "items") return Error{who + "unlinked_cases must be ignore or items"};
  o.unlinked_as_items = unlinked == "items";
  if (s.contains("archive_system")) o.archive_system = s["archive_system"].get<std::string>();
  if (s.contains("links")) {
    for (const auto& [key, value] : s["links"].items()) {
      if (!value.is_string() || !looks_canonical(value.get<std::string>())) {
        return Error{who + "links." + key + " must be a canonical item id such as ks:digihelse"};
      }
      o.links[key] = value.get<std::string>();
    }
  }
  o.unlinked_item = {{"kind", "local_project"},
                     {"status", "assessed"},
                     {"owner", {{"type", "municipality"}, {"id", config.name}, {"name", config.name}}}};
  if (s.contains("unlinked_item") && s["unlinked_item"].is_object()) {
    for (const auto& [key, value] : s["unlinked_item"].items()) o.unlinked_item[key] = value;
  }
  if (s.contains("page_size")) o.page_size = s["page_size"].get<int>();
  if (s.contains("max_pages")) o.max_pages = s["max_pages"].get<int>();
  if (o.page_size < 1 || o.max_pages < 1) return Error{who + "page_size and max_pages must be positive"};
  if (s.contains("auth")) {
    auto authorization = authorization_of(s["auth"], who);
    if (!authorization) return authorization.error();
    o.authorization = std::move(*authorization);
  }
  return o;
}

boost::asio::awaitable<Expected<Json>> Noark5Adapter::get(HttpFetcher& http, const std::string& url) {
  FetchRequest request;
  request.url = url;
  request.headers = {{"Accept", std::string(kMediaType)}};
  if (!options_.authorization.empty()) {
    // Credentials go only where the API root is; a service that links elsewhere gets a clear refusal.
    const auto root = parse_url(options_.url);
    const auto target = parse_url(url);
    if (!root || !target || root->origin() != target->origin()) {
      co_return Error{"the archive links to " + for_messages(url) + ", another host than " + options_.url +
                      "; credentials are sent only to the API root's host"};
    }
    request.headers.emplace_back("Authorization", options_.authorization);
  }
  auto response = co_await http.fetch(std::move(request));
  if (!response) co_return response.error();
  auto body = json_body(*response, url);
  if (!body) co_return body.error();
  if (!body->is_object()) co_return Error{"the answer from " + for_messages(url) + " is not a JSON object"};
  co_return std::move(*body);
}

// The case-file collection: linked from the root, or from the root's sakarkiv entry.
boost::asio::awaitable<Expected<std::string>> Noark5Adapter::find_case_files(HttpFetcher& http) {
  auto root = co_await get(http, options_.url);
  if (!root) co_return root.error();
  std::string href = link(*root, kSaksmappeRel);
  if (href.empty()) {
    const std::string sakarkiv = link(*root, "/sakarkiv/");
    if (!sakarkiv.empty()) {
      auto resolved = resolve_url(options_.url, untemplated(sakarkiv));
      if (!resolved) co_return resolved.error();
      auto entry = co_await get(http, *resolved);
      if (!entry) co_return entry.error();
      href = link(*entry, kSaksmappeRel);
      if (!href.empty()) {
        auto full = resolve_url(*resolved, untemplated(href));
        if (!full) co_return full.error();
        co_return *full;
      }
    }
    std::string offered;
    for (const auto& [rel, h] : links_of(*root)) offered += (offered.empty() ? "" : ", ") + rel;
    co_return Error{"no link to the case files (relation …/sakarkiv/saksmappe/) from " + for_messages(options_.url) +
                    (offered.empty() ? " (it has no _links)" : "; it offers " + offered.substr(0, 400))};
  }
  co_return resolve_url(options_.url, untemplated(href));
}

boost::asio::awaitable<Expected<Batch>> Noark5Adapter::pull(PullContext& ctx) {
  if (ctx.http == nullptr) co_return Error{"no HTTP client for this source (it can only be read by the gateway)"};
  auto list = co_await find_case_files(*ctx.http);
  if (!list) co_return list.error();
  std::string base = *list;
  if (!options_.filter.empty()) base = with_query(base, "$filter", options_.filter);
  std::string url = with_query(base, "$top", std::to_string(options_.page_size));

  Batch batch;
  batch.snapshot = true;
  PageWalk walk(options_.max_pages);
  long long read = 0;
  int ignored = 0;
  while (true) {
    if (auto ok = walk.enter(url); !ok) co_return ok.error();
    auto page = co_await get(*ctx.http, url);
    if (!page) co_return page.error();
    const Json* results = nullptr;
    if (page->contains("results")) {
      if (!(*page)["results"].is_array()) co_return Error{"'results' of " + for_messages(url) + " is not a list"};
      results = &(*page)["results"];
    } else if (!(page->contains("count") && (*page)["count"] == 0)) {
      // An empty list is {"count": 0} without results; anything else without results is not a list at all.
      co_return Error{"the answer from " + for_messages(url) + " has neither 'results' nor \"count\": 0"};
    }
    const std::size_t n = results ? results->size() : 0;
    for (std::size_t i = 0; i < n; ++i) {
      const Json& c = (*results)[i];
      std::string where = "page " + std::to_string(walk.pages()) + " results[" + std::to_string(i) + "]";
      const std::string number = case_number(text_of(c, "saksaar"), text_of(c, "sakssekvensnummer"));
      if (!number.empty()) where += " (saksmappe " + number + ")";
      if (!map_case(c, options_, where, batch)) ++ignored;
    }
    read += static_cast<long long>(n);
    std::string next = link(*page, "next");
    if (!next.empty()) {
      auto resolved = resolve_url(url, next);
      if (!resolved) co_return Error{"bad next link on " + for_messages(url) + ": " + resolved.error().message};
      url = *resolved;
      continue;
    }
    // No next link: a server that caps pages without one still says how many there are.
    const long long count =
        page->contains("count") && (*page)["count"].is_number_integer() ? (*page)["count"].get<long long>() : 0;
    if (n == 0 || read >= count) break;
    url = with_query(with_query(base, "$top", std::to_string(options_.page_size)), "$skip", std::to_string(read));
  }
  if (ignored > 0) {
    batch.warnings.push_back({for_messages(options_.url), std::to_string(ignored) +
                                                              " case files name no roadmap item (no configured link, "
                                                              "referanseEksternNoekkel or eksternId) and were ignored "
                                                              "(unlinked_cases: ignore)"});
  }
  co_return batch;
}

Expected<std::unique_ptr<SourceAdapter>> make_noark5_adapter(const SourceConfig& config) {
  auto options = parse_options(config);
  if (!options) return options.error();
  return std::unique_ptr<SourceAdapter>(std::make_unique<Noark5Adapter>(std::move(*options)));
}

}  // namespace veikart::adapters::noark5

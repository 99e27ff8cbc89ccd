#include "adapters/fiks_rest/fiks_rest_adapter.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "adapters/common/archive.hpp"
#include "adapters/common/http_json.hpp"
#include "gateway/core/text.hpp"

namespace veikart::adapters::fiks_rest {
namespace {

using Codes = std::map<std::string, std::string, std::less<>>;

// The API's codes (docs/fiks-roadmap-api.md) → the canonical model's words.
const Codes kStatus = {{"Ide", "idea"},
                       {"Vurdert", "assessed"},
                       {"Prioritert", "prioritised"},
                       {"UnderUtvikling", "in_development"},
                       {"Pilot", "pilot"},
                       {"KlarForInnforing", "ready"},
                       {"Innforing", "rolling_out"},
                       {"IDrift", "in_operation"},
                       {"PaaVent", "paused"},
                       {"Avbrutt", "cancelled"}};
const Codes kKind = {{"NasjonalFellesLosning", "national_solution"},
                     {"RegionaltProsjekt", "regional_project"},
                     {"LokaltProsjekt", "local_project"},
                     {"FellesAnskaffelse", "joint_procurement"},
                     {"Kompetanseprogram", "competence_programme"}};
const Codes kOwner = {
    {"KS", "ks"},      {"Nettverk", "network"},     {"Kommune", "municipality"}, {"Fylkeskommune", "county"},
    {"Stat", "state"}, {"Samarbeid", "cooperative"}};
const Codes kPrecision = {
    {"Dag", "day"}, {"Maaned", "month"}, {"Kvartal", "quarter"}, {"Halvaar", "half"}, {"Aar", "year"}};
const Codes kCostCategory = {{"Investering", "investment"}, {"Prosjekt", "project"}, {"Drift", "operation"}};
const Codes kCostPer = {{"Kommune", "municipality"}, {"Totalt", "total"}};
const Codes kFunding = {
    {"DigiFin", "digifin"}, {"Staten", "state"}, {"Fylkeskommunen", "county"}, {"Medlemskontingent", "membership"},
    {"Egen", "own"},        {"Annen", "other"}};

// A rejected solution: the message, thrown inside map_solution and caught per record.
struct Reject {
  std::string reason;
};

std::string text_of(const Json& o, const char* key) {
  if (!o.is_object() || !o.contains(key) || o[key].is_null()) return {};
  if (o[key].is_string()) return std::string(trim(o[key].get<std::string>()));
  if (o[key].is_number()) return o[key].dump();
  throw Reject{"'" + std::string(key) + "' must be text"};
}

std::string code(const Json& o, const char* key, const Codes& codes, std::string fallback = {}) {
  const std::string value = text_of(o, key);
  if (value.empty()) {
    if (fallback.empty()) throw Reject{"'" + std::string(key) + "' is missing"};
    return fallback;
  }
  auto it = codes.find(value);
  if (it == codes.end()) {
    std::string known;
    for (const auto& [k, v] : codes) known += (known.empty() ? "" : ", ") + k;
    throw Reject{"'" + std::string(key) + "' has the unknown value '" + value + "' (expected one of " + known + ")"};
  }
  return it->second;
}

std::optional<std::string> date_of(const Json& o, const char* key) {
  const std::string value = text_of(o, key);
  if (value.empty()) return std::nullopt;
  auto d = iso_date(value);
  if (!d || (value.size() > 10 && value[10] != 'T')) {
    throw Reject{"'" + std::string(key) + "' is not a date (YYYY-MM-DD): '" + value.substr(0, 40) + "'"};
  }
  return d;
}

const Json& array_of(const Json& o, const char* key) {
  static const Json empty = Json::array();
  if (!o.contains(key) || o[key].is_null()) return empty;
  if (!o[key].is_array()) throw Reject{"'" + std::string(key) + "' must be a list"};
  return o[key];
}

struct Mapping {
  const Reference& reference;
  const FiksRestOptions& options;
  std::vector<Issue>& warnings;
  std::string where;

  // Ids of the reference entries a list names (by id, name or alias); unknown names are left out with a warning.
  template <class Find>
  Json resolve(const Json& list, const char* what, Find find) {
    Json out = Json::array();
    for (const auto& v : list) {
      const std::optional<std::string> id = v.is_string() ? find(v.get<std::string>()) : std::nullopt;
      if (!id) {
        warnings.push_back({where, "unknown " + std::string(what) + " " + v.dump() + " left out"});
      } else if (std::find(out.begin(), out.end(), *id) == out.end()) {
        out.push_back(*id);
      }
    }
    return out;
  }

  Json networks(const Json& list) {
    return resolve(list, "network", [&](const std::string& s) -> std::optional<std::string> {
      const Network* n = reference.find_network(s);
      return n ? std::optional<std::string>(n->id) : std::nullopt;
    });
  }

  Json municipalities(const Json& list) {
    return resolve(list, "municipality", [&](const std::string& s) -> std::optional<std::string> {
      const Municipality* m = reference.find_municipality(s);
      return m ? std::optional<std::string>(m->number) : std::nullopt;
    });
  }

  Json themes(const Json& list) {
    return resolve(list, "theme", [&](const std::string& s) -> std::optional<std::string> {
      const Theme* t = reference.find_theme(s);
      return t ? std::optional<std::string>(t->id) : std::nullopt;
    });
  }

  // Phases in the spirit of Fiks Saksfaser become milestones: the first development phase's start, the pilot's
  // start, the rollout's start and end, the hand-over to operation; and each public milestone of a phase.
  Json milestones(const Json& phases) {
    Json out = Json::array();
    std::set<std::string> kinds;
    auto add = [&](const std::string& kind, std::string name, const std::optional<std::string>& date,
                   const std::string& precision) {
      if (!date) return;
      if (kind != "other" && !kinds.insert(kind).second) return;  // one per kind: the earliest phase wins
      out.push_back({{"name", std::move(name)}, {"kind", kind}, {"date", *date}, {"precision", precision}});
    };
    for (const auto& phase : phases) {
      if (!phase.is_object()) throw Reject{"a phase (fase) must be an object"};
      const std::string name = text_of(phase, "fasenavn");
      if (name.empty()) throw Reject{"a phase has no 'fasenavn'"};
      const std::string status = text_of(phase, "status");
      if (status != "Planlagt" && status != "UnderArbeid" && status != "Utfoert") {
        throw Reject{"phase '" + name + "' has status '" + status + "' (expected Planlagt, UnderArbeid or Utfoert)"};
      }
      const std::string precision = code(phase, "datopresisjon", kPrecision, "day");
      const std::string category =
          phase.contains("kategori") && phase["kategori"].is_object() ? text_of(phase["kategori"], "kodeverdi") : "";
      const auto start = date_of(phase, "startdato");
      const auto end = date_of(phase, "sluttdato");
      if (category == "Forprosjekt" || category == "Utvikling") {
        add("start", name, start, precision);
      } else if (category == "Pilot") {
        add("pilot", name, start, precision);
      } else if (category == "Innforing") {
        add("rollout_start", name + " starter", start, precision);
        add("rollout_end", name + " avsluttet", end, precision);
      } else if (category == "Forvaltning") {
        add("end", name, start, precision);
      }
      for (const auto& m : array_of(phase, "milepeler")) {
        if (!m.is_object()) throw Reject{"a milestone (milepel) of phase '" + name + "' must be an object"};
        if (m.contains("intern") && m["intern"] == true) continue;  // internal milestones stay inside KS
        const std::string description = text_of(m, "beskrivelse");
        if (description.empty()) throw Reject{"a milestone of phase '" + name + "' has no 'beskrivelse'"};
        std::optional<std::string> date = date_of(m, "utfoert");
        if (!date) date = date_of(m, "planlagtUtfoert");
        if (!date) date = date_of(m, "frist");
        add("other", description, date, "day");
      }
    }
    return out;
  }

  Json waves(const Json& list, Json& all_networks, Json& all_municipalities) {
    Json out = Json::array();
    for (const auto& w : list) {
      if (!w.is_object()) throw Reject{"a rollout wave (innforingsbolge) must be an object"};
      const std::string name = text_of(w, "navn");
      if (name.empty()) throw Reject{"a rollout wave has no 'navn'"};
      Json wave = {{"name", name},
                   {"networks", networks(array_of(w, "nettverk"))},
                   {"municipalities", municipalities(array_of(w, "kommuner"))},
                   {"precision", code(w, "datopresisjon", kPrecision, "day")}};
      if (auto s = date_of(w, "start")) wave["start"] = *s;
      if (auto e = date_of(w, "slutt")) wave["end"] = *e;
      for (const auto& n : wave["networks"])
        if (std::find(all_networks.begin(), all_networks.end(), n) == all_networks.end()) all_networks.push_back(n);
      for (const auto& m : wave["municipalities"])
        if (std::find(all_municipalities.begin(), all_municipalities.end(), m) == all_municipalities.end())
          all_municipalities.push_back(m);
      out.push_back(std::move(wave));
    }
    return out;
  }

  Json costs(const Json& list) {
    Json out = Json::array();
    for (const auto& c : list) {
      if (!c.is_object()) throw Reject{"a cost (kostnad) must be an object"};
      if (!c.contains("aar") || !c["aar"].is_number_integer()) throw Reject{"a cost has no whole-number 'aar'"};
      if (!c.contains("belop") || !c["belop"].is_number()) throw Reject{"a cost has no numeric 'belop'"};
      Json cost = {{"year", c["aar"]},
                   {"category", code(c, "kategori", kCostCategory)},
                   {"amount_nok", c["belop"]},
                   {"per", code(c, "per", kCostPer)}};
      if (!text_of(c, "finansiering").empty()) cost["funding"] = code(c, "finansiering", kFunding);
      out.push_back(std::move(cost));
    }
    return out;
  }

  Fragment solution(const Json& l) {
    if (!l.is_object()) throw Reject{"a solution (losning) must be an object"};
    const std::string id = text_of(l, "losningId");
    const std::string title = text_of(l, "navn");
    if (title.empty()) throw Reject{"'navn' is missing"};
    Fragment f;
    f.record = id;
    f.id = options.id_prefix + ":" + id;
    f.where = where;
    Json fields = {{"title", title},
                   {"kind", code(l, "type", kKind, "national_solution")},
                   {"status", code(l, "status", kStatus)},
                   {"themes", themes(array_of(l, "fagomrader"))}};
    if (const std::string summary = text_of(l, "beskrivelse"); !summary.empty()) fields["summary"] = summary;
    if (l.contains("eier") && l["eier"].is_object()) {
      const Json& e = l["eier"];
      fields["owner"] = {{"type", code(e, "type", kOwner)}, {"id", text_of(e, "id")}, {"name", text_of(e, "navn")}};
      if (fields["owner"]["id"] == "" || fields["owner"]["name"] == "") throw Reject{"'eier' needs 'id' and 'navn'"};
    } else {
      fields["owner"] = {{"type", "ks"}, {"id", "ks"}, {"name", "KS"}};
    }
    Json all_networks = networks(array_of(l, "nettverk"));
    Json all_municipalities = municipalities(array_of(l, "kommuner"));
    fields["rollout_waves"] = waves(array_of(l, "innforingsbolger"), all_networks, all_municipalities);
    if (all_networks.empty() && fields["kind"] == "national_solution") {
      for (const auto& n : reference.networks()) all_networks.push_back(n.id);  // national: every network
    }
    fields["networks"] = std::move(all_networks);
    fields["municipalities"] = std::move(all_municipalities);
    fields["milestones"] = milestones(array_of(l, "faser"));
    fields["costs"] = costs(array_of(l, "kostnader"));
    if (const std::string link = text_of(l, "lenke"); !link.empty()) {
      fields["links"] = Json::array({{{"rel", "about"}, {"href", link}, {"title", title}}});
    }
    Json ids = Json::array({{{"system", options.id_system}, {"id", id}}});
    for (const auto& e : array_of(l, "eksterneIder")) {
      const std::string system = text_of(e, "system");
      const std::string value = text_of(e, "id");
      if (system.empty() || value.empty()) throw Reject{"an entry of 'eksterneIder' needs 'system' and 'id'"};
      ids.push_back({{"system", system}, {"id", value}});
    }
    fields["external_ids"] = std::move(ids);
    f.fields = std::move(fields);
    return f;
  }
};

bool valid_local_id(std::string_view id) {
  if (id.empty() || id.size() > 100) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

std::string read_text_file(const std::filesystem::path& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path.string();
    return {};
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string form_escape(std::string_view value) { return query_escape(value); }

}  // namespace

void map_page(const Json& page, const Reference& reference, const FiksRestOptions& options, std::string_view label,
              Batch& batch) {
  if (!page.is_object() || !page.contains("losninger") || !page["losninger"].is_array()) {
    batch.rejected.push_back({std::string(label), "the page has no 'losninger' list"});
    return;
  }
  const Json& list = page["losninger"];
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Json& l = list[i];
    std::string where = std::string(label) + " losninger[" + std::to_string(i) + "]";
    std::string id;
    if (l.is_object() && l.contains("losningId") && l["losningId"].is_string()) id = l["losningId"].get<std::string>();
    if (!valid_local_id(id)) {
      batch.rejected.push_back({where, "'losningId' must be 1–100 of a-z, 0-9, '-', '_' or '.' (got " +
                                           (l.is_object() && l.contains("losningId") ? l["losningId"].dump() : "none") +
                                           ")"});
      continue;
    }
    where += " (" + id + ")";
    Mapping mapping{reference, options, batch.warnings, where};
    try {
      batch.fragments.push_back(mapping.solution(l));
    } catch (const Reject& r) {
      batch.rejected.push_back({where, r.reason, id});
    } catch (const Json::exception& e) {
      batch.rejected.push_back({where, std::string("a value has the wrong type: ") + e.what(), id});
    }
  }
}

Expected<FiksRestOptions> parse_options(const SourceConfig& config) {
  const std::string who = "source '" + config.name + "': ";
  const Json& s = config.settings;
  if (!s.is_object()) return Error{who + "the settings are not an object"};
  auto text = [&](const char* key) -> std::string {
    return s.contains(key) && s[key].is_string() ? std::string(trim(s[key].get<std::string>())) : std::string();
  };
  FiksRestOptions o;
  o.source_name = config.name;
  for (const char* key : {"url", "token_url", "audience", "integrasjon_id", "key_file"}) {
    if (text(key).empty()) return Error{who + key + " is required"};
  }
  o.url = text("url");
  o.token_url = text("token_url");
  for (const std::string& u : {o.url, o.token_url}) {
    if (auto parsed = parse_url(u); !parsed) return Error{who + parsed.error().message};
  }
  o.claims.issuer = text("issuer").empty() ? text("client_id") : text("issuer");
  if (o.claims.issuer.empty()) return Error{who + "issuer (or client_id) is required"};
  o.claims.audience = text("audience");
  o.claims.scope = text("scope").empty() ? "ks:fiks" : text("scope");
  o.claims.kid = text("kid");
  o.claims.consumer_org = text("consumer_org");
  o.integrasjon_id = text("integrasjon_id");
  if (!text("integrasjon_passord").empty()) {
    o.integrasjon_passord = text("integrasjon_passord");
  } else if (const std::string env = text("integrasjon_passord_env"); !env.empty()) {
    const char* value = std::getenv(env.c_str());
    if (value == nullptr || *value == '\0') {
      return Error{who + "the environment variable " + env + " (integrasjon_passord_env) is not set"};
    }
    o.integrasjon_passord = value;
  } else {
    return Error{who + "integrasjon_passord or integrasjon_passord_env is required"};
  }
  o.key_file = config.resolve(text("key_file"));
  if (!text("id_prefix").empty()) o.id_prefix = text("id_prefix");
  if (!text("id_system").empty()) o.id_system = text("id_system");
  if (s.contains("page_size")) {
    if (!s["page_size"].is_number_integer() || s["page_size"].get<int>() < 1) {
      return Error{who + "page_size must be a positive integer"};
    }
    o.page_size = s["page_size"].get<int>();
  }
  if (s.contains("max_pages")) {
    if (!s["max_pages"].is_number_integer() || s["max_pages"].get<int>() < 1) {
      return Error{who + "max_pages must be a positive integer"};
    }
    o.max_pages = s["max_pages"].get<int>();
  }
  return o;
}

boost::asio::awaitable<Expected<std::string>> FiksRestAdapter::access_token(HttpFetcher& http, bool fresh) {
  const auto now = std::chrono::steady_clock::now();
  if (!fresh && !token_.empty() && now < token_renew_at_) co_return token_;
  token_.clear();
  if (!signer_) {
    std::string error;
    const std::string pem = read_text_file(options_.key_file, error);
    if (!error.empty()) co_return Error{"key_file: " + error};
    auto signer = JwtSigner::from_pem(pem);
    if (!signer) co_return Error{"key_file " + options_.key_file.string() + ": " + signer.error().message};
    signer_ = std::make_shared<const JwtSigner>(std::move(*signer));
  }
  auto assertion = make_assertion(*signer_, options_.claims, std::chrono::system_clock::now());
  if (!assertion) co_return assertion.error();
  FetchRequest request;
  request.method = "POST";
  request.url = options_.token_url;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  request.body = "grant_type=" + form_escape("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                 "&assertion=" + form_escape(*assertion);
  auto response = co_await http.fetch(std::move(request));
  const std::string who = "token endpoint: ";
  if (!response) co_return Error{who + response.error().message};
  auto body = json_body(*response, options_.token_url);
  if (!body) co_return Error{who + body.error().message, body.error().status};
  if (!body->is_object() || !(*body).contains("access_token") || !(*body)["access_token"].is_string() ||
      (*body)["access_token"].get<std::string>().empty()) {
    co_return Error{who + "the answer from " + for_messages(options_.token_url) + " has no access_token"};
  }
  if (body->contains("token_type") && (*body)["token_type"].is_string()) {
    std::string type = (*body)["token_type"].get<std::string>();
    for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (type != "bearer") co_return Error{who + "token_type is '" + type.substr(0, 20) + "', not Bearer"};
  }
  long long expires_in = 120;
  if (body->contains("expires_in") && (*body)["expires_in"].is_number()) {
    expires_in = (*body)["expires_in"].get<long long>();
  }
  // Renew shortly before expiry: a fifth of the lifetime early, at most 30 s.
  const long long margin_ms = std::min<long long>(30'000, std::max<long long>(expires_in, 0) * 200);
  token_renew_at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(expires_in * 1000 - margin_ms);
  token_ = (*body)["access_token"].get<std::string>();
  ++tokens_fetched_;
  co_return token_;
}

boost::asio::awaitable<Expected<Json>> FiksRestAdapter::fetch_page(HttpFetcher& http, std::string url,
                                                                   std::map<std::string, CachedPage>& fetched) {
  const auto cached = cache_.find(url);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto token = co_await access_token(http, attempt > 0);
    if (!token) co_return token.error();
    FetchRequest request;
    request.url = url;
    request.headers = {{"Authorization", "Bearer " + *token},
                       {"IntegrasjonId", options_.integrasjon_id},
                       {"IntegrasjonPassord", options_.integrasjon_passord},
                       {"Accept", "application/json"}};
    request.secret_headers = {"IntegrasjonId", "IntegrasjonPassord"};
    if (cached != cache_.end() && !cached->second.etag.empty()) {
      request.headers.emplace_back("If-None-Match", cached->second.etag);
    }
    auto response = co_await http.fetch(std::move(request));
    if (!response) co_return response.error();
    if (response->status == 401 && attempt == 0) continue;  // the token may have been revoked: one fresh try
    if (response->status == 304) {
      if (cached == cache_.end())
        co_return Error{"HTTP 304 from " + for_messages(url) + " without a conditional request"};
      fetched[url] = cached->second;
      ++not_modified_;
      co_return cached->second.body;
    }
    if (response->status == 401) {
      co_return Error{describe_status(*response, url) + " (refused even with a fresh token)", 401};
    }
    auto body = json_body(*response, url);
    if (!body) co_return body.error();
    if (!body->is_object() || !(*body).contains("losninger") || !(*body)["losninger"].is_array()) {
      co_return Error{"the answer from " + for_messages(url) + " has no 'losninger' list"};
    }
    fetched[url] = CachedPage{response->header("etag"), *body};
    co_return std::move(*body);
  }
  co_return Error{"unreachable"};
}

boost::asio::awaitable<Expected<Batch>> FiksRestAdapter::pull(PullContext& ctx) {
  if (ctx.http == nullptr) co_return Error{"no HTTP client for this source (it can only be read by the gateway)"};
  std::map<std::string, CachedPage> fetched;
  PageWalk walk(options_.max_pages);
  Batch batch;
  batch.snapshot = true;
  std::string url =
      options_.page_size > 0 ? with_query(options_.url, "antall", std::to_string(options_.page_size)) : options_.url;
  not_modified_ = 0;
  while (!url.empty()) {
    if (auto ok = walk.enter(url); !ok) co_return ok.error();
    auto page = co_await fetch_page(*ctx.http, url, fetched);
    if (!page) co_return page.error();
    map_page(*page, ctx.reference, options_, "page " + std::to_string(walk.pages()), batch);
    std::string next;
    if (page->contains("_links") && (*page)["_links"].is_object() && (*page)["_links"].contains("next")) {
      const Json& n = (*page)["_links"]["next"];
      if (n.is_object() && n.contains("href") && n["href"].is_string()) next = n["href"].get<std::string>();
    }
    if (next.empty()) break;
    auto resolved = resolve_url(url, next);
    if (!resolved) co_return Error{"bad next link on " + for_messages(url) + ": " + resolved.error().message};
    url = *resolved;
  }
  // A 304 re-uses the page of the last good run; the pipeline then finds every record unchanged and writes
  // nothing but the run record.
  cache_ = std::move(fetched);
  co_return batch;
}

Expected<std::unique_ptr<SourceAdapter>> make_fiks_rest_adapter(const SourceConfig& config) {
  auto options = parse_options(config);
  if (!options) return options.error();
  return std::unique_ptr<SourceAdapter>(std::make_unique<FiksRestAdapter>(std::move(*options)));
}

}  // namespace veikart::adapters::fiks_rest

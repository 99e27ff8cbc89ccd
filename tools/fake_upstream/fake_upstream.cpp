#include "tools/fake_upstream/fake_upstream.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <fstream>
#include <future>
#include <sstream>

#include "adapters/common/http_json.hpp"
#include "gateway/config/config.hpp"
#include "tools/fake_upstream/keys.hpp"

namespace veikart::fake {
namespace {

HttpResponse json_answer(int status, const Json& body, std::string type = "application/json") {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  r.set_header("Content-Type", std::move(type));
  return r;
}

// The first bytes of a body, then silence until the deadline, then the end of the connection.
class StallingStream : public ResponseStream {
 public:
  StallingStream(std::string start, std::chrono::milliseconds delay)
      : start_(std::move(start)), until_(std::chrono::steady_clock::now() + delay) {}
  Chunk next() override {
    if (!sent_) {
      sent_ = true;
      return {start_, false};
    }
    return {"", std::chrono::steady_clock::now() >= until_};
  }

 private:
  std::string start_;
  std::chrono::steady_clock::time_point until_;
  bool sent_ = false;
};

int int_query(const HttpRequest& r, std::string_view name, int fallback) {
  auto v = r.query_one(name);
  if (!v) return fallback;
  try {
    return std::max(0, std::stoi(*v));
  } catch (const std::exception&) {
    return fallback;
  }
}

std::map<std::string, std::string> form_fields(std::string_view body) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view pair = body.substr(start, end - start);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos) {
      out[percent_decode(pair.substr(0, eq), true)] = percent_decode(pair.substr(eq + 1), true);
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

std::optional<Fault> parse_fault(std::string_view name) {
  static const std::map<std::string, Fault, std::less<>> names = {{"none", Fault::none},
                                                                  {"500", Fault::error_500},
                                                                  {"503", Fault::unavailable_503},
                                                                  {"timeout", Fault::timeout},
                                                                  {"stall", Fault::stall},
                                                                  {"truncated", Fault::truncated_json},
                                                                  {"content-type", Fault::wrong_content_type},
                                                                  {"loop", Fault::loop_next},
                                                                  {"no-results", Fault::empty_without_results}};
  auto it = names.find(name);
  return it == names.end() ? std::nullopt : std::optional<Fault>(it->second);
}

std::optional<HttpResponse> FaultSwitch::apply(const HttpResponse& healthy) const {
  const Fault f = fault();
  switch (f) {
    case Fault::error_500:
      return json_answer(500, {{"title", "Internal Server Error"}, {"status", 500}}, "application/problem+json");
    case Fault::unavailable_503: {
      HttpResponse r =
          json_answer(503, {{"title", "Service Unavailable"}, {"status", 503}}, "application/problem+json");
      r.set_header("Retry-After", "1");
      return r;
    }
    case Fault::timeout:
      std::this_thread::sleep_for(delay());
      return healthy;
    case Fault::stall: {
      HttpResponse r;
      r.status = 200;
      r.set_header("Content-Type", healthy.header("content-type"));
      r.stream = std::make_shared<StallingStream>(healthy.body.substr(0, healthy.body.size() / 3), delay());
      return r;
    }
    case Fault::truncated_json: {
      HttpResponse r = healthy;
      r.body = healthy.body.substr(0, healthy.body.size() / 2);
      return r;
    }
    case Fault::wrong_content_type: {
      HttpResponse r;
      r.status = 200;
      r.body = "<html><body><h1>Planlagt vedlikehold</h1></body></html>";
      r.set_header("Content-Type", "text/html; charset=utf-8");
      return r;
    }
    default:
      return std::nullopt;
  }
}

// ---- Fiks ----

FiksFake::FiksFake(FiksFakeOptions options, std::vector<Json> solutions)
    : options_(std::move(options)), solutions_(std::move(solutions)) {}

void FiksFake::revoke_tokens() {
  std::lock_guard lock(mutex_);
  tokens_.clear();
}

void FiksFake::set_solutions(std::vector<Json> solutions) {
  std::lock_guard lock(mutex_);
  solutions_ = std::move(solutions);
}

HttpResponse FiksFake::handle(const HttpRequest& request) {
  if (request.path == "/token") return token(request);
  if (request.path == "/veikart/api/v1/losninger") return page(request);
  return json_answer(404, {{"title", "Not Found"}, {"status", 404}}, "application/problem+json");
}

HttpResponse FiksFake::token(const HttpRequest& request) {
  auto refuse = [&](const std::string& why) {
    ++assertions_refused_;
    return json_answer(400, {{"error", "invalid_grant"}, {"error_description", why}});
  };
  if (request.method != "POST") return json_answer(405, {{"error", "invalid_request"}});
  if (request.header("content-type").rfind("application/x-www-form-urlencoded", 0) != 0) {
    return refuse("expected a form-encoded body");
  }
  auto form = form_fields(request.body);
  if (form["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer") return refuse("unsupported grant_type");
  auto checked = verify_rs256(form["assertion"], options_.public_key_pem);
  if (!checked) return refuse(checked.error().message);
  const Json& header = (*checked)["header"];
  const Json& claims = (*checked)["claims"];
  const long long now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (!options_.kid.empty() && header.value("kid", "") != options_.kid) return refuse("unknown kid");
  if (claims.value("iss", "") != options_.issuer) return refuse("unknown iss");
  if (!options_.audience.empty() && claims.value("aud", "") != options_.audience) return refuse("wrong aud");
  const long long iat = claims.value("iat", 0LL), exp = claims.value("exp", 0LL);
  if (iat > now + 10 || exp <= now - 10 || exp - iat > 120) return refuse("iat/exp out of range (at most 120 s)");
  const std::string scope = claims.value("scope", "");
  if (("" + scope + " ").find(options_.scope) == std::string::npos) return refuse("scope not granted");
  const std::string jti = claims.value("jti", "");
  std::string issued;
  {
    std::lock_guard lock(mutex_);
    if (jti.empty() || !seen_jti_.insert(jti).second) return refuse("jti missing or used before");
    issued = "demo-" + sha256_hex(jti + std::to_string(now)).substr(0, 32);
    tokens_[issued] = std::chrono::steady_clock::now() + options_.token_lifetime;
  }
  ++tokens_issued_;
  return json_answer(200, {{"access_token", issued},
                           {"token_type", "Bearer"},
                           {"expires_in", options_.token_lifetime.count()},
                           {"scope", options_.scope}});
}

HttpResponse FiksFake::page(const HttpRequest& request) {
  ++api_requests_;
  const std::string auth = request.header("authorization");
  {
    std::lock_guard lock(mutex_);
    auto it = auth.rfind("Bearer ", 0) == 0 ? tokens_.find(auth.substr(7)) : tokens_.end();
    if (it == tokens_.end() || it->second < std::chrono::steady_clock::now()) {
      HttpResponse r = json_answer(401, {{"error", "invalid_token"}});
      r.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return r;
    }
  }
  if (request.header("integrasjonid") != options_.integrasjon_id ||
      request.header("integrasjonpassord") != options_.integrasjon_passord) {
    return json_answer(403, {{"title", "Forbidden"}, {"detail", "unknown IntegrasjonId or wrong IntegrasjonPassord"}},
                       "application/problem+json");
  }
  const int side = std::max(1, int_query(request, "side", 1));
  const int size = std::clamp(int_query(request, "antall", options_.page_size), 1, options_.page_size);
  Json body;
  {
    std::lock_guard lock(mutex_);
    const std::size_t from = static_cast<std::size_t>(side - 1) * static_cast<std::size_t>(size);
    Json list = Json::array();
    for (std::size_t i = from; i < solutions_.size() && i < from + static_cast<std::size_t>(size); ++i)
      list.push_back(solutions_[i]);
    body = {{"losninger", list}, {"totaltAntall", solutions_.size()}, {"side", side}};
    body["_links"]["self"]["href"] = request.target;
    if (from + static_cast<std::size_t>(size) < solutions_.size()) {
      body["_links"]["next"]["href"] =
          "/veikart/api/v1/losninger?side=" + std::to_string(side + 1) +
          (request.query_one("antall") ? "&antall=" + std::to_string(size) : std::string());
    }
  }
  if (faults.fault() == Fault::loop_next) body["_links"]["next"]["href"] = request.target;
  HttpResponse healthy = json_answer(200, body);
  const std::string etag = "\"" + sha256_hex(healthy.body).substr(0, 20) + "\"";
  healthy.set_header("ETag", etag);
  if (auto faulty = faults.apply(healthy)) return *faulty;
  if (request.header("if-none-match") == etag) {
    ++not_modified_;
    HttpResponse r;
    r.status = 304;
    r.set_header("ETag", etag);
    return r;
  }
  return healthy;
}

// ---- Noark 5 ----

Noark5Fake::Noark5Fake(std::vector<Json> cases, int page_cap) : cases_(std::move(cases)), page_cap_(page_cap) {}

void Noark5Fake::set_cases(std::vector<Json> cases) {
  std::lock_guard lock(mutex_);
  cases_ = std::move(cases);
}

std::string Noark5Fake::last_filter() const {
  std::lock_guard lock(mutex_);
  return last_filter_;
}

HttpResponse Noark5Fake::handle(const HttpRequest& request) {
  static const std::string type = "application/vnd.noark5+json";
  static const std::string rel = "https://rel.arkivverket.no/noark5/v5/api/";
  if (request.path == "/api" || request.path == "/api/") {
    // The object form of _links.
    Json root;
    root["_links"][rel + "arkivstruktur/"]["href"] = "/api/arkivstruktur";
    root["_links"][rel + "sakarkiv/"]["href"] = "/api/sakarkiv";
    root["_links"]["self"]["href"] = "/api";
    return json_answer(200, root, type);
  }
  if (request.path == "/api/sakarkiv") {
    // The legacy array form, with a templated link.
    Json entry = {{"_links",
                   {{{"rel", rel + "sakarkiv/saksmappe/"},
                     {"href", "/api/sakarkiv/saksmappe{?$filter,$top,$skip}"},
                     {"templated", true}},
                    {{"rel", "self"}, {"href", "/api/sakarkiv"}}}}};
    return json_answer(200, entry, type);
  }
  if (request.path != "/api/sakarkiv/saksmappe") {
    return json_answer(404, {{"title", "Not Found"}, {"status", 404}}, "application/problem+json");
  }
  ++list_requests_;
  const int top = std::clamp(int_query(request, "$top", page_cap_), 1, page_cap_);
  const int skip = int_query(request, "$skip", 0);
  const std::string filter = request.query_one("$filter").value_or("");
  Json body;
  {
    std::lock_guard lock(mutex_);
    last_filter_ = filter;
    Json results = Json::array();
    for (std::size_t i = static_cast<std::size_t>(skip);
         i < cases_.size() && i < static_cast<std::size_t>(skip) + static_cast<std::size_t>(top); ++i)
      results.push_back(cases_[i]);
    body = {{"count", cases_.size()}};
    if (!results.empty()) body["results"] = results;  // an empty list has no results (the standard's rule)
    body["_links"]["self"]["href"] = request.target;
    if (static_cast<std::size_t>(skip + top) < cases_.size()) {
      body["_links"]["next"]["href"] = "/api/sakarkiv/saksmappe?$top=" + std::to_string(top) +
                                       "&$skip=" + std::to_string(skip + top) +
                                       (filter.empty() ? std::string() : "&$filter=" + adapters::query_escape(filter));
    }
  }
  switch (faults.fault()) {
    case Fault::loop_next:
      body["_links"]["next"]["href"] = request.target;
      break;
    case Fault::empty_without_results:
      body = {{"_links", {{"self", {{"href", request.target}}}}}};
      break;
    default:
      break;
  }
  HttpResponse healthy = json_answer(200, body, type);
  if (auto faulty = faults.apply(healthy)) return *faulty;
  return healthy;
}

// ---- Server ----

struct FakeServer::Running {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  boost::asio::thread_pool blocking{4};
  std::unique_ptr<HttpServer> server;
  std::thread thread;
};

FakeServer::FakeServer(HttpServer::Handler handler, std::string host, std::uint16_t port)
    : handler_(std::move(handler)), host_(std::move(host)), port_(port) {
  start();
}

FakeServer::~FakeServer() { stop(); }

void FakeServer::start() {
  if (running_) return;
  auto r = std::make_unique<Running>();
  Limits limits;
  limits.request_timeout = std::chrono::seconds(30);
  r->server = std::make_unique<HttpServer>(r->io, r->blocking, handler_, limits, nullptr);
  r->server->listen(host_, port_);
  port_ = r->server->port();
  r->thread = std::thread([io = &r->io] { io->run(); });
  running_ = std::move(r);
}

void FakeServer::stop() {
  if (!running_) return;
  running_->server->stop();
  // The acceptor closes on the I/O thread; a marker posted after it says the port is free again.
  std::promise<void> closed;
  boost::asio::post(running_->io, [&closed] { closed.set_value(); });
  closed.get_future().wait();
  running_->work.reset();
  running_->io.stop();
  running_->thread.join();
  running_->blocking.stop();
  running_->blocking.join();
  running_.reset();
}

Expected<std::vector<Json>> load_json_array(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error{"cannot read " + file.string()};
  std::ostringstream text;
  text << in.rdbuf();
  try {
    Json doc = Json::parse(text.str());
    if (!doc.is_array()) return Error{file.string() + ": expected a JSON array"};
    return doc.get<std::vector<Json>>();
  } catch (const std::exception& e) {
    return Error{file.string() + ": " + e.what()};
  }
}

}  // namespace veikart::fake

#pragma once
/// @brief An API with the real adapters, a push store and one client per role, for the push-route tests.

#include <memory>
#include <string>
#include <vector>

#include "adapters/registry.hpp"
#include "gateway/auth/auth.hpp"
#include "http_test_support.hpp"

namespace veikart::testing {

struct PushKeys {
  NewKey reader = generate_key();
  NewKey publisher = generate_key();
  NewKey agder = generate_key();     // inventory, municipalities 42*
  NewKey rogaland = generate_key();  // inventory, municipalities 11*
  NewKey admin = generate_key();
};

inline Client make_client(const std::string& name, const NewKey& key, std::vector<Role> roles,
                          std::vector<std::string> scope = {}) {
  Client c;
  c.name = name;
  c.key_sha256 = *parse_sha256_hex(key.key_sha256);
  c.roles = std::move(roles);
  c.municipalities = std::move(scope);
  return c;
}

class PushApi {
 public:
  explicit PushApi(GatewayConfig config = {}, bool with_clients = true) : config_(std::move(config)) {
    adapters::register_all(registry_);
    if (with_clients) {
      config_.clients = {make_client("lesar", keys.reader, {Role::reader}),
                         make_client("ks", keys.publisher, {Role::publisher}),
                         make_client("ikt-agder", keys.agder, {Role::inventory}, {"42*"}),
                         make_client("ikt-rogaland", keys.rogaland, {Role::inventory}, {"11*"}),
                         make_client("drift", keys.admin, {Role::admin})};
    }
    store_ = open_sqlite_store(dir_.path().string());
    push_store_ = open_sqlite_push_store(dir_.path().string());
    ApiContext ctx{*store_, config_, reference_, metrics_, [] { return true; }, &registry_};
    ctx.push_store = push_store_.get();
    api_ = std::make_unique<Api>(ctx);
  }

  HttpResponse send(const std::string& method, const std::string& target, const std::string& key,
                    const std::string& body = {}, const std::string& content_type = "application/json",
                    std::vector<std::pair<std::string, std::string>> headers = {},
                    const std::string& remote = "192.0.2.7") {
    HttpRequest r;
    r.method = method;
    parse_target(r, target);
    r.remote_address = remote;
    r.headers = std::move(headers);
    if (!content_type.empty()) r.headers.emplace_back("content-type", content_type);
    if (!key.empty()) r.headers.emplace_back("authorization", "Bearer " + key);
    r.body = body;
    return api_->handle(r);
  }

  Api& api() { return *api_; }
  Store& store() { return *store_; }
  PushStore& push_store() { return *push_store_; }
  GatewayConfig& config() { return config_; }
  const std::filesystem::path& dir() const { return dir_.path(); }

  PushKeys keys;

 private:
  TempDir dir_;
  AdapterRegistry registry_;
  GatewayConfig config_;
  Reference reference_ = api_reference();
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<PushStore> push_store_;
  std::unique_ptr<Api> api_;
};

/// A valid system record for a municipality.
inline Json system_record(const std::string& municipality, const std::string& product = "Elements") {
  return {{"municipality", municipality},
          {"category", "sak-arkiv"},
          {"product", product},
          {"vendor", "Sikri"},
          {"vendor_orgnr", "974760673"},
          {"version", "5.2"},
          {"hosting", "cloud"},
          {"contract_end", "2027-12-31"},
          {"capabilities", {"fiks-arkiv", "svarut"}}};
}

}  // namespace veikart::testing

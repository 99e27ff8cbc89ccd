#pragma once
/// @brief Reference data (municipalities, networks, themes) that adapters and the gateway resolve names against.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace veikart {

struct Municipality {
  std::string number;  // 4-digit kommunenummer
  std::string name;
  std::string county;  // 2-digit fylkesnummer
};

struct Network {
  std::string id;                     // e.g. digi-rogaland
  std::string name;                   // e.g. Digi Rogaland
  std::vector<std::string> counties;  // county numbers whose municipalities are members
  std::vector<std::string> aliases;   // other names used in sources, e.g. "Digi TV"
};

struct Theme {
  std::string id;  // e.g. e-health
  std::string name;
  std::vector<std::string> aliases;  // Norwegian words used in sources, e.g. "E-helse", "Helse"
};

class Reference {
 public:
  void add_municipality(Municipality m);
  void add_network(Network n);
  void add_theme(Theme t);

  const Municipality* municipality(std::string_view number) const;
  /// By number or by name (case- and accent-insensitive).
  const Municipality* find_municipality(std::string_view number_or_name) const;
  const Network* network(std::string_view id) const;
  /// By id, name or alias (case- and accent-insensitive).
  const Network* find_network(std::string_view id_or_name) const;
  const Theme* theme(std::string_view id) const;
  /// By id, name or alias (case- and accent-insensitive).
  const Theme* find_theme(std::string_view id_or_name) const;

  /// The networks a municipality belongs to (through its county).
  std::vector<std::string> networks_of(std::string_view municipality_number) const;
  /// Every member municipality of a network, sorted by number.
  std::vector<std::string> municipalities_of(std::string_view network_id) const;

  const std::map<std::string, Municipality>& municipalities() const { return municipalities_; }
  const std::vector<Network>& networks() const { return networks_; }
  const std::vector<Theme>& themes() const { return themes_; }

 private:
  std::map<std::string, Municipality> municipalities_;     // by number
  std::map<std::string, std::string> municipality_names_;  // folded name → number
  std::vector<Network> networks_;
  std::vector<Theme> themes_;
};

}  // namespace veikart

// Golden placement data, each written by its folder's `generate` from the real program: keys and, per
// pool, the index of the server the real program put each key on. tests/data/twemproxy/ (nutcracker
// 0.5.0, pools in nutcracker.yml) and tests/data/nginx/ (nginx 1.22, pools in ringleader.yml).
#pragma once

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace ringleader::testing {

struct Golden {
  std::vector<std::string> pools;                  // column names = pool names of the config
  std::vector<std::string> keys;                   // raw bytes
  std::vector<std::vector<std::uint32_t>> server;  // server[pool][key]: index into the pool's servers
};

/// "twemproxy" or "nginx".
inline std::string golden_dir(const std::string& name) { return std::string(RINGLEADER_TEST_DATA) + "/" + name; }

inline std::string unhex(const std::string& hex) {
  if (hex.size() % 2 != 0) throw std::runtime_error("golden.tsv: odd hex length");
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

inline std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto tab = line.find('\t', start);
    out.push_back(line.substr(start, tab - start));
    if (tab == std::string::npos) return out;
    start = tab + 1;
  }
}

inline Golden load_golden(const std::string& name) {
  const std::string path = golden_dir(name) + "/golden.tsv";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  Golden g;
  std::string line;
  std::getline(in, line);
  auto header = split_tabs(line);
  g.pools.assign(header.begin() + 1, header.end());
  g.server.resize(g.pools.size());
  while (std::getline(in, line)) {
    auto cells = split_tabs(line);
    if (cells.size() != header.size()) throw std::runtime_error("golden.tsv: a row has the wrong number of cells");
    g.keys.push_back(unhex(cells[0]));
    for (std::size_t p = 0; p < g.pools.size(); ++p) g.server[p].push_back(static_cast<std::uint32_t>(std::stoul(cells[p + 1])));
  }
  return g;
}

}  // namespace ringleader::testing

#include "cli/pictures.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>

#include "ringleader/distribution.hpp"
#include "ringleader/hash/xxh3.hpp"

namespace ringleader::cli {
namespace {

// Colours that stay distinguishable for the first dozen nodes (Tableau 10 and two more).
constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
                                    "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#1f77b4", "#8c564b"};
const char* colour(std::size_t i) { return kPalette[i % std::size(kPalette)]; }

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      default: out += c;
    }
  }
  return out;
}

constexpr double kWidth = 760;
constexpr double kPanel = 440;  // height of each picture

// (a) The hash circle: a key hash h sits at angle h / 2^64 turns; each arc is coloured by the node
// that owns the hashes on it. The ring is drawn with few points per node so a reader can count them.
void ring_picture(std::ostringstream& svg, const std::string& algorithm, const Membership& nodes, double top) {
  DistributionOptions few_points;
  few_points.ring_points = 4;
  auto d = make_distribution(algorithm, nodes, few_points);
  const double cx = 260, cy = top + 230, r = 170;
  svg << "<text x='20' y='" << top + 30 << "' class='title'>(a) " << escape(algorithm)
      << ": the hash circle, arcs coloured by the node that owns them</text>\n";
  constexpr int kSamples = 2048;
  auto owner_at = [&](int i) {
    double turn = static_cast<double>(i) / kSamples;
    return d->lookup(static_cast<std::uint64_t>(turn * 18446744073709551615.0));
  };
  auto point = [&](double turn, double radius) {
    double a = 2 * std::numbers::pi * turn - std::numbers::pi / 2;
    return std::pair{cx + radius * std::cos(a), cy + radius * std::sin(a)};
  };
  int start = 0;
  for (int i = 1; i <= kSamples; ++i) {
    if (i < kSamples && owner_at(i) == owner_at(start)) continue;
    auto [x0, y0] = point(static_cast<double>(start) / kSamples, r);
    auto [x1, y1] = point(static_cast<double>(i) / kSamples, r);
    bool large = (i - start) * 2 > kSamples;
    svg << "<path d='M" << x0 << ',' << y0 << " A" << r << ',' << r << " 0 " << large << " 1 " << x1 << ','
        << y1 << "' stroke='" << colour(owner_at(start)) << "' stroke-width='26' fill='none'/>\n";
    start = i;
  }
  std::vector<double> labelled;  // turns of the keys labelled so far: labels must not overlap
  for (int k = 0; k < 12; ++k) {
    std::string key = "user:" + std::to_string(k);
    std::uint64_t h = hash::xxh3(key);
    double turn = static_cast<double>(h) / 18446744073709551616.0;
    auto [x, y] = point(turn, r - 30);
    svg << "<circle cx='" << x << "' cy='" << y << "' r='5' fill='" << colour(d->lookup(h)) << "' stroke='#222'/>\n";
    auto near = [&](double t) { return std::min(std::abs(t - turn), 1 - std::abs(t - turn)) < 0.04; };
    if (std::any_of(labelled.begin(), labelled.end(), near)) continue;
    labelled.push_back(turn);
    auto [lx, ly] = point(turn, r - 62);
    svg << "<text x='" << lx << "' y='" << ly << "' class='small' text-anchor='middle'>" << key << "</text>\n";
  }
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    double y = top + 90 + 26 * static_cast<double>(i);
    svg << "<rect x='500' y='" << y - 12 << "' width='16' height='16' fill='" << colour(i) << "'/>\n"
        << "<text x='524' y='" << y << "' class='label'>" << escape(nodes[static_cast<BucketId>(i)].name)
        << "</text>\n";
  }
}

// (b) Keys per node for each algorithm, as bars; the dashed line is the perfect share.
void load_picture(std::ostringstream& svg, const SimulateOptions& o, const std::vector<SimulateResult>& results,
                  double top) {
  svg << "<text x='20' y='" << top + 30 << "' class='title'>(b) keys per node (" << o.keys << " keys, "
      << o.nodes << " nodes); dashed: a perfect share</text>\n";
  const double left = 60, bottom = top + kPanel - 70, height = kPanel - 130;
  double peak = 0;
  for (const auto& r : results)
    for (auto l : r.load) peak = std::max(peak, static_cast<double>(l));
  if (peak == 0) return;
  const double group = (kWidth - left - 20) / static_cast<double>(results.size());
  const double bar = std::max(1.0, (group - 12) / static_cast<double>(o.nodes));
  for (std::size_t g = 0; g < results.size(); ++g) {
    double x0 = left + group * static_cast<double>(g);
    for (std::size_t i = 0; i < results[g].load.size(); ++i) {
      double h = height * static_cast<double>(results[g].load[i]) / peak;
      svg << "<rect x='" << x0 + bar * static_cast<double>(i) << "' y='" << bottom - h << "' width='" << bar
          << "' height='" << h << "' fill='" << colour(i) << "'/>\n";
    }
    svg << "<text x='" << x0 + (group - 12) / 2 << "' y='" << bottom + 18
        << "' class='small' text-anchor='middle'>" << escape(results[g].algorithm) << "</text>\n";
  }
  double fair = height * (static_cast<double>(o.keys) / static_cast<double>(o.nodes)) / peak;
  if (o.weights.empty())
    svg << "<line x1='" << left << "' x2='" << kWidth - 20 << "' y1='" << bottom - fair << "' y2='"
        << bottom - fair << "' stroke='#222' stroke-dasharray='6,4'/>\n";
  svg << "<line x1='" << left << "' x2='" << kWidth - 20 << "' y1='" << bottom << "' y2='" << bottom
      << "' stroke='#222'/>\n<text transform='translate(" << left - 20 << ',' << bottom - height / 2
      << ") rotate(-90)' class='label' text-anchor='middle'>keys per node</text>\n"
      << "<text x='" << (left + kWidth - 20) / 2 << "' y='" << bottom + 38
      << "' class='label' text-anchor='middle'>algorithm (one bar per node)</text>\n";
}

// (c) Share of keys moved when one of N nodes leaves; consistent hashing follows 1/N, modulo ~1.
void moved_picture(std::ostringstream& svg, const std::vector<MovedCurve>& curves, double top) {
  svg << "<text x='20' y='" << top + 30
      << "' class='title'>(c) share of keys moved when one of N nodes leaves; dashed: the optimum 1/N</text>\n";
  if (curves.empty() || curves.front().points.empty()) return;
  const double left = 70, right = kWidth - 170, bottom = top + kPanel - 60, height = kPanel - 110;
  const double n_min = static_cast<double>(curves.front().points.front().first);
  const double n_max = static_cast<double>(curves.front().points.back().first);
  auto x_of = [&](double n) { return left + (right - left) * (n - n_min) / std::max(1.0, n_max - n_min); };
  auto y_of = [&](double share) { return bottom - height * share; };
  for (double s : {0.0, 0.25, 0.5, 0.75, 1.0})
    svg << "<text x='" << left - 8 << "' y='" << y_of(s) + 4 << "' class='small' text-anchor='end'>"
        << static_cast<int>(s * 100) << "%</text>\n<line x1='" << left << "' x2='" << right << "' y1='" << y_of(s)
        << "' y2='" << y_of(s) << "' stroke='#ddd'/>\n";
  for (const auto& [n, share] : curves.front().points)
    svg << "<text x='" << x_of(static_cast<double>(n)) << "' y='" << bottom + 18
        << "' class='small' text-anchor='middle'>" << n << "</text>\n";
  svg << "<text x='" << (left + right) / 2 << "' y='" << bottom + 38
      << "' class='label' text-anchor='middle'>nodes before one leaves (N)</text>\n";
  svg << "<polyline fill='none' stroke='#222' stroke-dasharray='6,4' stroke-width='2' points='";
  for (const auto& [n, share] : curves.front().points)
    svg << x_of(static_cast<double>(n)) << ',' << y_of(1.0 / static_cast<double>(n)) << ' ';
  svg << "'/>\n";
  for (std::size_t c = 0; c < curves.size(); ++c) {
    svg << "<polyline fill='none' stroke='" << colour(c) << "' stroke-width='2' points='";
    for (const auto& [n, share] : curves[c].points) svg << x_of(static_cast<double>(n)) << ',' << y_of(share) << ' ';
    svg << "'/>\n<text x='" << right + 12 << "' y='" << top + 70 + 20 * static_cast<double>(c) << "' class='label' fill='"
        << colour(c) << "'>" << escape(curves[c].algorithm) << "</text>\n";
  }
}

// A bar chart with both axes labelled: one group of bars per server, one bar per series.
struct Series {
  std::string label;
  const char* colour;
  std::vector<std::size_t> values;  // one per group; a missing value draws no bar
};

void bar_chart(std::ostringstream& svg, double panel_left, double top, const std::vector<std::string>& groups,
               const std::vector<Series>& series, std::string_view y_label, std::string_view x_label) {
  const double left = panel_left + 80, width = kWidth - 110, height = kPanel - 150, bottom = top + height;
  double peak = 1;
  for (const auto& s : series)
    for (auto v : s.values) peak = std::max(peak, static_cast<double>(v));
  // Four or five round ticks: 1, 2 or 5 times a power of ten apart.
  const double magnitude = std::pow(10, std::floor(std::log10(peak / 4)));
  double step = 10 * magnitude;
  for (double f : {5.0, 2.0, 1.0})
    if (magnitude * f >= peak / 5) step = magnitude * f;
  const double top_value = std::ceil(peak / step) * step;
  auto y_of = [&](double v) { return bottom - height * v / top_value; };
  for (double v = 0; v <= top_value + step / 2; v += step)
    svg << "<line x1='" << left << "' x2='" << left + width << "' y1='" << y_of(v) << "' y2='" << y_of(v)
        << "' stroke='#ddd'/>\n<text x='" << left - 6 << "' y='" << y_of(v) + 4
        << "' class='small' text-anchor='end'>" << static_cast<long long>(v) << "</text>\n";
  svg << "<text transform='translate(" << left - 48 << ',' << top + height / 2
      << ") rotate(-90)' class='label' text-anchor='middle'>" << escape(y_label) << "</text>\n";
  const double group = width / static_cast<double>(groups.size());
  const double bar = (group - 10) / static_cast<double>(series.size());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const double x0 = left + group * static_cast<double>(g) + 5;
    for (std::size_t k = 0; k < series.size(); ++k) {
      if (g >= series[k].values.size()) continue;
      const double v = static_cast<double>(series[k].values[g]);
      svg << "<rect x='" << x0 + bar * static_cast<double>(k) << "' y='" << y_of(v) << "' width='" << bar - 1
          << "' height='" << bottom - y_of(v) << "' fill='" << series[k].colour << "'/>\n";
    }
    svg << "<text x='" << x0 + (group - 10) / 2 << "' y='" << bottom + 16 << "' class='small' text-anchor='middle'>"
        << escape(groups[g]) << "</text>\n";
  }
  svg << "<line x1='" << left << "' x2='" << left + width << "' y1='" << bottom << "' y2='" << bottom
      << "' stroke='#222'/>\n<line x1='" << left << "' x2='" << left << "' y1='" << top << "' y2='" << bottom
      << "' stroke='#222'/>\n<text x='" << left + width / 2 << "' y='" << bottom + 36
      << "' class='label' text-anchor='middle'>" << escape(x_label) << "</text>\n";
  for (std::size_t k = 0; k < series.size(); ++k) {
    const double x = left + static_cast<double>(k % 2) * width / 2, y = bottom + 58 + 18 * static_cast<double>(k / 2);
    svg << "<rect x='" << x << "' y='" << y - 11 << "' width='12' height='12' fill='" << series[k].colour
        << "'/>\n<text x='" << x + 18 << "' y='" << y << "' class='small'>" << escape(series[k].label) << "</text>\n";
  }
}

// Light and dark shades of the two pools' colours: before (light) and after (dark).
constexpr const char* kConsistentBefore = "#a0bcd8";
constexpr const char* kConsistentAfter = "#4e79a7";
constexpr const char* kModuloBefore = "#f8c38f";
constexpr const char* kModuloAfter = "#d9730d";
constexpr const char* kWarmUp = "#59a14f";

std::vector<std::string> server_names(std::size_t count) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < count; ++i) names.push_back("server" + std::to_string(i + 1));
  return names;
}

// (d) One server stopped: what each server held, and what the proxy still found there.
void stopped_picture(std::ostringstream& svg, const LiveRun& live, double left, double top) {
  svg << "<text x='" << left << "' y='" << top + 30 << "' class='title'>(d) this run: server" << live.stopped + 1
      << " stopped; keys per server, held and found again</text>\n";
  bar_chart(svg, left, top + 50, server_names(live.consistent.held.size()),
            {{live.consistent.name + ": held", kConsistentBefore, live.consistent.held},
             {live.consistent.name + ": found after the stop", kConsistentAfter, live.consistent.found},
             {live.modulo.name + ": held", kModuloBefore, live.modulo.held},
             {live.modulo.name + ": found after the stop", kModuloAfter, live.modulo.found}},
            "keys", "memcached server");
}

// (e) One server joined by hot reload: keys per server before and after.
void joined_picture(std::ostringstream& svg, const LiveRun& live, double left, double top) {
  svg << "<text x='" << left << "' y='" << top + 30 << "' class='title'>(e) this run: server"
      << live.consistent.joined.size() << " joined; keys per server before and after</text>\n";
  bar_chart(svg, left, top + 50, server_names(live.consistent.joined.size()),
            {{live.consistent.name + ": before", kConsistentBefore, live.consistent.held},
             {live.consistent.name + ": after", kConsistentAfter, live.consistent.joined},
             {live.modulo.name + ": before", kModuloBefore, live.modulo.held},
             {live.modulo.name + ": after", kModuloAfter, live.modulo.joined}},
            "keys", "memcached server");
}

// (f) The two numbers of the run: share of keys found after the stop, share moved by the join,
// each against the textbook's optimum.
struct ShareRow {
  std::string label;
  double share;
  const char* colour;
  double optimum;  // drawn dashed
};

// Horizontal bars of shares of all keys, one per row, under `title`. `value_class`: the style of the
// printed percentages.
void share_bars(std::ostringstream& svg, double left, double top, const std::string& title,
                const std::vector<ShareRow>& rows, const char* value_class) {
  svg << "<text x='" << left << "' y='" << top + 30 << "' class='title'>" << escape(title) << "</text>\n";
  const double x0 = left + 190, width = kWidth - 250;
  auto x_of = [&](double share) { return x0 + width * share; };
  for (double s : {0.0, 0.25, 0.5, 0.75, 1.0})
    svg << "<line x1='" << x_of(s) << "' x2='" << x_of(s) << "' y1='" << top + 60 << "' y2='" << top + 330
        << "' stroke='#ddd'/>\n<text x='" << x_of(s) << "' y='" << top + 348 << "' class='small' text-anchor='middle'>"
        << static_cast<int>(s * 100) << "%</text>\n";
  svg << "<text x='" << x0 + width / 2 << "' y='" << top + 370
      << "' class='label' text-anchor='middle'>share of all keys</text>\n";
  const double step = 256.0 / static_cast<double>(rows.size()), bar = std::min(30.0, step - 10);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const double y = top + 80 + step * static_cast<double>(r);
    svg << "<text x='" << x0 - 8 << "' y='" << y + bar / 2 + 4 << "' class='small' text-anchor='end'>" << escape(rows[r].label)
        << "</text>\n<rect x='" << x0 << "' y='" << y << "' width='" << width * rows[r].share
        << "' height='" << bar << "' fill='" << rows[r].colour << "'/>\n<text x='" << x_of(std::max(rows[r].share, rows[r].optimum)) + 6
        << "' y='" << y + bar / 2 + 4
        << "' class='" << value_class << "'>" << std::round(rows[r].share * 1000) / 10 << "%</text>\n<line x1='"
        << x_of(rows[r].optimum) << "' x2='" << x_of(rows[r].optimum) << "' y1='" << y - 6 << "' y2='" << y + bar + 6
        << "' stroke='#222' stroke-dasharray='4,3' stroke-width='2'/>\n";
  }
}

void shares_picture(std::ostringstream& svg, const LiveRun& live, double left, double top) {
  const double n_d = static_cast<double>(live.consistent.held.size());
  share_bars(svg, left, top, "(f) this run: share of keys found and moved; dashed: the optimum",
             {{"found after the stop: " + live.consistent.name, live.consistent.found_share, kConsistentAfter, (n_d - 1) / n_d},
              {"found after the stop: " + live.modulo.name, live.modulo.found_share, kModuloAfter, (n_d - 1) / n_d},
              {"moved by the join: " + live.consistent.name, live.consistent.moved_share, kConsistentAfter, 1 / (n_d + 1)},
              {"moved by the join: " + live.modulo.name, live.modulo.moved_share, kModuloAfter, 1 / (n_d + 1)}},
             "label");
}

// (g): the reads right after the join, and again once the misses were written back (as an
// application does), for modulo, consistent hashing and consistent hashing with warm-up.
void warmup_picture(std::ostringstream& svg, const LiveRun& live, double left, double top) {
  const auto& m = live.misses;
  share_bars(svg, left, top, "(g) this run: reads that missed after the join, then a moment later",
             {{"after the join: modulo", m.modulo, kModuloAfter, 0},
              {"after the join: consistent", m.consistent, kConsistentAfter, 0},
              {"after the join: + warm-up", m.warmup, kWarmUp, 0},
              {"later: modulo", m.modulo_later, kModuloAfter, 0},
              {"later: consistent", m.consistent_later, kConsistentAfter, 0},
              {"later: + warm-up", m.warmup_later, kWarmUp, 0}},
             "small");
}

}  // namespace

std::vector<MovedCurve> moved_curves(const std::vector<std::string>& algorithms, std::size_t max_nodes,
                                     std::size_t keys, std::uint64_t seed) {
  std::vector<MovedCurve> curves;
  for (const auto& a : algorithms) curves.push_back({a, {}});
  for (std::size_t n = 2; n <= max_nodes; ++n) {
    SimulateOptions o;
    o.algorithms = algorithms;
    o.nodes = n;
    o.keys = keys;
    o.remove = 1;
    o.add = 0;
    o.seed = seed;
    o.time_lookups = false;
    auto results = simulate(o);
    for (std::size_t i = 0; i < results.size(); ++i) curves[i].points.emplace_back(n, results[i].moved_on_remove);
  }
  return curves;
}

std::string render_svg(const std::string& ring_algorithm, const SimulateOptions& options,
                       const std::vector<SimulateResult>& results, const std::vector<MovedCurve>& curves,
                       const LiveRun* live) {
  std::ostringstream svg;
  const double width = live ? 2 * kWidth : kWidth;
  const double height = (live ? 4 : 3) * kPanel;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
      << "' viewBox='0 0 " << width << ' ' << height << "' font-family='sans-serif'>\n"
      << "<style>.title{font-size:15px;font-weight:bold}.label{font-size:13px}.small{font-size:11px}</style>\n"
      << "<rect width='100%' height='100%' fill='white'/>\n";
  ring_picture(svg, ring_algorithm, simulated_membership(options), 0);
  load_picture(svg, options, results, kPanel);
  moved_picture(svg, curves, 2 * kPanel);
  if (live) {
    svg << "<line x1='" << kWidth << "' x2='" << kWidth << "' y1='10' y2='" << 3 * kPanel - 10 << "' stroke='#bbb'/>\n";
    stopped_picture(svg, *live, kWidth + 20, 0);
    joined_picture(svg, *live, kWidth + 20, kPanel);
    shares_picture(svg, *live, kWidth + 20, 2 * kPanel);
    warmup_picture(svg, *live, kWidth + 20, 3 * kPanel);
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace ringleader::cli

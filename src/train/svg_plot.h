// Line charts as standalone SVG files (loss curves, reward / accuracy / length over steps): axes with ticks,
// one polyline per series, a legend. No dependencies; the file opens in any browser.
#pragma once

#include <string>
#include <vector>

namespace r1::train {

struct Series {
  std::string name;
  std::vector<double> x, y;  // same length; non-finite points are skipped
};

struct Chart {
  std::string title, xlabel, ylabel;
  std::vector<Series> series;
  bool log_y = false;  // logarithmic y axis (positive values only)
};

std::string render_svg(const Chart& c, int width = 720, int height = 400);
// Renders and writes atomically.
void write_svg(const std::string& path, const Chart& c);

}  // namespace r1::train

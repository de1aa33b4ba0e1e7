#include "train/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "io/file_util.h"

namespace r1::train {

namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

// Round tick step: 1, 2 or 5 times a power of ten giving about n ticks over [lo, hi].
double tick_step(double lo, double hi, int n) {
  const double raw = (hi - lo) / n;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"};

}  // namespace

std::string render_svg(const Chart& c, int W, int H) {
  const double L = 70, R = 20, T = 36, B = 50;  // margins
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  auto ty = [&](double y) { return c.log_y ? std::log10(y) : y; };
  for (const Series& s : c.series)
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (c.log_y && s.y[i] <= 0)) continue;
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, ty(s.y[i])), y1 = std::max(y1, ty(s.y[i]));
    }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y0 -= 0.5, y1 += 0.5;
  const double pad = 0.04 * (y1 - y0);
  y0 -= pad, y1 += pad;
  auto px = [&](double x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
  auto py = [&](double y) { return T + (1.0 - (y - y0) / (y1 - y0)) * (H - T - B); };
  std::string o = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(W) + "\" height=\"" +
                  std::to_string(H) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  o += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o += "<text x=\"" + num(W / 2.0) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" + esc(c.title) + "</text>\n";
  // Axes and ticks.
  o += "<g stroke=\"#444\" fill=\"none\"><rect x=\"" + num(L) + "\" y=\"" + num(T) + "\" width=\"" + num(W - L - R) +
       "\" height=\"" + num(H - T - B) + "\"/></g>\n";
  const double xs = tick_step(x0, x1, 6);
  for (double x = std::ceil(x0 / xs) * xs; x <= x1 + 1e-9 * xs; x += xs)
    o += "<line x1=\"" + num(px(x)) + "\" x2=\"" + num(px(x)) + "\" y1=\"" + num(H - B) + "\" y2=\"" + num(H - B + 5) +
         "\" stroke=\"#444\"/><text x=\"" + num(px(x)) + "\" y=\"" + num(H - B + 18) + "\" text-anchor=\"middle\">" +
         num(x) + "</text>\n";
  const double ys = tick_step(y0, y1, 5);
  for (double y = std::ceil(y0 / ys) * ys; y <= y1 + 1e-9 * ys; y += ys)
    o += "<line x1=\"" + num(L) + "\" x2=\"" + num(W - R) + "\" y1=\"" + num(py(y)) + "\" y2=\"" + num(py(y)) +
         "\" stroke=\"#ddd\"/><text x=\"" + num(L - 6) + "\" y=\"" + num(py(y) + 4) + "\" text-anchor=\"end\">" +
         num(c.log_y ? std::pow(10.0, y) : y) + "</text>\n";
  o += "<text x=\"" + num((L + W - R) / 2) + "\" y=\"" + num(H - 12) + "\" text-anchor=\"middle\">" + esc(c.xlabel) + "</text>\n";
  o += "<text transform=\"translate(16," + num((T + H - B) / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
       esc(c.ylabel) + "</text>\n";
  // Series and legend.
  for (size_t k = 0; k < c.series.size(); ++k) {
    const Series& s = c.series[k];
    const char* col = kColors[k % std::size(kColors)];
    std::string pts;
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (c.log_y && s.y[i] <= 0)) continue;
      pts += num(px(s.x[i])) + "," + num(py(ty(s.y[i]))) + " ";
    }
    o += "<polyline fill=\"none\" stroke=\"" + std::string(col) + "\" stroke-width=\"1.6\" points=\"" + pts + "\"/>\n";
    const double ly = T + 14 + 16 * double(k);
    o += "<line x1=\"" + num(W - R - 150) + "\" x2=\"" + num(W - R - 130) + "\" y1=\"" + num(ly) + "\" y2=\"" + num(ly) +
         "\" stroke=\"" + col + "\" stroke-width=\"2\"/><text x=\"" + num(W - R - 125) + "\" y=\"" + num(ly + 4) + "\">" +
         esc(s.name) + "</text>\n";
  }
  o += "</svg>\n";
  return o;
}

void write_svg(const std::string& path, const Chart& c) { write_file_atomic(path, render_svg(c)); }

}  // namespace r1::train

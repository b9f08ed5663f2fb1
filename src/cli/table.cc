#include "cli/table.h"

#include <algorithm>

namespace ty::cli {
namespace {

std::string Sanitize(std::string cell) {
  for (char& c : cell) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return cell;
}

void AppendPadded(std::string& line, const std::string& cell, size_t width) {
  line += cell;
  line.append(width - std::min(width, DisplayWidth(cell)), ' ');
}

// Drops the padding after the last cell.
void TrimRight(std::string& line) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
}

}  // namespace

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (std::string& cell : cells) cell = Sanitize(std::move(cell));
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths;
  for (const std::string& header : headers_) widths.push_back(DisplayWidth(header));
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }

  std::string text;
  auto append_line = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) line += "  ";
      AppendPadded(line, cells[i], widths[i]);
    }
    TrimRight(line);
    text += line + "\n";
  };

  append_line(headers_);
  std::vector<std::string> rule;
  for (size_t width : widths) rule.emplace_back(width, '-');
  append_line(rule);
  for (const auto& row : rows_) append_line(row);
  return text;
}

std::string RenderFields(const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& [name, value] : fields) width = std::max(width, DisplayWidth(name) + 1);

  std::string text;
  for (const auto& [name, value] : fields) {
    std::string line;
    AppendPadded(line, name + ":", width);
    line += "  " + Sanitize(value);
    TrimRight(line);
    text += line + "\n";
  }
  return text;
}

size_t DisplayWidth(const std::string& text) {
  // Continuation bytes of a UTF-8 sequence look like 10xxxxxx.
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

}  // namespace ty::cli

#pragma once

// Plain-text tables for the CLI's default output: a header row, a dashed
// rule, and columns padded to their widest cell, as the Azure CLI prints them.

#include <string>
#include <utility>
#include <vector>

namespace ty::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // Adds a row; missing cells print empty and extra cells are dropped.
  void AddRow(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }

  // Returns the table as lines ending in '\n'. Columns are separated by two
  // spaces and the last column is not padded. Widths count UTF-8 code
  // points, and control characters inside cells print as spaces so that
  // every row stays on one line.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Renders name/value pairs as aligned "Name:  value" lines, for showing one
// resource.
std::string RenderFields(const std::vector<std::pair<std::string, std::string>>& fields);

// Returns the number of UTF-8 code points in `text`.
size_t DisplayWidth(const std::string& text);

}  // namespace ty::cli

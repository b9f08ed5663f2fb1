#include "cli/table.h"

#include <gtest/gtest.h>

namespace ty::cli {
namespace {

TEST(TableTest, AlignsColumnsToWidestCell) {
  Table table({"Name", "Location"});
  table.AddRow({"rg", "eastus"});
  table.AddRow({"training-group", "westeurope"});

  EXPECT_EQ(table.Render(),
            "Name            Location\n"
            "--------------  ----------\n"
            "rg              eastus\n"
            "training-group  westeurope\n");
}

TEST(TableTest, EmptyTableHasHeaderOnly) {
  Table table({"Name", "Status"});

  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.Render(), "Name  Status\n----  ------\n");
}

TEST(TableTest, CountsUtf8CodePoints) {
  Table table({"Name", "X"});
  table.AddRow({"größe", "1"});
  table.AddRow({"ab", "2"});

  EXPECT_EQ(table.Render(),
            "Name   X\n"
            "-----  -\n"
            "größe  1\n"
            "ab     2\n");
}

TEST(TableTest, ControlCharactersBecomeSpaces) {
  Table table({"Message"});
  table.AddRow({"line one\nline two\t!"});

  EXPECT_EQ(table.Render(), "Message\n-------------------\nline one line two !\n");
}

TEST(TableTest, MissingCellsPrintEmpty) {
  Table table({"A", "B", "C"});
  table.AddRow({"1"});

  EXPECT_EQ(table.Render(), "A  B  C\n-  -  -\n1\n");
}

TEST(RenderFieldsTest, AlignsValues) {
  EXPECT_EQ(RenderFields({{"Name", "ml"}, {"InstallState", "Installed"}, {"Empty", ""}}),
            "Name:          ml\n"
            "InstallState:  Installed\n"
            "Empty:\n");
}

}  // namespace
}  // namespace ty::cli

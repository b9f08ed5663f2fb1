// `trainyard-shim shim <rank folder>`: the shim alone, in a binary that loads
// only the libraries it uses, so each rank starts in a fraction of the time
// the whole `trainyard` binary takes to load. `trainyard shim` runs the same
// code and stays the fallback when this binary is missing.

#include "executors/local/shim.h"

int main(int argc, char** argv) { return ty::executors::local::RunShim(argc, argv); }

// The single Catch2 v2 main shared by unit_tests and e2e_tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

# Tests of net/ (ipam): addresses and subnets, IPAM on a temp SQLite file (also from many
# threads and several processes at once), DNS files. Pure logic and temp files: no root,
# no network namespace needed.
add_executable(net_ipam_unit_tests
  ip_address_test.cc
  ipam_test.cc
  ipam_concurrency_test.cc
  dns_files_test.cc
)
target_link_libraries(net_ipam_unit_tests PRIVATE skiff_net skiff_test_support GTest::gmock GTest::gtest_main)
gtest_discover_tests(net_ipam_unit_tests PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)

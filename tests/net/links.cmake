# Tests of net/ (links): netns.h and netlink.h against the real kernel. Root only; every
# test process runs in a private network namespace (skiff_net_test_main).
add_executable(net_links_integration_test
  links_support.cc
  links_netns_test.cc
  links_netlink_test.cc
  links_timing_test.cc
)
target_link_libraries(net_links_integration_test PRIVATE skiff_net skiff_net_test_main skiff_test_support)
add_test(NAME net_links_integration COMMAND net_links_integration_test --gtest_color=no)
set_tests_properties(net_links_integration PROPERTIES LABELS "root;integration" TIMEOUT 300)

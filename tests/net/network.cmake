# Tests of net/ (network): NetworkManager. Mode parsing and defaults as unit tests; attach,
# detach and restore on the real kernel (root) inside the binary's own network namespace,
# with busybox httpd and nc run in the pods' namespaces.
add_executable(net_network_unit_tests network_mode_test.cc)
target_link_libraries(net_network_unit_tests PRIVATE skiff_net GTest::gtest_main)
gtest_discover_tests(net_network_unit_tests PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)

add_executable(net_network_integration_test network_test.cc network_pod_process.cc)
target_link_libraries(net_network_integration_test PRIVATE skiff_net skiff_net_test_main skiff_test_support)
add_test(NAME net_network_integration COMMAND net_network_integration_test --gtest_color=no)
set_tests_properties(net_network_integration PROPERTIES COST 10 LABELS "root;integration" TIMEOUT 300)

# Tests of net/ (ports); see net/*.h.

# parse_port_mapping: pure logic.
add_executable(net_ports_unit_tests ports_mapping_test.cc)
target_link_libraries(net_ports_unit_tests PRIVATE skiff_net GTest::gtest_main)
gtest_discover_tests(net_ports_unit_tests PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)

# PortForwarder and ServiceBalancer against the real kernel, in the test's private network namespace: a bridge,
# pod namespaces with busybox httpd, published ports reached from loopback, a host address
# and the pods themselves. Root.
add_executable(net_ports_integration_test ports_forwarder_test.cc service_balancer_test.cc ports_ipv6_test.cc)
target_link_libraries(net_ports_integration_test PRIVATE skiff_net skiff_test_support skiff_net_test_main)
add_test(NAME net_ports_integration COMMAND net_ports_integration_test --gtest_color=no)
set_tests_properties(net_ports_integration PROPERTIES COST 35 LABELS "root;integration" TIMEOUT 300)

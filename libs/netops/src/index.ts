// Scaffold: iproute2/tc/iptables operations land with the pod-networking issue.
export const VXLAN_DEFAULT_PORT = 4789;

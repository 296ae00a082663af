// Scaffold: netns inspection and the VXLAN tunnel land with the pod-networking issue.
export { VXLAN_DEFAULT_PORT } from '@peerpods/netops';
export const VXLAN_MIN_ID = 555000;

// Scaffold: generated service code lands with the ttrpc issue.
export const HYPERVISOR_SERVICE = 'hypervisor.Hypervisor';
export const AGENT_SERVICE = 'grpc.AgentService';
export const HEALTH_SERVICE = 'grpc.Health';

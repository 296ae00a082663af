import { HealthService, health } from '@peerpods/protocols';
import { type MethodTable, serviceMethods } from '@peerpods/ttrpc';

/** The kata agent API version the dev-agent follows (the .proto files are kata 4.1.0's). */
export const API_VERSION = '4.1.0';

/** grpc.Health: always SERVING while the socket is up; Version names the dev-agent. */
export function healthMethods(agentVersion: string): MethodTable {
  return serviceMethods(HealthService, {
    check: () => ({ status: health.HealthCheckResponse_ServingStatus.SERVING }),
    version: () => ({ agentVersion, grpcVersion: API_VERSION }),
  });
}

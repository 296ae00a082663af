import type { CloudApiObserver } from '@peerpods/providers';
import type { AuthenticatorInterface } from 'ibm-cloud-sdk-core';
import { IbmRestService } from './rest-service';

/**
 * The security group IBM Cloud Kubernetes Service makes for a cluster, `kube-<clusterID>`: upstream
 * always adds it to a pod VM's primary interface, so the workers and the pod VMs may talk.
 */
export async function clusterSecurityGroup(
  containersEndpoint: string,
  authenticator: AuthenticatorInterface,
  clusterId: string,
  apiCalls?: CloudApiObserver,
): Promise<string> {
  const service = new IbmRestService(containersEndpoint, authenticator, apiCalls);
  const answer = await service.call<{ id: string; name: string }[]>({
    method: 'GET',
    path: '/global/network/v2/security-group/getSecurityGroups',
    query: { cluster: clusterId, type: 'cluster' },
  });
  const group = (Array.isArray(answer.result) ? answer.result : []).find(
    (candidate) => candidate.name === `kube-${clusterId}`,
  );
  if (!group) throw new Error(`could not find default cluster security group kube-${clusterId}`);
  return group.id;
}

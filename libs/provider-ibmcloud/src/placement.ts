import { describeApiError } from './rest-service';
import type { IbmCloudSettings } from './settings';
import type { VpcClient } from './vpc-client';
import type { ZonedResource } from './vpc-types';

/**
 * The dedicated host and host group in the pod VMs' zone, from upstream's lists of one per zone:
 * a second in the zone is ignored with a warning; a list with none in the zone is an error.
 */
export async function placementTargets(
  settings: IbmCloudSettings,
  vpc: VpcClient,
  log: (message: string) => void,
): Promise<{ host?: string; group?: string }> {
  const pick = async (
    ids: readonly string[],
    label: string,
    get: (id: string) => Promise<ZonedResource>,
  ): Promise<string | undefined> => {
    if (ids.length === 0) return undefined;
    const inZone: string[] = [];
    for (const id of ids) {
      const resource = await get(id).catch((error: unknown) => {
        throw new Error(`couldn't get ${label} ${id}'s zone: ${describeApiError(error)}`, { cause: error });
      });
      if (resource.zone.name === settings.zone) inZone.push(id);
    }
    if (inZone.length === 0) {
      throw new Error(
        `no ${label} in zone ${settings.zone} was provided; please provide a ${label} in the specified zone for High Availability`,
      );
    }
    if (inZone.length > 1) {
      log(`warning, multiple ${label}s were provided in zone ${settings.zone}; only one will be used`);
    }
    return inZone[0];
  };
  const host = await pick(settings.dedicatedHostIds, 'Dedicated Host', (id) => vpc.getDedicatedHost(id));
  const group = await pick(settings.dedicatedHostGroupIds, 'Dedicated Host Group', (id) =>
    vpc.getDedicatedHostGroup(id),
  );
  return { ...(host ? { host } : {}), ...(group ? { group } : {}) };
}

import type { FakeCatalog } from './catalog';
import { Ec2Error } from './ec2-error';
import { instanceFilters } from './instance-filters';
import type { InstanceStore } from './instance-store';
import { reservationXml } from './instance-xml';
import { launchSpec } from './launch-request';
import type { QueryParams } from './query-params';
import type { XmlValue } from './xml-response';

export type ActionHandler = (params: QueryParams) => Record<string, XmlValue>;

/** The EC2 actions this fake answers, as EC2 answers them (element names per the 2016-11-15 API). */
export function ec2Actions(store: InstanceStore, catalog: FakeCatalog): Record<string, ActionHandler> {
  const zone = catalog.availabilityZone;
  return {
    RunInstances(params) {
      const { spec, count } = launchSpec(params, catalog);
      const token = params.get('ClientToken');
      if (token !== undefined && (token.length > 64 || !/^[\x20-\x7e]*$/.test(token))) {
        throw new Ec2Error('InvalidParameterValue', 'The client token must be at most 64 ASCII characters.');
      }
      return reservationXml(store.launch(spec, count, token), zone);
    },

    DescribeInstances(params) {
      const ids = params.list('InstanceId');
      const predicates = instanceFilters(params);
      const candidates = ids.length > 0 ? store.get(ids) : store.all();
      const selected = candidates.filter((instance) => predicates.every((matches) => matches(instance)));
      const { page, nextToken } = paginate(selected, params);
      // One reservation per launch, as EC2 groups them.
      const byReservation = new Map<string, typeof page>();
      for (const instance of page) {
        const group = byReservation.get(instance.reservationId) ?? [];
        group.push(instance);
        byReservation.set(instance.reservationId, group);
      }
      return {
        reservationSet: [...byReservation.values()].map((group) => reservationXml(group, zone)),
        nextToken,
      };
    },

    TerminateInstances(params) {
      const ids = params.list('InstanceId');
      if (ids.length === 0)
        throw new Ec2Error('MissingParameter', 'The request must contain the parameter InstanceId');
      const instances = store.get(ids);
      return {
        instancesSet: instances.map((instance) => {
          const { previous, current } = store.terminate(instance);
          return {
            instanceId: instance.instanceId,
            currentState: { code: codeOf(current), name: current },
            previousState: { code: codeOf(previous), name: previous },
          };
        }),
      };
    },

    DescribeImages(params) {
      const ids = params.list('ImageId');
      for (const id of ids) {
        if (!catalog.images.some((image) => image.imageId === id)) {
          throw new Ec2Error('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
        }
      }
      const images =
        ids.length > 0 ? catalog.images.filter((image) => ids.includes(image.imageId)) : catalog.images;
      return {
        imagesSet: images.map((image) => ({
          imageId: image.imageId,
          imageLocation: `123456789012/${image.name}`,
          imageState: 'available',
          imageOwnerId: '123456789012',
          isPublic: false,
          architecture: image.architecture,
          imageType: 'machine',
          name: image.name,
          rootDeviceType: 'ebs',
          rootDeviceName: image.rootDeviceName,
          blockDeviceMapping: [
            {
              deviceName: image.rootDeviceName,
              ebs: {
                snapshotId: `snap-${image.imageId.slice(4)}`,
                volumeSize: image.rootVolumeGiB,
                deleteOnTermination: true,
                volumeType: 'gp3',
              },
            },
          ],
          virtualizationType: 'hvm',
          hypervisor: 'xen',
          bootMode: 'uefi',
        })),
      };
    },

    DescribeInstanceTypes(params) {
      const names = params.list('InstanceType');
      for (const name of names) {
        if (!catalog.instanceTypes.some((type) => type.instanceType === name)) {
          throw new Ec2Error(
            'InvalidInstanceType',
            `The following supplied instance types do not exist: [${name}]`,
          );
        }
      }
      const types =
        names.length > 0
          ? catalog.instanceTypes.filter((type) => names.includes(type.instanceType))
          : catalog.instanceTypes;
      const { page, nextToken } = paginate(types, params);
      return {
        instanceTypeSet: page.map((type) => ({
          instanceType: type.instanceType,
          currentGeneration: true,
          processorInfo: { supportedArchitectures: ['x86_64'] },
          vCpuInfo: { defaultVCpus: type.vcpus },
          memoryInfo: { sizeInMiB: type.memoryMiB },
          gpuInfo:
            type.gpus > 0
              ? {
                  gpus: [{ name: 'A10G', manufacturer: 'NVIDIA', count: type.gpus }],
                  totalGpuMemoryInMiB: 24576,
                }
              : undefined,
        })),
        nextToken,
      };
    },
  };
}

function codeOf(state: string): number {
  return { pending: 0, running: 16, 'shutting-down': 32, terminated: 48 }[state] ?? 0;
}

/** MaxResults / NextToken, as an offset: enough for clients that page through everything. */
function paginate<T>(items: T[], params: QueryParams): { page: T[]; nextToken: string | undefined } {
  const max = params.get('MaxResults');
  if (max === undefined) return { page: items, nextToken: undefined };
  const size = Number(max);
  if (!Number.isInteger(size) || size < 5 || size > 1000) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`,
    );
  }
  const start = Number(params.get('NextToken') ?? '0');
  const page = items.slice(start, start + size);
  return { page, nextToken: start + size < items.length ? String(start + size) : undefined };
}

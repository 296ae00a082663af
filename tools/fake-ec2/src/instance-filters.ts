import { Ec2Error } from './ec2-error';
import type { FakeInstance } from './instance-store';
import type { QueryParams } from './query-params';

type Predicate = (instance: FakeInstance) => boolean;

/** DescribeInstances' `Filter.N.Name` / `Filter.N.Value.M`: the names this fake knows; others are refused. */
export function instanceFilters(params: QueryParams): Predicate[] {
  return params.structs('Filter').map((filter) => {
    const name = filter.get('Name') ?? '';
    const values = filter.list('Value');
    const matches = (value: string | undefined) =>
      value !== undefined && values.some((wanted) => globMatch(wanted, value));
    if (name.startsWith('tag:')) {
      const key = name.slice(4);
      return (instance) => matches(instance.spec.tags[key]);
    }
    switch (name) {
      case 'tag-key':
        return (instance) => Object.keys(instance.spec.tags).some((key) => matches(key));
      case 'instance-state-name':
        return (instance) => matches(instance.state);
      case 'instance-id':
        return (instance) => matches(instance.instanceId);
      case 'client-token':
        return (instance) => matches(instance.clientToken);
      default:
        throw new Ec2Error('InvalidParameterValue', `The filter '${name}' is invalid`);
    }
  });
}

// EC2 filter values take * and ? wildcards.
function globMatch(pattern: string, value: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === value;
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${regex}$`).test(value);
}

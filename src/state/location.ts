// Where a state record lives, as people and `status --json` see it: never with credentials.
//   describeLocation({ store: 'etcd', endpoints: ['http://10.0.0.5:2379'], key: 'meshctl/lab/state' })
//     === 'etcd http://10.0.0.5:2379 key meshctl/lab/state'

export type StateLocation = { store: 'file'; path: string } | { store: 'etcd' | 'consul'; endpoints: string[]; key: string };

export function describeLocation(location: StateLocation): string {
  if (location.store === 'file') return `file ${location.path}`;
  return `${location.store} ${location.endpoints.join(',')} key ${location.key}`;
}

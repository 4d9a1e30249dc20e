// Which instance owns which project (issue 20), as the rest of the system asks it. The dialer dials, and the socket
// and the /app commands act, only for projects this instance owns; what it writes for a project carries the grant's
// fencing epoch. A lone instance (no CC_AMQP_URL) owns every project at epoch 0 and nothing here changes behaviour;
// in a cluster the lease keeper (lease-keeper.ts) answers from its grants and the last lease view it read.

/** Where another instance can be reached: FreeSWITCH's socket app (host:port), and its id on the bus. */
export interface InstanceAddress {
  id: string;
  /** CC_SOCKET_REACH_AT of that instance (host:port FreeSWITCH's `socket` application connects to). */
  socketAt: string;
}

export interface Ownership {
  /** This instance's id (CC_INSTANCE_ID). */
  readonly me: string;
  /** Whether this instance may start calls and write for the project now (it holds an unexpired grant). */
  mayAct(projectCode: string): boolean;
  /** The fencing epoch of this instance's grant for the project; undefined when it does not hold it. */
  epochOf(projectCode: string): number | undefined;
  /** The project's owner as last seen (this instance included); undefined while nobody holds it. */
  ownerOf(projectCode: string): InstanceAddress | undefined;
  /** The projects this instance holds, sorted. */
  owned(): string[];
  /** Called when this instance gains (true) or loses (false) a project; returns the unsubscribe. */
  onChange(listener: (projectCode: string, owned: boolean) => void): () => void;
}

/** A lone instance: it owns every project, at epoch 0, for ever. */
export function loneOwnership(me: InstanceAddress): Ownership {
  return {
    me: me.id,
    mayAct: () => true,
    epochOf: () => 0,
    ownerOf: () => me,
    owned: () => [],
    onChange: () => () => undefined,
  };
}

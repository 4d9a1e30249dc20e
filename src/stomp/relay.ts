// The port through which the broker's frames reach the other instances of a cluster (issue 20). The STOMP area
// declares it; src/cluster/bus.ts implements it over RabbitMQ, and app.ts plugs one in only when CC_AMQP_URL is set:
// without it the broker delivers to its own sessions exactly as before.

/** One publish, as the broker was given it: the same fan-out runs on the receiving instance. */
export interface RelayedFrame {
  destination: string;
  body: string | object;
  headers: Record<string, string>;
}

export interface Relay {
  /** A frame published on this instance, already delivered to its own subscribers, for the other instances. */
  publish(frame: RelayedFrame): void;
  /** Registers the delivery of frames published on other instances; a relay never hands back this instance's own. */
  onFrame(deliver: (frame: RelayedFrame) => void): void;
}

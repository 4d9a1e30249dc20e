// The Publisher the areas are built with before the STOMP broker exists. The broker authenticates agents against
// the agent registry while the registry publishes every agent's change through the broker; the registry is built
// first with this outbox, and the broker is attached to it once built (app.ts).
import type { Publisher } from './ports.js';

export class Outbox implements Publisher {
  private target: Publisher | undefined;

  attach(target: Publisher): void {
    this.target = target;
  }

  publish(destination: string, body: object | string): void {
    this.target?.publish(destination, body);
  }

  deferWhile<T>(fn: () => T): T {
    const target = this.target;
    return target?.deferWhile ? target.deferWhile(fn) : fn();
  }
}

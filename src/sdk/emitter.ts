/**
 * A typed event emitter for the browser: JsSIP's EventEmitter comes from Node's `events`, and the SDK's public
 * types must not depend on it. A listener that throws is the integrator's bug; it is reported on the console so
 * that one bad listener does not stop the others or the call.
 */
export type Listener<P> = (payload: P) => void;

export class TypedEmitter<M extends object> {
  private readonly listeners = new Map<keyof M, Set<Listener<never>>>();

  on<K extends keyof M>(event: K, listener: Listener<M[K]>): this {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return this;
  }

  once<K extends keyof M>(event: K, listener: Listener<M[K]>): this {
    const wrapper: Listener<M[K]> = (payload) => {
      this.off(event, wrapper);
      listener(payload);
    };
    return this.on(event, wrapper);
  }

  off<K extends keyof M>(event: K, listener: Listener<M[K]>): this {
    this.listeners.get(event)?.delete(listener as Listener<never>);
    return this;
  }

  /** @internal */
  protected emit<K extends keyof M>(event: K, payload: M[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<M[K]>)(payload);
      } catch (err) {
        console.error(`MySoftPhone: a "${String(event)}" listener threw`, err);
      }
    }
  }
}

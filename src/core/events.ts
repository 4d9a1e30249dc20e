// In-process domain notifications between components (e.g. the API tells the ESL side that gateways changed).
// Listeners run in order (emitAsync waits for the ones that return a promise); one listener's failure is reported and does not stop the others.
interface DomainEventMap {
  gatewaysChanged: [gwCode: string];
}

type Listener<A extends unknown[]> = (...args: A) => void | Promise<void>;

export class EventHub<M extends { [K in keyof M]: unknown[] } = DomainEventMap> {
  // Stored type-erased; `on` and `emit` keep each name's argument types.
  private readonly listeners = new Map<keyof M, Set<(...args: unknown[]) => void | Promise<void>>>();
  constructor(private readonly onListenerError: (err: unknown) => void = () => {}) {}

  on<K extends keyof M>(name: K, fn: Listener<M[K]>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    const erased = fn as unknown as (...args: unknown[]) => void | Promise<void>;
    set.add(erased);
    return () => set.delete(erased);
  }

  emit<K extends keyof M>(name: K, ...args: M[K]): void {
    for (const fn of this.listeners.get(name) ?? []) {
      try {
        const done = fn(...args);
        if (done instanceof Promise) done.catch(this.onListenerError);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  /** As emit, and waits for listeners that return a promise (a failure is reported, as in emit). */
  async emitAsync<K extends keyof M>(name: K, ...args: M[K]): Promise<void> {
    for (const fn of this.listeners.get(name) ?? []) {
      try {
        await fn(...args);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}

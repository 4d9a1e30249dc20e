// In-process domain notifications between components (e.g. the API tells the ESL side that gateways changed).
// Listeners run synchronously; one listener's failure is reported and does not stop the others.
interface DomainEventMap {
  gatewaysChanged: [gwCode: string];
}

type Listener<A extends unknown[]> = (...args: A) => void;

export class EventHub<M extends { [K in keyof M]: unknown[] } = DomainEventMap> {
  // Stored type-erased; `on` and `emit` keep each name's argument types.
  private readonly listeners = new Map<keyof M, Set<(...args: unknown[]) => void>>();
  constructor(private readonly onListenerError: (err: unknown) => void = () => {}) {}

  on<K extends keyof M>(name: K, fn: Listener<M[K]>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    const erased = fn as unknown as (...args: unknown[]) => void;
    set.add(erased);
    return () => set.delete(erased);
  }

  emit<K extends keyof M>(name: K, ...args: M[K]): void {
    for (const fn of this.listeners.get(name) ?? []) {
      try {
        fn(...args);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}

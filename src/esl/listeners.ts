// A small typed listener registry: `on` returns its own unsubscribe, and a throwing listener cannot stop the
// others (nor the protocol code that emits).

export type Unsubscribe = () => void;

export class Listeners<M extends { [K in keyof M]: unknown }> {
  private readonly map = new Map<keyof M, Set<(value: never) => void>>();

  constructor(private readonly onListenerError: (err: unknown) => void = () => {}) {}

  on<K extends keyof M>(type: K, fn: (value: M[K]) => void): Unsubscribe {
    let set = this.map.get(type);
    if (!set) this.map.set(type, (set = new Set()));
    set.add(fn as (value: never) => void);
    return () => void set.delete(fn as (value: never) => void);
  }

  once<K extends keyof M>(type: K, fn: (value: M[K]) => void): Unsubscribe {
    const off = this.on(type, (value) => {
      off();
      fn(value);
    });
    return off;
  }

  emit<K extends keyof M>(type: K, value: M[K]): void {
    const set = this.map.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as (value: M[K]) => void)(value);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  count<K extends keyof M>(type: K): number {
    return this.map.get(type)?.size ?? 0;
  }
}

/** Typed listener sets, one per event name. A throwing listener never stops the others or the caller. */
export class EventListeners<Events> {
  private readonly sets = new Map<keyof Events, Set<(value: never) => void>>();

  on<K extends keyof Events>(type: K, listener: (value: Events[K]) => void): () => void {
    let set = this.sets.get(type);
    if (!set) this.sets.set(type, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<K extends keyof Events>(type: K, value: Events[K]): void {
    for (const listener of this.sets.get(type) ?? []) {
      try {
        (listener as (value: Events[K]) => void)(value);
      } catch {
        // A failing view must not stop the session from following the packer.
      }
    }
  }
}

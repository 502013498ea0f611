/**
 * Folder-private: the JSON round trip of every model whose fitted state is plain JSON. `toJSON` returns the state
 * (a `ModelError` "<name>: not fitted" before `fit`); `restore` checks a state's `model` tag first (a `TypeError`
 * "not <name> <what>" for anything else), then builds the model and installs the state.
 * @module
 */
import { ModelError } from "../core/mod.ts";

/** A model with plain-JSON fitted state `S` (tagged with the model's `name`). */
export abstract class JsonFitted<S extends { model: string }> {
  /** The model's name, also the `model` tag of its state. */
  abstract readonly name: string;
  /** The fitted state; null until fitted or restored. */
  protected state: S | null = null;

  /** Fitted state (JSON-serializable). */
  toJSON(): S {
    if (!this.state) throw new ModelError(`${this.name}: not fitted`);
    return this.state;
  }

  /** The model `make` builds from `json` (checked to be tagged `name` first), holding `fix(json)` as its state. */
  protected static restore<S extends { model: string }, M extends JsonFitted<S>>(
    json: S,
    name: string,
    what: "params" | "state",
    make: (json: S) => M,
    fix: (json: S) => S = (j) => j,
  ): M {
    if (json?.model !== name) throw new TypeError(`not ${name} ${what}`);
    const m = make(json);
    m.state = fix(json);
    return m;
  }
}

import type { AttributeValue, Attributes } from '@opentelemetry/api';

/** Attributes of a plugin-labelled series: always its plugin id. */
export type PluginAttributes = Attributes & { plugin: string };

/**
 * A series' attributes with their key (their JSON text, what PluginMetricStore finds the series
 * by) computed once, for a measurement that looks its series up several times (a telemetry
 * event) or records on several instruments (a call). Its own properties are the attributes, so
 * it renders and compares as they do; frozen, so the key stays theirs. Every method taking
 * PluginAttributes takes one, and serializes plain attributes on each use.
 */
export class SeriesAttributes implements PluginAttributes {
  [attribute: string]: AttributeValue | undefined;
  declare readonly plugin: string;
  readonly #key: string;

  constructor(attributes: PluginAttributes) {
    Object.assign(this, attributes);
    this.#key = JSON.stringify(attributes);
    Object.freeze(this);
  }

  /** The key of `attributes`: the one kept by a SeriesAttributes, else serialized now. */
  static keyOf(attributes: PluginAttributes): string {
    return attributes instanceof SeriesAttributes ? attributes.#key : JSON.stringify(attributes);
  }
}

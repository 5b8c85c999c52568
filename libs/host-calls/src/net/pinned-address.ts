import type { LookupFunction } from 'node:net';
import { abortError } from './deadline.js';
import { fail, succeed, type Outcome } from '@convergio/contracts';
import {
  checkResolvedAddresses,
  formatIpAddress,
  type NetPolicy,
  type NetTarget,
} from '@convergio/policy';

/** What a resolution may take: stop when `signal` aborts, give up after `timeoutMs`. */
export interface ResolveOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Resolves a name to every address it has (injected in tests to play a rebinding DNS
 * server). The default is systemDnsResolver; a resolver must never use `dns.lookup`
 * (see dnsServersResolver). One that ignores `options` is still cut off by pinAddress.
 */
export type Resolver = (
  hostname: string,
  options?: ResolveOptions,
) => Promise<ReadonlyArray<{ address: string; family: number }>>;

/** An address that passed the checks, and the only one the connection may use. */
export interface PinnedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Resolves the target ONCE, checks every answer, and returns the address to connect to.
 * IP literals were already checked by the pure decision and are used as they are. The
 * resolution runs inside the caller's call: on its signal and within `budgetMs`, what is
 * left of the call's time.
 */
export async function pinAddress(
  target: NetTarget,
  policy: NetPolicy,
  resolve: Resolver,
  signal: AbortSignal,
  budgetMs: number,
): Promise<Outcome<PinnedAddress>> {
  if (target.host.kind === 'ip') {
    return succeed({ address: target.host.name, family: target.host.address.family });
  }
  const answers = await raceAbort(
    resolve(target.host.name, { signal, timeoutMs: Math.max(1, budgetMs) }),
    signal,
  );
  const checked = checkResolvedAddresses(
    target.host.name,
    answers.map((a) => a.address),
    policy,
  );
  if (!checked.allowed) return fail(checked.reason);
  const first = checked.addresses[0];
  return succeed({ address: formatIpAddress(first), family: first.family });
}

/**
 * A `lookup` for node:net that answers with the pinned address whatever name it is asked
 * for, so the socket cannot be steered by a second DNS answer (rebinding) while TLS SNI,
 * certificate checks and `Host` keep the original name. Handles `all: true`, which Node
 * asks for when it races address families.
 */
export function pinnedLookup(pinned: PinnedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if ((options as { all?: boolean } | undefined)?.all) {
      (callback as (err: null, addresses: { address: string; family: number }[]) => void)(null, [
        { address: pinned.address, family: pinned.family },
      ]);
    } else {
      callback(null, pinned.address, pinned.family);
    }
  };
}

/** Rejects with the signal's reason as soon as it aborts, whether or not the promise's work heeds the signal. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

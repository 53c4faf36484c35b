import { useEffect, useState } from 'react';

export type Async<T> =
  /** `previous`: the last answer, kept on screen while the next one loads. */
  { status: 'loading'; previous?: T } | { status: 'error'; error: unknown } | { status: 'ok'; value: T };

/** Runs `load` whenever `key` changes; a late answer for an older key is dropped. */
export function useAsync<T>(load: () => Promise<T>, key: string): [Async<T>, () => void] {
  const [state, setState] = useState<Async<T>>({ status: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ status: 'loading', previous: s.status === 'ok' ? s.value : undefined }));
    load().then(
      (value) => current && setState({ status: 'ok', value }),
      (error: unknown) => current && setState({ status: 'error', error }),
    );
    return () => {
      current = false;
    };
    // `load` is a fresh closure each render; `key` says when it really changed.
  }, [key, round]);
  return [state, () => setRound((r) => r + 1)];
}

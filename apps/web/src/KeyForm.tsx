import { useState, type FormEvent } from 'react';

/** Asks for the API key; it goes to sessionStorage only (see api/client.ts). */
export function KeyForm({ message, onKey }: { message: string; onKey: (key: string) => void }) {
  const [key, setKey] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (key.trim()) onKey(key);
  };
  return (
    <main className="key-form">
      <h1>Tallyhouse</h1>
      <form onSubmit={submit} aria-label="Sign in">
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          autoFocus
          value={key}
          onChange={(e) => setKey(e.target.value)}
          placeholder="paste the key you were given"
        />
        <button type="submit" disabled={!key.trim()}>
          Open
        </button>
        {message && (
          <p role="alert" className="error">
            {message}
          </p>
        )}
        <p className="hint">The key is kept in this browser tab only and sent as a Bearer token.</p>
      </form>
    </main>
  );
}

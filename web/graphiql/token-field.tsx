// The access-token field above the IDE. The token lives in sessionStorage: it survives a reload
// of the tab but not the browser, which is as long as a pasted secret should stay around.
import { useState } from 'react';

const KEY = 'provml:graphiql:token';

export function storedToken(): string {
  try {
    return sessionStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

export function TokenField({ onChange }: { onChange(token: string): void }) {
  const [value, setValue] = useState(storedToken);
  const apply = (next: string) => {
    setValue(next);
    try {
      if (next) sessionStorage.setItem(KEY, next);
      else sessionStorage.removeItem(KEY);
    } catch {
      // Storage disabled: the token still works until the page is left.
    }
    onChange(next.trim());
  };
  return (
    <label className="provml-token">
      <span>Access token</span>
      <input
        type="password"
        autoComplete="off"
        spellCheck={false}
        placeholder="none (sent as Authorization: Bearer …)"
        value={value}
        onChange={(e) => apply(e.target.value)}
        aria-label="Access token"
      />
    </label>
  );
}
